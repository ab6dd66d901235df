"""A call's note in HubSpot, through HubSpot's official client (``hubspot-api-client``): the
contact found by the customer's e-mail (CRM search), then a Meeting engagement associated to
it, created in one request with the association (no meeting without its contact).

Before creating, the meetings are searched for the call's report link in
``hs_meeting_external_url``: a retry after a lost answer finds the meeting and writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import urllib3
from hubspot import Client
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.contacts import Filter as ContactFilter
from hubspot.crm.contacts import FilterGroup as ContactFilterGroup
from hubspot.crm.contacts import PublicObjectSearchRequest as ContactSearch
from hubspot.crm.objects.meetings import ApiException as MeetingsError
from hubspot.crm.objects.meetings import (
    AssociationSpec,
    Filter,
    FilterGroup,
    PublicAssociationsForObject,
    PublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)

from praesent.crm.note import html_text, iso_utc, title
from praesent.settings import Settings
from praesent.webhooks.delivery import Outcome

# HubSpot's association type "meeting to contact" (HUBSPOT_DEFINED).
MEETING_TO_CONTACT = 200


def _client(base_url: str, token: str, settings: Settings) -> Client:
    # No retries inside the client: the outbox retries, with its backoff and its log.
    config: dict[str, Any] = {"host": base_url.rstrip("/"), "retry": urllib3.Retry(0)}
    if settings.crm_ca_bundle is not None:
        config["ssl_ca_cert"] = str(settings.crm_ca_bundle)
    return Client.create(access_token=token, **config)


def _contact_id(client: Client, email: str, timeout: float) -> str | None:
    search = ContactSearch(
        filter_groups=[
            ContactFilterGroup(
                filters=[ContactFilter(property_name="email", operator="EQ", value=email)]
            )
        ],
        properties=["email"],
        sorts=[],
        limit=1,
        after="0",
    )
    found = client.crm.contacts.search_api.do_search(search, _request_timeout=timeout)
    return str(found.results[0].id) if found.results else None


def _meeting_id(client: Client, external_url: str, timeout: float) -> str | None:
    search = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(
                filters=[
                    Filter(
                        property_name="hs_meeting_external_url", operator="EQ", value=external_url
                    )
                ]
            )
        ],
        properties=["hs_meeting_external_url"],
        sorts=[],
        limit=1,
        after="0",
    )
    found = client.crm.objects.meetings.search_api.do_search(search, _request_timeout=timeout)
    return str(found.results[0].id) if found.results else None


def meeting_properties(payload: Mapping[str, Any]) -> dict[str, str]:
    started = iso_utc(payload.get("started_at"))
    ended = iso_utc(payload.get("ended_at")) or started
    properties = {
        "hs_timestamp": started or "",
        "hs_meeting_title": title(payload),
        "hs_meeting_body": html_text(payload),
        "hs_meeting_external_url": str(payload["report_url"]),
        "hs_meeting_outcome": "COMPLETED",
    }
    if started and ended:
        properties["hs_meeting_start_time"] = started
        properties["hs_meeting_end_time"] = ended
    return properties


def _failed(error: ContactsError | MeetingsError, what: str) -> Outcome:
    status = int(error.status) if error.status is not None else None
    reason = f"HubSpot answered {status} {error.reason or ''}".strip() + f" ({what})"
    if status in (401, 403):
        reason += ": check the team's HubSpot token and its scopes"
    # Another try may help after a rate limit or HubSpot's own error, not after a refusal.
    final = status is not None and 400 <= status < 500 and status not in (408, 429)
    return Outcome(status, reason, final=final)


def send(base_url: str, token: str, payload: Mapping[str, Any], settings: Settings) -> Outcome:
    email = (payload.get("customer") or {}).get("email")
    if not email:
        return Outcome(None, "not sent: the call has no customer e-mail address", final=True)
    timeout = settings.webhook_timeout_s
    client = _client(base_url, token, settings)
    step = "searching the contact"
    try:
        contact = _contact_id(client, str(email), timeout)
        if contact is None:
            return Outcome(200, f"no HubSpot contact with e-mail {email}", final=True)
        step = "searching an earlier note"
        if _meeting_id(client, str(payload["report_url"]), timeout) is not None:
            return Outcome(200, None)  # written by an earlier try whose answer was lost
        step = "creating the meeting"
        meeting = SimplePublicObjectInputForCreate(
            properties=meeting_properties(payload),
            associations=[
                PublicAssociationsForObject(
                    to=PublicObjectId(id=contact),
                    types=[
                        AssociationSpec(
                            association_category="HUBSPOT_DEFINED",
                            association_type_id=MEETING_TO_CONTACT,
                        )
                    ],
                )
            ],
        )
        client.crm.objects.meetings.basic_api.create(meeting, _request_timeout=timeout)
    except (ContactsError, MeetingsError) as error:
        return _failed(error, step)
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        return Outcome(None, f"HubSpot not reached ({step}): {type(error).__name__}: {error}"[:300])
    return Outcome(201, None)

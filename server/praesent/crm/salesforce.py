"""A call's note in Salesforce as a completed Task of subtype Call on the Contact with the
customer's e-mail, else on the (unconverted) Lead, through simple-salesforce: Salesforce
publishes no Python client, and simple-salesforce is the maintained REST client (SOQL queries,
sObject create) that the Python world uses.

The Task's Subject ends with ``[praesent <session id>]``; before creating, the Tasks of the
same person are queried for that Subject, so a retry after a lost answer writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import requests
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import SalesforceError
from simple_salesforce.format import format_soql

from praesent.crm.note import plain_text, title
from praesent.settings import Settings
from praesent.webhooks.addresses import EndpointRefusedError, resolve
from praesent.webhooks.connections import public_addresses_only
from praesent.webhooks.delivery import Outcome

SUBJECT_MAX = 255  # Task.Subject
DESCRIPTION_MAX = 32000  # Task.Description


class _BoundedSession(requests.Session):
    """Every request with a time limit (simple-salesforce passes none), no proxy or CA from
    the environment."""

    def __init__(self, timeout: float, ca_bundle: str | None) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = ca_bundle or True
        self._timeout = timeout

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def task_fields(payload: Mapping[str, Any], who_id: str) -> dict[str, str]:
    started = payload.get("started_at")
    day = datetime.fromisoformat(started).date().isoformat() if started else None
    fields = {
        "Subject": subject(payload),
        "Description": plain_text(payload)[:DESCRIPTION_MAX],
        "WhoId": who_id,
        "Status": "Completed",
        "TaskSubtype": "Call",
        "Priority": "Normal",
    }
    if day:
        fields["ActivityDate"] = day
    return fields


def subject(payload: Mapping[str, Any]) -> str:
    """The note's title within Task.Subject's 255 characters, its marker always whole."""
    full = title(payload)
    if len(full) <= SUBJECT_MAX:
        return full
    tail = full[full.rindex(" [") :]
    return full[: SUBJECT_MAX - len(tail)] + tail


def _first_id(sf: Salesforce, soql: str) -> str | None:
    records = sf.query(soql).get("records") or []
    return str(records[0]["Id"]) if records else None


def _person(sf: Salesforce, email: str) -> tuple[str, str] | None:
    contact = _first_id(
        sf,
        format_soql("SELECT Id FROM Contact WHERE Email = {} ORDER BY CreatedDate LIMIT 1", email),
    )
    if contact is not None:
        return "Contact", contact
    lead = _first_id(
        sf,
        format_soql(
            "SELECT Id FROM Lead WHERE Email = {} AND IsConverted = false "
            "ORDER BY CreatedDate LIMIT 1",
            email,
        ),
    )
    return None if lead is None else ("Lead", lead)


def _failed(error: SalesforceError, what: str) -> Outcome:
    status = int(error.status) if isinstance(error.status, int) else None
    reason = f"Salesforce answered {status} ({what})"
    if status == 401:
        reason += ": the team's Salesforce token is invalid or expired"
    content = error.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        reason += f": {content[0].get('errorCode', '')} {content[0].get('message', '')}".rstrip()
    final = status is not None and 400 <= status < 500 and status not in (408, 429)
    return Outcome(status, reason[:300], final=final)


def send(instance_url: str, token: str, payload: Mapping[str, Any], settings: Settings) -> Outcome:
    email = (payload.get("customer") or {}).get("email")
    if not email:
        return Outcome(None, "not sent: the call has no customer e-mail address", final=True)
    try:
        # Checked again at each delivery: the name may resolve elsewhere than when it was set.
        resolve(instance_url, allow_http=False, allow_private=settings.webhooks_allow_private)
    except EndpointRefusedError as error:
        return Outcome(None, f"refused: {error.message}")
    ca = str(settings.crm_ca_bundle) if settings.crm_ca_bundle is not None else None
    session = _BoundedSession(settings.webhook_timeout_s, ca)
    if not settings.webhooks_allow_private:
        # The name is checked again as each connection opens: a second DNS answer cannot
        # point the token's requests inside the network.
        public_addresses_only(session)
    step = "finding the contact"
    try:
        sf = Salesforce(
            instance_url=instance_url,
            session_id=token,
            version=settings.salesforce_api_version,
            session=session,
        )
        person = _person(sf, str(email))
        if person is None:
            return Outcome(200, f"no Salesforce contact or lead with e-mail {email}", final=True)
        _kind, who_id = person
        fields = task_fields(payload, who_id)
        step = "searching an earlier note"
        earlier = format_soql(
            "SELECT Id FROM Task WHERE WhoId = {} AND Subject = {} LIMIT 1",
            who_id,
            fields["Subject"],
        )
        if _first_id(sf, earlier) is not None:
            return Outcome(200, None)  # written by an earlier try whose answer was lost
        step = "creating the task"
        cast(SFType, sf.Task).create(fields)
    except SalesforceError as error:
        return _failed(error, step)
    except (requests.RequestException, OSError, ValueError) as error:
        return Outcome(None, f"Salesforce not reached ({step}): {type(error).__name__}"[:300])
    finally:
        session.close()
    return Outcome(201, None)

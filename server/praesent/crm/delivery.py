"""One CRM delivery: the note to the team's HubSpot (at the server's ``hubspot_api_url``) or
Salesforce (at the connection's instance URL)."""

from __future__ import annotations

from praesent.crm import hubspot, salesforce
from praesent.settings import Settings
from praesent.store.webhooks import Claim
from praesent.webhooks.delivery import Outcome


def send_note(claim: Claim, settings: Settings) -> Outcome:
    if not claim.token:
        return Outcome(None, "the CRM connection has no token", final=True)
    if claim.kind == "hubspot":
        return hubspot.send(settings.hubspot_api_url, claim.token, claim.payload, settings)
    if claim.kind == "salesforce":
        return salesforce.send(claim.url, claim.token, claim.payload, settings)
    return Outcome(None, f"unknown CRM {claim.kind!r}", final=True)

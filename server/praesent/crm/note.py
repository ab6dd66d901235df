"""What a CRM note holds and how it reads: a pure function of the session and its analysis.

The note carries the call's figures and at most three tips (numbers and fixed texts), whom the
call was with and a link to the report; never a word of the call (no transcript, no summary)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any, Literal

CrmKind = Literal["hubspot", "salesforce"]
CRM_KINDS: tuple[CrmKind, ...] = ("hubspot", "salesforce")
VENDOR_NAMES: dict[str, str] = {"hubspot": "HubSpot", "salesforce": "Salesforce"}
# The CRM gets one note per call: with the report (``report.ready``), not once per event.
NOTE_EVENT = "report.ready"
TITLE_MAX = 200
TIPS_MAX = 3

# The figures the note shows, in this order, with their labels and units.
_SHOWN: tuple[tuple[str, str, str], ...] = (
    ("duration_s", "Duration", "s"),
    ("seller_talk_pct", "Seller talk share", "%"),
    ("customer_talk_pct", "Customer talk share", "%"),
    ("questions", "Questions asked", ""),
    ("open_questions", "Open questions", ""),
    ("interruptions_by_seller", "Interruptions by the seller", ""),
    ("longest_monologue_s", "Longest seller monologue", "s"),
    ("longest_customer_story_s", "Longest customer story", "s"),
    ("patience_median_s", "Median pause before answering", "s"),
)


def note(
    session: Mapping[str, Any],
    customer: Mapping[str, Any] | None,
    made: Mapping[str, Any],
    *,
    report_url: str,
) -> dict[str, Any]:
    """The note stored in the outbox: ``session`` is ``SessionRecord.fields()``, ``made`` the
    webhook payload's ``results`` (its transcript, if any, is left out here)."""
    return {
        "type": "crm.note",
        "session_id": session["id"],
        "title": (session.get("title") or "")[:TITLE_MAX],
        "started_at": session["started_at"],
        "ended_at": session["ended_at"],
        "customer": {
            "name": (customer or {}).get("name"),
            "email": (customer or {}).get("email"),
            "company": (customer or {}).get("company"),
        },
        "report_url": report_url,
        "figures": dict(made["figures"]),
        "tips": [
            {"kind": tip["kind"], "title": tip["title"]} for tip in list(made["tips"])[:TIPS_MAX]
        ],
    }


def marker(payload: Mapping[str, Any]) -> str:
    """What identifies the note of one call in the CRM (found again before a retry writes)."""
    return f"praesent {str(payload['session_id'])[:12]}"


def title(payload: Mapping[str, Any]) -> str:
    """The note's title: the call's title (or whom it was with) and the marker."""
    customer = payload.get("customer") or {}
    name = payload.get("title") or customer.get("name") or customer.get("company") or "Call"
    return f"{name} [{marker(payload)}]"


def _number(value: Any, unit: str) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not value.is_integer():
        shown = f"{value:.1f}"
    else:
        shown = str(int(value))
    return f"{shown} {unit}".strip() if unit != "%" else f"{shown}%"


def lines(payload: Mapping[str, Any]) -> list[str]:
    """The note's text, line by line: the figures, the tips, the link to the report."""
    figures = payload.get("figures") or {}
    found = ["Call figures (praesent):"]
    for key, label, unit in _SHOWN:
        shown = _number(figures.get(key), unit)
        if shown is not None:
            found.append(f"- {label}: {shown}")
    tips = payload.get("tips") or []
    if tips:
        found.append("Tips for the next call:")
        found.extend(f"{n}. {tip['title']}" for n, tip in enumerate(tips, start=1))
    found.append(f"Report: {payload['report_url']}")
    found.append(f"({marker(payload)}: {payload['session_id']})")
    return found


def plain_text(payload: Mapping[str, Any]) -> str:
    return "\n".join(lines(payload))


def html_text(payload: Mapping[str, Any]) -> str:
    """HubSpot shows a meeting's body as rich text: one paragraph per line, escaped."""
    return "".join(f"<p>{escape(line)}</p>" for line in lines(payload))


def iso_utc(at: str | None) -> str | None:
    """An ISO time in UTC as the CRMs write it (``2026-12-07T10:00:00.000Z``)."""
    if not at:
        return None
    moment = datetime.fromisoformat(at).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

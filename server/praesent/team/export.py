"""A seller's data as a ZIP of JSON (GDPR Art. 20): the account, every session with its
analysis and event log, the token list (never the tokens) and the audit log of their reads."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from praesent.store import EventStore, SessionQuery, UserRecord


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def export_zip(store: EventStore, user: UserRecord | None) -> bytes:
    """Everything of ``user`` (None: the local owner of a server without accounts)."""
    query = SessionQuery(local_owner=True) if user is None else SessionQuery(owner_id=user.id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        account: dict[str, Any] = {"local_owner": True} if user is None else user.fields()
        archive.writestr("account.json", _json(account))
        if user is not None:
            tokens = [t.fields() for t in store.people.list_tokens(user.id)]
            archive.writestr("tokens.json", _json(tokens))
            audit = [a.fields() for a in store.people.audit_for(user.id, limit=1_000_000)]
            archive.writestr("audit.json", _json(audit))
        sessions = store.list_sessions(query=query)
        archive.writestr("sessions.json", _json([s.fields() for s in sessions]))
        for record in sessions:
            events = [
                {"seq": e.seq, "type": e.type, "at_s": e.at_s, **e.payload}
                for e in store.events_after(record.id, 0)
            ]
            archive.writestr(
                f"sessions/{record.id}.json",
                _json({"session": record.fields(), "analysis": record.analysis, "events": events}),
            )
    return buffer.getvalue()

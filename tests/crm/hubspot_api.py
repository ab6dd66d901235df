"""A HubSpot stand-in: contacts search, meetings search and create, checked against HubSpot's
published OpenAPI spec (tests/fixtures/crm/hubspot, see its README) and answered as HubSpot
does, including the meeting's associations."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.crm.stand_in import FIXTURES, Answer, Request, StandIn, schema_errors

SPEC: dict[str, Any] = json.loads(
    (FIXTURES / "hubspot" / "crm-v3-subset.openapi.json").read_text(encoding="utf-8")
)


def _component(name: str) -> dict[str, Any]:
    """A schema of the spec, its references resolved within the spec (OpenAPI 3.0's schema
    objects are JSON Schema draft 4 with extra keywords, which draft 4 ignores)."""
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "$ref": f"#/components/schemas/{name}",
        "components": SPEC["components"],
    }


def _operation(method: str, path: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = SPEC["paths"].get(path.split("?")[0], {}).get(method.lower())
    return found


def _schema_name(reference: dict[str, Any]) -> str:
    return str(reference["$ref"]).rsplit("/", 1)[-1]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class HubSpotApi(StandIn):
    def __init__(self, port: int, token: str) -> None:
        super().__init__(port)
        self.token = token
        self.contacts: dict[str, dict[str, str]] = {}
        self.meetings: dict[str, dict[str, Any]] = {}  # id -> {"properties", "contacts"}
        # The next meeting is made, but its answer is a server error (the answer was lost).
        self.lose_next_create = False
        self._next_id = 5000

    def add_contact(self, email: str, first: str, last: str) -> str:
        with self.lock:
            self._next_id += 1
            contact_id = str(self._next_id)
            self.contacts[contact_id] = {"email": email, "firstname": first, "lastname": last}
            return contact_id

    def check(self, request: Request) -> list[str]:
        operation = _operation(request.method, request.path)
        if operation is None:
            return ["no such operation in HubSpot's spec"]
        problems = []
        if not request.headers.get("authorization", "").startswith("Bearer "):
            problems.append("no bearer token (private app access token)")
        if not request.headers.get("content-type", "").startswith("application/json"):
            problems.append("the body is not sent as application/json")
        body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        name = _schema_name(body_schema)
        problems += schema_errors(request.body, _component(name))
        declared = SPEC["components"]["schemas"][name]["properties"]
        if isinstance(request.body, dict):
            problems += [f"{key}: not in {name}" for key in request.body if key not in declared]
        return problems

    def error(self, status: int, message: str) -> Answer:
        category = {401: "INVALID_AUTHENTICATION", 404: "OBJECT_NOT_FOUND"}.get(
            status, "VALIDATION_ERROR" if status < 500 else "INTERNAL_ERROR"
        )
        return Answer(
            status,
            {
                "status": "error",
                "message": message,
                "correlationId": str(uuid.uuid4()),
                "category": category,
            },
        )

    def answer(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self.error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            )
        path = request.path.split("?")[0]
        if path == "/crm/v3/objects/contacts/search":
            return self._search(request.body, self.contacts)
        if path == "/crm/v3/objects/meetings/search":
            stored = {key: m["properties"] for key, m in self.meetings.items()}
            return self._search(request.body, stored)
        if path == "/crm/v3/objects/meetings":
            return self._create_meeting(request.body)
        return self.error(404, "not found")

    def _search(self, body: Any, objects: dict[str, dict[str, str]]) -> Answer:
        if not isinstance(body, dict):
            return self.error(400, "Invalid input JSON")

        def matches(properties: dict[str, str]) -> bool:
            for group in body.get("filterGroups") or []:
                if all(
                    f.get("operator") == "EQ"
                    and str(properties.get(f["propertyName"], "")).lower()
                    == str(f.get("value", "")).lower()
                    for f in group["filters"]
                ):
                    return True
            return False

        found = [(key, props) for key, props in objects.items() if matches(props)]
        wanted = body.get("properties") or []
        results = [
            {
                "id": key,
                "properties": {name: props.get(name) for name in wanted if name in props},
                "createdAt": _now(),
                "updatedAt": _now(),
                "archived": False,
            }
            for key, props in found[: int(body.get("limit") or 10)]
        ]
        answer = {"total": len(found), "results": results}
        self._check_answer(answer, "CollectionResponseWithTotalSimplePublicObjectForwardPaging")
        return Answer(200, answer)

    def _create_meeting(self, body: Any) -> Answer:
        if not isinstance(body, dict):
            return self.error(400, "Invalid input JSON")
        contacts = []
        for association in body.get("associations") or []:
            contact_id = association["to"]["id"]
            types = association["types"]
            if contact_id not in self.contacts:
                return self.error(400, f"Association target {contact_id} does not exist")
            if types != [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}]:
                return self.error(400, f"not a meeting-to-contact association: {types}")
            contacts.append(contact_id)
        self._next_id += 1
        meeting_id = str(self._next_id)
        properties = {str(k): str(v) for k, v in body["properties"].items()}
        self.meetings[meeting_id] = {"properties": properties, "contacts": contacts}
        answer = {
            "id": meeting_id,
            "properties": {**properties, "hs_createdate": _now(), "hs_object_id": meeting_id},
            "createdAt": _now(),
            "updatedAt": _now(),
            "archived": False,
        }
        self._check_answer(answer, "SimplePublicObject")
        if self.lose_next_create:
            self.lose_next_create = False
            return self.error(500, "internal error after the meeting was stored")
        return Answer(201, answer)

    def _check_answer(self, answer: Any, name: str) -> None:
        self.violations += [f"our answer: {v}" for v in schema_errors(answer, _component(name))]

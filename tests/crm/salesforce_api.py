"""A Salesforce stand-in over https: SOQL queries of Contact, Lead and Task by the fields the
note uses, and Task create, each checked against schemas written from Salesforce's Object
Reference and REST API Developer Guide (tests/fixtures/crm/salesforce, see its README)."""

from __future__ import annotations

import json
import re
import ssl
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.crm.stand_in import FIXTURES, Answer, Request, StandIn, schema_errors

VERSION = "62.0"


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (FIXTURES / "salesforce" / name).read_text(encoding="utf-8")
    )
    return loaded


TASK = _schema("Task.create.schema.json")
QUERY_ANSWER = _schema("query.response.schema.json")
CREATE_ANSWER = _schema("create.response.schema.json")
ERROR_ANSWER = _schema("error.response.schema.json")

# A SOQL string literal: quotes and backslashes escaped with a backslash.
_LITERAL = r"'((?:[^'\\]|\\.)*)'"
QUERIES = {
    "Contact": re.compile(
        rf"SELECT Id FROM Contact WHERE Email = {_LITERAL} ORDER BY CreatedDate LIMIT 1"
    ),
    "Lead": re.compile(
        rf"SELECT Id FROM Lead WHERE Email = {_LITERAL} AND IsConverted = false "
        r"ORDER BY CreatedDate LIMIT 1"
    ),
    "Task": re.compile(
        rf"SELECT Id FROM Task WHERE WhoId = {_LITERAL} AND Subject = {_LITERAL} LIMIT 1"
    ),
}


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal)


class SalesforceApi(StandIn):
    def __init__(self, port: int, token: str, tls: ssl.SSLContext) -> None:
        super().__init__(port, tls)
        self.token = token
        self.contacts: dict[str, str] = {}  # Id -> Email
        self.leads: dict[str, str] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        # The next task is made, but its answer is a server error (the answer was lost).
        self.lose_next_create = False
        self._serial = 0

    def _id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial:012d}AAA"

    def add_contact(self, email: str) -> str:
        with self.lock:
            contact_id = self._id("003")
            self.contacts[contact_id] = email
            return contact_id

    def add_lead(self, email: str) -> str:
        with self.lock:
            lead_id = self._id("00Q")
            self.leads[lead_id] = email
            return lead_id

    def _route(self, request: Request) -> str | None:
        path = urlsplit(request.path).path
        base = f"/services/data/v{VERSION}"
        if request.method == "GET" and path in (f"{base}/query/", f"{base}/query"):
            return "query"
        if request.method == "POST" and path in (f"{base}/sobjects/Task/", f"{base}/sobjects/Task"):
            return "create"
        return None

    def check(self, request: Request) -> list[str]:
        route = self._route(request)
        if route is None:
            return ["not a REST API resource the note uses"]
        problems = []
        if not request.headers.get("authorization", "").startswith("Bearer "):
            problems.append("no OAuth bearer token")
        if route == "query":
            soql = parse_qs(urlsplit(request.path).query).get("q", [""])[0]
            if not any(pattern.fullmatch(soql) for pattern in QUERIES.values()):
                problems.append(f"not a query of the expected form: {soql!r}")
        else:
            if not request.headers.get("content-type", "").startswith("application/json"):
                problems.append("the body is not sent as application/json")
            problems += schema_errors(request.body, TASK)
        return problems

    def error(self, status: int, message: str) -> Answer:
        code = {401: "INVALID_SESSION_ID", 400: "MALFORMED_QUERY", 404: "NOT_FOUND"}.get(
            status, "UNKNOWN_EXCEPTION"
        )
        answer = [{"message": message, "errorCode": code}]
        self._check_answer(answer, ERROR_ANSWER)
        return Answer(status, answer)

    def answer(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self.error(401, "Session expired or invalid")
        route = self._route(request)
        if route == "query":
            return self._query(parse_qs(urlsplit(request.path).query).get("q", [""])[0])
        if route == "create":
            return self._create(request.body)
        return self.error(404, "The requested resource does not exist")

    def _query(self, soql: str) -> Answer:
        for kind, pattern in QUERIES.items():
            match = pattern.fullmatch(soql)
            if match is None:
                continue
            values = [_unescape(v) for v in match.groups()]
            if kind == "Contact":
                ids = [i for i, e in self.contacts.items() if e.lower() == values[0].lower()]
            elif kind == "Lead":
                ids = [i for i, e in self.leads.items() if e.lower() == values[0].lower()]
            else:
                ids = [
                    i
                    for i, t in self.tasks.items()
                    if t["WhoId"] == values[0] and t["Subject"] == values[1]
                ]
            records = [
                {
                    "attributes": {
                        "type": kind,
                        "url": f"/services/data/v{VERSION}/sobjects/{kind}/{i}",
                    },
                    "Id": i,
                }
                for i in ids[:1]
            ]
            answer = {"totalSize": len(records), "done": True, "records": records}
            self._check_answer(answer, QUERY_ANSWER)
            return Answer(200, answer)
        return self.error(400, f"unexpected SOQL: {soql}")

    def _create(self, body: Any) -> Answer:
        if schema_errors(body, TASK):
            return self.error(400, "INVALID_FIELD or bad value")
        who = body.get("WhoId")
        if who not in self.contacts and who not in self.leads:
            return self.error(400, f"invalid cross reference id: {who}")
        task_id = self._id("00T")
        self.tasks[task_id] = dict(body)
        answer = {"id": task_id, "success": True, "errors": []}
        self._check_answer(answer, CREATE_ANSWER)
        if self.lose_next_create:
            self.lose_next_create = False
            return self.error(500, "internal error after the task was stored")
        return Answer(201, answer)

    def _check_answer(self, answer: Any, schema: dict[str, Any]) -> None:
        self.violations += [f"our answer: {v}" for v in schema_errors(answer, schema)]

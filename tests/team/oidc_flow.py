"""Drive a real OpenID Connect provider's login pages like a browser: follow redirects, fill
the development login form (any name, any password) and the consent form."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        if tag == "input" and "name" in values and values.get("type") != "submit":
            self.fields.setdefault(values["name"], values.get("value", ""))


def run_login(client: httpx.Client, start: str, login: str, stop_at: str) -> str:
    """From ``start``, through the provider's forms, to the first redirect to an address that
    begins with ``stop_at``; that address is returned, not opened."""
    response = client.get(start)
    for _ in range(20):
        if response.is_redirect:
            target = urljoin(str(response.request.url), response.headers["location"])
            if target.startswith(stop_at):
                return target
            response = client.get(target)
            continue
        form = _Form()
        form.feed(response.text)
        assert form.action is not None, response.text[:500]
        fields = dict(form.fields)
        if "login" in fields:
            fields["login"] = login
            fields["password"] = "any password"
        response = client.post(urljoin(str(response.request.url), form.action), data=fields)
    raise AssertionError("the provider's login did not end")

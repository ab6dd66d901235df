"""The prompt's local endpoint: its token, its limits, malformed answers, a call that ended."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from praesent.agent.memory import Memory, Place
from praesent.agent.prompt import Answer, PromptRequest, PromptServer


@pytest.fixture
def served() -> Iterator[tuple[PromptServer, list[tuple[str, Answer]]]]:
    answers: list[tuple[str, Answer]] = []
    server = PromptServer(lambda prompt_id, answer: answers.append((prompt_id, answer)) is None)
    server.start()
    yield server, answers
    server.stop()


def _request(prompt_id: str = "abc123") -> PromptRequest:
    return PromptRequest(prompt_id, "Zoom", "Weekly sync", "Jo <b>", True, "series-1", "ACME <i>")


def test_the_page_asks_and_its_answer_reaches_the_agent(
    served: tuple[PromptServer, list[tuple[str, Answer]]],
) -> None:
    server, answers = served
    url = server.open(_request())
    page = httpx.get(url, timeout=5)
    assert page.status_code == 200
    assert "Call with ACME &lt;i&gt; started: coach this call?" in page.text
    assert "Remember for this series" in page.text
    assert 'id="informed" checked' in page.text
    base = url.split("?")[0]
    body = {"coach": True, "customer_informed": False, "remember": True}
    headers = {"X-Praesent-Agent": server.token}
    assert httpx.post(f"{base}/answer", json=body, headers=headers, timeout=5).status_code == 204
    assert answers == [("abc123", Answer(True, False, True))]
    # Answered once: the prompt is gone.
    assert httpx.post(f"{base}/answer", json=body, headers=headers, timeout=5).status_code == 410
    assert httpx.get(url, timeout=5).status_code == 410


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b'{"coach": "yes", "customer_informed": true, "remember": false}', 400),
        (b'{"coach": true}', 400),
        (b'{"coach": true, "customer_informed": true, "remember": false, "x": 1}', 400),
        (b"[" * 2000, 413),
    ],
)
def test_malformed_answers_are_refused(
    served: tuple[PromptServer, list[tuple[str, Answer]]], body: bytes, status: int
) -> None:
    server, answers = served
    base = server.open(_request()).split("?")[0]
    headers = {"X-Praesent-Agent": server.token, "Content-Type": "application/json"}
    sent = httpx.post(f"{base}/answer", content=body, headers=headers, timeout=5)
    assert sent.status_code == status
    assert answers == []


def test_without_the_token_nothing_is_shown_or_answered(
    served: tuple[PromptServer, list[tuple[str, Answer]]],
) -> None:
    server, answers = served
    url = server.open(_request())
    base = url.split("?")[0]
    assert httpx.get(base + "?token=wrong", timeout=5).status_code == 403
    body = {"coach": True, "customer_informed": True, "remember": False}
    wrong = {"X-Praesent-Agent": "wrong"}
    assert httpx.post(f"{base}/answer", json=body, headers=wrong, timeout=5).status_code == 403
    assert httpx.get(f"http://127.0.0.1:{server.port}/other", timeout=5).status_code == 404
    assert answers == []


def test_memory_keeps_answers_per_app_and_series_and_the_window_place(tmp_path: Path) -> None:
    path = tmp_path / "agent.json"
    memory = Memory.load(path)
    memory.remember("slack", None, "never")
    memory.remember("zoom", "weekly-acme", "always")
    memory.place_window(Place(10, 20, 360, 240))
    again = Memory.load(path)
    assert again.choice("slack", None) == "never"
    assert again.choice("zoom", "weekly-acme") == "always"
    assert again.choice("zoom", None) is None
    assert again.window == Place(10, 20, 360, 240)
    path.write_text('{"apps": {"zoom": "maybe", "<bad>": "never"}, "window": {"x": "a"}}')
    broken = Memory.load(path)
    assert broken.apps == {} and broken.window is None

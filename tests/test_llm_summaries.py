"""The optional chat endpoint, against a small stand-in server that speaks the OpenAI chat
completions protocol on 127.0.0.1 (a real HTTP server in a thread)."""

from __future__ import annotations

import threading

from praesent.core import analyse
from praesent.core.events import Transcript
from praesent.core.summary import TopicItem
from praesent.summaries_llm import LlmOptions, abstractive_topics
from tests.core.topic_calls import de_call, en_call
from tests.core.topic_helpers import script
from tests.llm_stand_in import StandIn, stand_in

__all__ = ["stand_in"]  # the fixture


def _call(language: str = "en") -> tuple[tuple[TopicItem, ...], list[Transcript]]:
    s = script(en_call() if language == "en" else de_call())
    events, summary = analyse(s.facts, s.duration_s, language=language)
    return summary.topics, [e for e in events if isinstance(e, Transcript)]


def test_the_endpoint_rewrites_each_summary(stand_in: StandIn) -> None:
    topics, transcript = _call()
    options = LlmOptions(base_url=stand_in.url, model="tiny", api_key="secret", timeout_s=5)
    out = abstractive_topics(topics, transcript, options)
    assert [t.summary for t in out] == [
        ("Invoices are written by hand in spreadsheets.", "About 2000 a month.")
    ] * 3
    assert [(t.start_s, t.end_s, t.title, t.key_phrases) for t in out] == [
        (t.start_s, t.end_s, t.title, t.key_phrases) for t in topics
    ]
    first = stand_in.requests[0]
    assert first["model"] == "tiny" and first["temperature"] == 0
    system, user = first["messages"]
    assert "CUSTOMER" in system["content"] and "English" in system["content"]
    assert "Customer: We handle invoicing by hand" in user["content"]
    assert "Moving on" not in user["content"]  # only this topic's words
    assert stand_in.headers[0]["Authorization"] == "Bearer secret"


def test_german_calls_ask_for_german(stand_in: StandIn) -> None:
    topics, transcript = _call("de")
    options = LlmOptions(base_url=stand_in.url, model="tiny")
    abstractive_topics(topics[:1], transcript, options, language="de")
    assert "German" in stand_in.requests[0]["messages"][0]["content"]
    assert "Authorization" not in stand_in.headers[0]


def test_timeout_keeps_the_extractive_summary(stand_in: StandIn) -> None:
    topics, transcript = _call()
    # The stand-in answers only once the call has returned: a call that waited for it past its
    # timeout would get the rewritten summary, not the extractive one.
    stand_in.hold = threading.Event()
    options = LlmOptions(base_url=stand_in.url, model="tiny", timeout_s=0.2)
    try:
        assert abstractive_topics(topics[:1], transcript, options) == topics[:1]
        assert stand_in.answered == 0
    finally:
        stand_in.hold.set()
    assert len(stand_in.requests) == 1


def test_server_error_keeps_the_extractive_summary(stand_in: StandIn) -> None:
    topics, transcript = _call()
    stand_in.status = 500
    options = LlmOptions(base_url=stand_in.url, model="tiny", timeout_s=5)
    assert abstractive_topics(topics, transcript, options) == topics
    assert len(stand_in.requests) == 3


def test_unusable_answers_and_no_endpoint_keep_the_extractive_summary(stand_in: StandIn) -> None:
    topics, transcript = _call()
    stand_in.answer = "   \n"
    options = LlmOptions(base_url=stand_in.url, model="tiny", timeout_s=5)
    assert abstractive_topics(topics, transcript, options) == topics
    assert abstractive_topics(topics, transcript, None) == topics
    closed = LlmOptions(base_url="http://127.0.0.1:9/v1", model="tiny", timeout_s=1)
    assert abstractive_topics(topics, transcript, closed) == topics

"""Optional abstractive topic summaries from an OpenAI-compatible chat endpoint, after the call.

The core's extractive summary (``praesent.core.summaries``) is the default and always there. When
the user configures a chat endpoint (a local Ollama or llama.cpp server, or any service speaking
the OpenAI chat completions protocol), ``abstractive_topics`` asks it to rewrite each topic's
summary for the analysis and report; on a timeout, an HTTP error or an answer it cannot use, the
topic keeps its extractive summary. It is never used live: the overlay shows the core's summary.

Privacy: with an endpoint configured, the transcript of every topic (both roles' words, labelled
"Seller" and "Customer", with the call's language) leaves this process and goes to that endpoint
over HTTP. Point it at a server you run yourself (e.g. ``http://127.0.0.1:11434/v1`` for
Ollama) unless the customer agreed to more. Nothing is sent when no endpoint is set.

The request: ``POST {base_url}/chat/completions`` with ``Authorization: Bearer {api_key}`` when
a key is set, ``temperature`` 0 and these messages::

    system: You summarise one topic of a sales call for the seller. Write what the CUSTOMER
            said in this topic: their main points, needs and concerns, in one to three short
            lines of at most 15 words each, in {language name}. Use only facts the customer
            stated; do not add advice, greetings or anything the customer did not say. Answer
            with the lines only, one per line, without numbering.
    user:   Topic: {title}
            Key phrases: {key phrases, comma-separated}
            Transcript:
            Seller: ...
            Customer: ...

The answer's lines (bullets and numbering stripped, empty lines dropped) become the summary, at
most ``max_lines`` of them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from praesent.core.events import Transcript, seconds
from praesent.core.facts import to_samples
from praesent.core.summary import TopicItem
from praesent.settings import Settings

LANGUAGE_NAMES = {"de": "German", "en": "English"}
SYSTEM_PROMPT = (
    "You summarise one topic of a sales call for the seller. Write what the CUSTOMER said in "
    "this topic: their main points, needs and concerns, in one to three short lines of at most "
    "15 words each, in {language}. Use only facts the customer stated; do not add advice, "
    "greetings or anything the customer did not say. Answer with the lines only, one per line, "
    "without numbering."
)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s*")


@dataclass(frozen=True, slots=True)
class LlmOptions:
    """Where the chat endpoint is: ``base_url`` up to and including ``/v1``."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0
    max_lines: int = 3
    max_tokens: int = 200


def language_name(language: str) -> str:
    code = language.lower().replace("_", "-").split("-")[0]
    return LANGUAGE_NAMES.get(code, "English")


def topic_messages(
    topic: TopicItem, transcript: Sequence[Transcript], language: str
) -> list[dict[str, str]]:
    """The chat messages for one topic (see the module docstring)."""
    lines = [
        f"{'Customer' if t.role == 'customer' else 'Seller'}: {t.text}"
        for t in transcript
        if topic.start_s <= seconds(t.sample) < topic.end_s and t.text
    ]
    user = (
        f"Topic: {topic.title}\nKey phrases: {', '.join(topic.key_phrases)}\nTranscript:\n"
        + "\n".join(lines)
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(language=language_name(language))},
        {"role": "user", "content": user},
    ]


def _lines(answer: str, max_lines: int) -> tuple[str, ...]:
    out = [_BULLET.sub("", line).strip() for line in answer.splitlines()]
    return tuple(line for line in out if line)[:max_lines]


def _ask(client: httpx.Client, options: LlmOptions, messages: list[dict[str, str]]) -> str | None:
    headers = {"Authorization": f"Bearer {options.api_key}"} if options.api_key else {}
    try:
        response = client.post(
            options.base_url.rstrip("/") + "/chat/completions",
            json={
                "model": options.model,
                "messages": messages,
                "temperature": 0,
                "max_tokens": options.max_tokens,
                "stream": False,
            },
            headers=headers,
            timeout=options.timeout_s,
        )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def abstractive_topics(
    topics: Sequence[TopicItem],
    transcript: Sequence[Transcript],
    options: LlmOptions | None,
    language: str = "en",
    client: httpx.Client | None = None,
) -> tuple[TopicItem, ...]:
    """Each topic with its summary rewritten by the chat endpoint; a topic keeps its extractive
    summary when no endpoint is set, the customer said nothing in it, or the request fails or
    times out."""
    if options is None or not topics:
        return tuple(topics)
    own = client is None
    http = client if client is not None else httpx.Client()
    try:
        out: list[TopicItem] = []
        for topic in topics:
            if not topic.summary:
                out.append(topic)
                continue
            answer = _ask(http, options, topic_messages(topic, transcript, language))
            lines = _lines(answer, options.max_lines) if answer is not None else ()
            out.append(dataclasses.replace(topic, summary=lines) if lines else topic)
        return tuple(out)
    finally:
        if own:
            http.close()


def options_from_settings(settings: Settings) -> LlmOptions | None:
    if settings.llm_base_url is None:
        return None
    return LlmOptions(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
    )


def with_abstractive_summaries(
    analysis: dict[str, Any], options: LlmOptions | None
) -> dict[str, Any]:
    """The analysis with its topics' summaries rewritten by the endpoint (a copy; unchanged when
    no endpoint is configured or the analysis has no topics)."""
    if options is None or not analysis.get("topics"):
        return analysis
    topics = [
        TopicItem(
            t["start_s"], t["end_s"], t["title"], tuple(t["summary"]), tuple(t["key_phrases"])
        )
        for t in analysis["topics"]
    ]
    transcript = [
        Transcript(
            sample=to_samples(u["start_s"]),
            role=u["role"],
            end_sample=to_samples(u["end_s"]),
            text=u["text"],
            words=(),
        )
        for u in analysis.get("utterances", [])
        if u.get("role") in ("seller", "customer")
    ]
    rewritten = abstractive_topics(topics, transcript, options, analysis.get("language", "en"))
    return {**analysis, "topics": [topic.to_dict() for topic in rewritten]}

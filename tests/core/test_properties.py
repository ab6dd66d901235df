"""Properties over random calls: talk times within bounds, and the same events however the facts
are fed (one by one, in one batch, with extra Ticks anywhere)."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from praesent.core import Conversation, Tick, facts_from_segments, summarise
from praesent.core.events import Balance, Event
from praesent.core.facts import Fact, Role, Utterance, Word, to_samples

VOCABULARY = [
    "mhm",
    "yeah",
    "right",
    "what",
    "do",
    "you",
    "use",
    "wie",
    "bitte",
    "ok",
    "no",
    "SAP?",
]


@st.composite
def calls(draw: st.DrawFn) -> tuple[list[Fact], int]:
    """A random two-role call in live order: activity by time, each utterance some lag after its
    end; returns the facts and the call's end sample."""
    segments: list[tuple[Role, int, int]] = []
    utterances: list[tuple[int, Utterance]] = []
    end = 0
    for role in ("seller", "customer"):
        t = to_samples(draw(st.floats(0, 3)))
        for _ in range(draw(st.integers(0, 12))):
            start = t + draw(st.integers(160, 16000 * 4))  # gaps of 10 ms .. 4 s
            stop = start + draw(st.integers(160, 16000 * 6))
            segments.append((role, start, stop))
            t = stop
            if draw(st.booleans()):
                n = draw(st.integers(1, 4))
                step = (stop - start) // n
                words = tuple(
                    Word(
                        draw(st.sampled_from(VOCABULARY)), start + i * step, start + (i + 1) * step
                    )
                    for i in range(n)
                )
                text = " ".join(w.text for w in words)
                lag = draw(st.integers(0, 16000 * 3))
                utterances.append((stop + lag, Utterance(role, start, stop, text, words)))
        end = max(end, t)
    facts: list[Fact] = list(facts_from_segments(segments))
    keyed: list[tuple[int, int, Fact]] = [(f.sample, 0, f) for f in facts]  # type: ignore[union-attr]
    keyed += [(arrival, 1, u) for arrival, u in utterances]
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [f for _, _, f in keyed], end + to_samples(draw(st.floats(0, 2)))


def _activity_sample(fact: Fact) -> int | None:
    return None if isinstance(fact, Utterance) else fact.sample


def _with_ticks(
    facts: list[Fact], end: int, draw: Callable[[SearchStrategy[int]], int]
) -> list[Fact]:
    """Extra Ticks between facts, each no earlier than the audio fed and no later than the next
    activity fact (or the call's end)."""
    out: list[Fact] = []
    horizon = 0
    for i, fact in enumerate([*facts, None]):
        upcoming = next((s for f in facts[i:] if (s := _activity_sample(f)) is not None), end)
        for _ in range(draw(st.integers(0, 2))):
            tick = draw(st.integers(horizon, upcoming))
            out.append(Tick(tick))
            horizon = tick
        if fact is None:
            break
        out.append(fact)
        sample = _activity_sample(fact)
        if sample is not None:
            horizon = sample
    return out


def _batch(facts: list[Fact], end: int) -> list[Event]:
    conversation = Conversation()
    return conversation.feed_many(facts) + conversation.finish(end)


def _one_by_one(facts: list[Fact], end: int) -> list[Event]:
    conversation = Conversation()
    events: list[Event] = []
    for fact in facts:
        events += conversation.feed(fact)
    return events + conversation.finish(end)


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(calls(), st.data())
def test_same_events_one_by_one_in_batch_and_with_extra_ticks(
    call: tuple[list[Fact], int], data: st.DataObject
) -> None:
    facts, end = call
    batch = _batch(facts, end)
    assert _one_by_one(facts, end) == batch
    ticked = _with_ticks(facts, end, data.draw)
    assert _batch(ticked, end) == batch


@FAST
@given(calls())
def test_talk_times_within_bounds(call: tuple[list[Fact], int]) -> None:
    facts, end = call
    events = _batch(facts, end)
    duration_s = end / 16000
    summary = summarise(events, duration_s)
    for talk in (summary.seller_talk_s, summary.customer_talk_s):
        assert 0 <= talk <= duration_s + 1e-9
    assert 0 <= summary.overlap_s <= min(summary.seller_talk_s, summary.customer_talk_s) + 1e-9
    if summary.seller_share is not None:
        assert 0 <= summary.seller_share <= 1
    for b in events:
        if isinstance(b, Balance):
            assert 0 <= b.seller_s <= b.at_s + 1e-9 and 0 <= b.customer_s <= b.at_s + 1e-9
            assert b.overlap_s <= min(b.seller_s, b.customer_s) + 1e-9
            assert b.window_seller_s <= b.seller_s and b.window_customer_s <= b.customer_s
    for t in summary.turns:
        assert 0 <= t.start_s <= t.end_s <= duration_s + 0.0005  # rounded to ms


@FAST
@given(calls())
def test_every_contribution_lies_in_the_call(call: tuple[list[Fact], int]) -> None:
    facts, end = call
    summary = summarise(_batch(facts, end), end / 16000)
    times = [i.at_s for i in summary.interruptions] + [b.at_s for b in summary.backchannels]
    times += [e.at_s for e in summary.early_starts]
    for at_s in times:
        assert 0 <= at_s <= end / 16000
    for i in summary.interruptions:
        assert i.by != i.of and i.recovered is not None

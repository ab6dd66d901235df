"""The echo gate's wait for its delay search, on the real phone call: while both channels sound
and no echo is known, frames wait up to 256 ms so that the other side's first words are
removed too; once the search has heard no echo over a second of both sounding, the call
has none, and nothing waits any more (every event of a call without echo came 256 ms later
for the first 10 s of double talk)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from praesent.audio.echo import EchoGate, EchoOptions
from praesent.evaluation import degrade
from praesent.evaluation.corpus import phonecall
from tests.support import SHARED_DATA, shared

Call = npt.NDArray[np.float32]
PIECE = 3200  # 200 ms, a live tick
# The wait kept for the whole budget, the search every 32 ms.
KEPT = EchoOptions(hold_until_no_echo_ms=10**9, steady_search_every=1)


def _call() -> Call:
    shared("en-phonecall-2spk/sample.wav")
    return np.asarray(phonecall(SHARED_DATA).audio, dtype=np.float32)


def _gate(
    call: Call, options: EchoOptions | None = None
) -> tuple[list[Call], list[float], EchoGate]:
    """The output and, after each push, how far it is behind the input (ms)."""
    gate = EchoGate(options)
    out: list[list[Call]] = [[], []]
    behind: list[float] = []
    received = emitted = 0
    for start in range(0, call.shape[1], PIECE):
        pieces = gate.push([c[start : start + PIECE] for c in call])
        received += min(PIECE, call.shape[1] - start)
        emitted += pieces[0].shape[0]
        behind.append((received - emitted) / 16)
        for index, piece in enumerate(pieces):
            out[index].append(piece)
    for index, piece in enumerate(gate.finish()):
        out[index].append(piece)
    return [np.concatenate(pieces) for pieces in out], behind, gate


def test_a_call_without_echo_stops_waiting() -> None:
    """The phone call as recorded (each side on its own channel, no echo, with double talk),
    three times in a row (90 s, 450 ticks): 3 ticks' output more than 100 ms behind, all in
    the first 30 s; with the wait kept, 24 (up to 280 ms behind), 16 of them after the first
    30 s. The search itself is the same."""
    call = np.concatenate([_call()] * 3, axis=1)
    _, behind, gate = _gate(call)
    _, behind_kept, kept = _gate(call, KEPT)
    first = 30 * 1000 // 200
    assert sum(b > 100 for b in behind) <= 3
    assert sum(b > 100 for b in behind[first:]) == 0
    assert sum(b > 100 for b in behind_kept) >= 20
    assert sum(b > 100 for b in behind_kept[first:]) >= 10
    assert max(behind_kept) >= 250
    assert gate.delays_ms == kept.delays_ms == (None, None)
    assert gate.searches == kept.searches


def test_a_call_with_echo_still_waits_for_its_delay() -> None:
    """The customer's echo in the seller's microphone (-18 dB, 60 ms): the delay is found
    before the search could give up, so the output is the same as with the wait kept."""
    echoed = np.asarray(degrade.echo(_call(), -18, 60), dtype=np.float32)
    out, behind, _ = _gate(echoed)
    out_kept, behind_kept, _ = _gate(echoed, KEPT)
    assert behind == behind_kept
    assert max(behind) >= 150  # the first words waited for the delay (measured 168 ms)
    for index in (0, 1):
        np.testing.assert_array_equal(out[index], out_kept[index])

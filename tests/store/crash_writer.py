"""A writer process for test_crash.py: appends batches to a session until it is killed.

    python crash_writer.py URL SESSION_ID BATCH_SIZE BATCHES MODE

It prints ``committed N`` after each committed append (N = last seq). MODE ``hold`` then starts
one more append and stops inside its transaction, after the INSERT, printing ``holding``;
MODE ``run`` keeps appending as fast as it can. Either way it waits to be killed.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from sqlalchemy import event

from praesent.store import EventStore, StoredEvent


def _batch(first: int, size: int) -> list[StoredEvent]:
    return [StoredEvent(s, "activity", s * 0.02, {"seq": s}) for s in range(first, first + size)]


def main(url: str, session_id: str, size: int, batches: int, mode: str) -> None:
    store = EventStore(url)
    last = 0
    for _ in range(batches):
        store.append(session_id, _batch(last + 1, size))
        last += size
        print(f"committed {last}", flush=True)

    if mode == "hold":

        def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
                print("holding", flush=True)
                time.sleep(3600)

        event.listen(store.engine, "after_cursor_execute", hold)
        store.append(session_id, _batch(last + 1, size))
    else:
        while True:
            store.append(session_id, _batch(last + 1, size))
            last += size
            print(f"committed {last}", flush=True)


if __name__ == "__main__":
    url, session_id, size, batches, mode = sys.argv[1:]
    main(url, session_id, int(size), int(batches), mode)

"""The knowledge base opened from several threads at once, as the action server's first calls do
(actions/off_loop.py runs each action in a worker thread): each thread gets a working session.
Before the factory was made under a lock, Alembic's upgrade ran in every thread at once and
all but one failed (``KeyError: 'script'``)."""
from __future__ import annotations

import threading

from sqlalchemy import text

from knowledge import db


def test_first_sessions_from_many_threads(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    errors: list[str] = []
    start = threading.Barrier(8)

    def open_one() -> None:
        start.wait()
        try:
            with db.open_session(url) as session:
                session.execute(text("SELECT COUNT(*) FROM documents")).scalar_one()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(exc))

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

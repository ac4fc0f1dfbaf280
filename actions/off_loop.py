"""Report actions run off the action server's event loop, with a time limit.

The knowledge base is read and written synchronously (SQLAlchemy); on SQLite a writer waits
for another process's lock up to ``busy_timeout`` (30 s).  Run on the event loop, that wait
stalled every user's answer.  :class:`OffLoop` runs an action in a worker thread (its own
short-lived event loop, its own dispatcher) and, when it takes longer than
``ACTION_DB_TIMEOUT`` seconds, answers "hệ thống bận" instead; other users are served meanwhile.
A save that finishes after the reply is still exactly-once: the confirmation's idempotency
key finds it when the user presses "Xác nhận" again.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)

DB_TIMEOUT = float(os.environ.get("ACTION_DB_TIMEOUT", "10"))
BUSY = ("Hệ thống đang bận (cơ sở dữ liệu chưa phản hồi), thầy/cô vui lòng thử lại sau ít phút. "
        "Thông tin chưa xác nhận không bị mất.")


class OffLoop:
    """Mixin, first among the bases: ``class ActionX(OffLoop, Action)``; the action's work goes
    in ``async def act`` (same arguments as ``run``).  A form validation action defines no
    ``act``: its whole ``FormValidationAction.run`` goes to the thread."""

    busy_text: str = BUSY  # what the user reads when the database does not answer in time

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await super().run(dispatcher, tracker, domain)  # type: ignore[misc]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        own = CollectingDispatcher()

        def work() -> Any:
            return asyncio.run(self.act(own, tracker, domain))

        try:
            events = await asyncio.wait_for(asyncio.to_thread(work), DB_TIMEOUT)
        except asyncio.TimeoutError:
            logger.warning("%s took over %.0f s (database busy?)", type(self).__name__, DB_TIMEOUT)
            dispatcher.utter_message(text=self.busy_text)
            return []
        dispatcher.messages.extend(own.messages)
        return events


__all__ = ["OffLoop", "BUSY", "DB_TIMEOUT"]

"""Three things Rasa 3.6 does under load, mended (installed by bot/rasa_server.py).

**CPU spent for nothing.**
Measured with py-spy on the production set-up (bot/prod.py) under 20 concurrent reporters: 44% of
each replica's CPU went to ``RemoteAction._validate_action_result``, which calls
``jsonschema.validate(result, schema)`` after every action-server call.  ``jsonschema.validate``
first checks the *schema* against its meta-schema (Draft 2020-12 with ``$dynamicRef``: thousands
of small validations) and builds a new validator, every time, for a schema that never changes.
A report turn makes one to three action calls (form validation, custom questions, submit), a
greeting none, so this cost alone made a report turn several greetings long.

Here the schema is checked once and its validator kept; each response is still validated in
full against it and a wrong response raises the same ``ValidationError`` (the best match, as
``jsonschema.validate`` picks it) with Rasa's explanation appended.

**A restarting action server fails the turn.**  While the action server is down (a crash, a
``kill -9``, a deploy: it listens again a few seconds later), Rasa answers every turn that needs
an action with nothing, and the form question or the saved report is lost from that turn; the
user must say it again, in a conversation whose state may have moved on.  A call that could not
*connect* never reached the action server, so nothing ran and it is safe to make again: it is
retried for up to ``ACTION_CONNECT_PATIENCE`` seconds (default 20); the turn is just slower.  A
call cut off after it was sent (the server died mid-action) is not retried: the action may have
run, and the user's resend goes through the actions' own idempotency (the report session key).

**Every message at once.**  A replica starts handling every message the moment it arrives, and
they take turns on its one event loop: each time a turn waits for the action server, it goes
back to the end of a queue holding every other message in progress.  A greeting (no action
call) waits in that queue once; a report turn (one to three calls) two to four times, so under
load it took three to four greetings' time, whatever the CPU per turn.  Here each process
handles at most ``RASA_MAX_CONCURRENT_MESSAGES`` messages (default 4: enough to keep the CPU
busy while some wait for the action server) and the others wait their turn in arrival order
(after taking their conversation's lock, so the lock's lease is renewed meanwhile).  Waiting is
then the same for every kind of message, and what differs is only the work each needs.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for


logger = logging.getLogger(__name__)

CONNECT_PATIENCE = float(os.environ.get("ACTION_CONNECT_PATIENCE", "20"))
CONNECT_RETRY_PAUSE = 0.25
MAX_CONCURRENT_MESSAGES = int(os.environ.get("RASA_MAX_CONCURRENT_MESSAGES", "4"))


@lru_cache(maxsize=1)
def _action_response_validator():
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_response(result: dict[str, Any]) -> bool:
    """What ``RemoteAction._validate_action_result`` does, with the validator built once."""
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (". Failed to validate Action server response from API, make sure your response "
                      f"from the Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
    raise error


def never_connected(exc: BaseException) -> bool:
    """Whether Rasa's error for an action call comes from a connection that was never made."""
    from aiohttp import ClientConnectorError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ClientConnectorError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def install() -> None:
    """Patch this process's ``RemoteAction`` (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.exceptions import RasaException

    if MAX_CONCURRENT_MESSAGES > 0 and not getattr(MessageProcessor.handle_message, "gated", False):
        handle_now = MessageProcessor.handle_message
        gate = asyncio.Semaphore(MAX_CONCURRENT_MESSAGES)  # bound to a loop on first use (after fork)

        async def handle_message(self, message: Any) -> Any:
            async with gate:
                return await handle_now(self, message)

        handle_message.gated = True  # type: ignore[attr-defined]
        MessageProcessor.handle_message = handle_message
    RemoteAction._validate_action_result = lambda self, result: validate_action_response(result)
    if getattr(RemoteAction.run, "retries_connect", False):
        return
    run_once = RemoteAction.run

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + CONNECT_PATIENCE
        while True:
            try:
                return await run_once(self, *args, **kwargs)
            except RasaException as exc:
                if not never_connected(exc) or time.monotonic() >= deadline:
                    raise
                logger.warning("Máy chủ hành động chưa nhận kết nối; gọi lại %s", self.name())
                await asyncio.sleep(CONNECT_RETRY_PAUSE)

    run.retries_connect = True  # type: ignore[attr-defined]
    RemoteAction.run = run

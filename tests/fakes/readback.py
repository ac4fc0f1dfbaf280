"""What the channel tests read back besides the fakes: the reports stored for a chat user of a
channel, the reporter registered, and the user events of a conversation in Rasa's tracker."""
from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup_units(kb: str) -> None:
    """The sample units (samples/units.csv), imported once more if already there (idempotent)."""
    import reporting
    from knowledge.db import open_session

    with open_session(kb) as s:
        reporting.import_units(ROOT / "samples" / "units.csv", session=s)


def reporter(kb: str, channel: str, user: str):
    import reporting
    from knowledge.db import open_session

    with open_session(kb) as s:
        return reporting.get_reporter(channel, user, session=s)


def approve(kb: str, reporter_id: int):
    import reporting
    from knowledge.db import open_session

    with open_session(kb) as s:
        return reporting.approve_reporter(reporter_id, session=s)


def stored(kb: str, channel: str, user: str) -> list[tuple[int, float, str]]:
    """(revision, value, period) of every revision saved by this channel user."""
    from sqlalchemy import select

    from knowledge.db import open_session
    from reporting.models import Report, Reporter, ReportRevision

    with open_session(kb) as s:
        ids = select(Reporter.id).where(Reporter.channel == channel, Reporter.channel_user == user)
        rows = s.execute(select(ReportRevision.revision, ReportRevision.value, Report.period_label)
                         .join(Report, Report.id == ReportRevision.report_id)
                         .where(ReportRevision.reporter_id.in_(ids))
                         .order_by(Report.period_label, ReportRevision.revision)).all()
        return [(r.revision, r.value, r.period_label) for r in rows]


def events(rasa_url: str, sender: str) -> list[dict]:
    """The events of ``sender``'s conversation (Rasa HTTP API, GET …/tracker)."""
    from bot.servers import api_token

    url = (f"{rasa_url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker"
           f"?token={urllib.parse.quote(api_token(rasa_url), safe='')}")
    with urllib.request.urlopen(url, timeout=30) as resp:
        tracker = json.loads(resp.read().decode())
    return tracker.get("events") or []


def user_events(rasa_url: str, sender: str) -> list[dict]:
    return [e for e in events(rasa_url, sender) if e.get("event") == "user"]


def turn_over(rasa_url: str, sender: str, message_id: str, timeout: float = 120) -> None:
    """Wait until Rasa stored the turn of the user message ``message_id``: its user event and,
    after it, ``action_listen``. Rasa sends the bot's messages before it stores the tracker,
    so by then every reply of the turn has gone out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = False
        for event in events(rasa_url, sender):
            if event.get("event") == "user" and event.get("message_id") == message_id:
                seen = True
            elif seen and event.get("event") == "action" and event.get("name") == "action_listen":
                return
        time.sleep(0.2)
    raise AssertionError(f"the turn of {message_id} did not end within {timeout:.0f}s")


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 120) -> tuple[int, bytes]:
    """POST; (status, body) also for 4xx/5xx answers."""
    req = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()

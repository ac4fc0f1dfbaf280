"""Signed web sessions: who is talking on the web chat, and whether they are signed-in staff.

The web server (bot/servers.py) keeps one signed, HttpOnly cookie per browser and hands the page
a signed token (``GET /session``); the socket.io channel (bot/channels/socketio.py) accepts only
a token it can verify and derives the conversation's sender id from it, never from an id the
client picked; the actions (actions/report_actions.py) verify the same token again before they
treat the user as staff.  All three share one secret, ``WEB_SESSION_SECRET`` (``make run``
generates one per run when it is unset, so sessions then last until the servers stop).

Tokens are itsdangerous ``URLSafeTimedSerializer`` values: tamper-proof, time-stamped, and
readable only as "this server issued it".
"""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from typing import Optional

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.env_secrets import SecretMissing, env_secret

SECRET_ENV = "WEB_SESSION_SECRET"
COOKIE = "kh_session"
SESSION_DAYS = 30  # one browser keeps one conversation this long
STAFF_HOURS = int(os.environ.get("STAFF_SESSION_HOURS", "8"))  # a staff sign-in lasts a working day
_SALT = "kehoach-web-session"
_CLAIM_SALT = "kehoach-action-claim"
CLAIM_MINUTES = 10  # a message's claim is checked by the actions right after it arrives


class SessionSecretMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class WebSession:
    """``user``: random id of the browser (the chat's sender id is ``web-<user>``);
    ``staff``: username of the signed-in staff member, ``staff_since`` the sign-in time."""

    user: str
    staff: Optional[str] = None
    staff_since: Optional[int] = None

    @property
    def sender_id(self) -> str:
        return f"web-{self.user}"

    def staff_now(self) -> Optional[str]:
        """The staff username while the sign-in is fresh, else None."""
        if self.staff and self.staff_since and time.time() - self.staff_since < STAFF_HOURS * 3600:
            return self.staff
        return None

    def signed_in(self, username: str) -> "WebSession":
        return WebSession(self.user, username, int(time.time()))

    def signed_out(self) -> "WebSession":
        return WebSession(self.user)


def new_session() -> WebSession:
    return WebSession(secrets.token_urlsafe(18))


def secret() -> str:
    try:
        return env_secret(SECRET_ENV)
    except SecretMissing as exc:
        raise SessionSecretMissing(f"{exc}; `make run` tự tạo một giá trị cho mỗi lần chạy.") from None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret(), salt=_SALT)


def issue(session: WebSession) -> str:
    data = {"u": session.user}
    if session.staff:
        data.update(s=session.staff, t=session.staff_since)
    return _serializer().dumps(data)


def set_cookie(session: WebSession) -> str:
    """The ``Set-Cookie`` value for the browser's session: the web-chat server and the staff
    dashboard both set it this way (path ``/``), so a sign-in on one is a sign-in on the other."""
    secure = "; Secure" if os.environ.get("COOKIE_SECURE") == "1" else ""
    return (f"{COOKIE}={issue(session)}; Path=/; HttpOnly; SameSite=Lax; "
            f"Max-Age={SESSION_DAYS * 86400}{secure}")


def issue_claim(session: WebSession) -> str:
    """What the channel attaches to one message for the actions: signed with another salt and
    short-lived, so the copy kept in the tracker store is no key to the browser's session."""
    data = {"u": session.user}
    if session.staff:
        data.update(s=session.staff, t=session.staff_since)
    return URLSafeTimedSerializer(secret(), salt=_CLAIM_SALT).dumps(data)


def verify_claim(token: object) -> Optional[WebSession]:
    return _load(token, URLSafeTimedSerializer(secret(), salt=_CLAIM_SALT), CLAIM_MINUTES * 60)


def verify(token: object, max_age_days: int = SESSION_DAYS) -> Optional[WebSession]:
    """The session a token carries if this server signed it and it is not too old, else None."""
    return _load(token, _serializer(), max_age_days * 86400)


def _load(token: object, serializer: URLSafeTimedSerializer, max_age: int) -> Optional[WebSession]:
    if not isinstance(token, str) or not token or len(token) > 1000:
        return None
    try:
        data = serializer.loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str):
        return None
    staff = data.get("s") if isinstance(data.get("s"), str) else None
    since = data.get("t") if isinstance(data.get("t"), int) else None
    return WebSession(data["u"], staff, since)


__all__ = ["WebSession", "new_session", "issue", "set_cookie", "verify", "issue_claim", "verify_claim", "secret", "SECRET_ENV", "COOKIE",
           "SessionSecretMissing"]

"""Who is asking: the browser's signed session cookie (the same one the web-chat server issues,
so a sign-in on either page counts on the same origin), the staff member it names, and the
CSRF token every form carries.

The CSRF token is the session's random browser id signed with the session secret under its own
salt: a page of another site can neither read it (no CORS here) nor forge it, and it changes when
the browser's session does.  POSTs must also come from this origin (``Origin``/``Referer``).
"""
from __future__ import annotations

import hmac
from typing import Optional
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot import sessions

_CSRF_SALT = "kehoach-dashboard-csrf"


def session_from(cookie_value: Optional[str]) -> tuple[sessions.WebSession, bool]:
    """The verified session, or a new one (``True``: the response must set the cookie)."""
    found = sessions.verify(cookie_value) if cookie_value else None
    return (found, False) if found else (sessions.new_session(), True)


def csrf_token(session: sessions.WebSession) -> str:
    return URLSafeTimedSerializer(sessions.secret(), salt=_CSRF_SALT).dumps(session.user)


def csrf_valid(session: sessions.WebSession, token: Optional[str]) -> bool:
    if not token or len(token) > 500:
        return False
    try:
        user = URLSafeTimedSerializer(sessions.secret(), salt=_CSRF_SALT).loads(token, max_age=sessions.SESSION_DAYS * 86400)
    except BadSignature:
        return False
    return isinstance(user, str) and hmac.compare_digest(user, session.user)


def same_origin(host: str, origin: Optional[str], referer: Optional[str]) -> bool:
    """A POST from this site's own pages: ``Origin`` (or, without it, ``Referer``) names this host."""
    source = origin if origin and origin != "null" else referer
    if origin == "null":
        return False
    return source is None or urlsplit(source).netloc == host


__all__ = ["session_from", "csrf_token", "csrf_valid", "same_origin"]

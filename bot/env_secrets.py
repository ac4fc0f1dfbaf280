"""Secrets come only from the environment, and one rule says when one may be used: at least
:data:`MIN_LENGTH` characters (a short token is refused like a missing one).  Read by the action
server, the Rasa server and the web session signer."""
from __future__ import annotations

import os

MIN_LENGTH = 16


class SecretMissing(RuntimeError):
    """A secret is unset or too short; the message names it, in Vietnamese."""


def env_secret(name: str) -> str:
    value = os.environ.get(name, "")
    if len(value) < MIN_LENGTH:
        raise SecretMissing(f"{name} chưa được đặt (ít nhất {MIN_LENGTH} ký tự)")
    return value

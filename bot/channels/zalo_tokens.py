"""The Zalo OA access token and its single-use refresh token.

Zalo's OAuth v4 (``POST {oauth_base}/v4/oa/access_token``, header ``secret_key`` = the app's
secret, form ``app_id``, ``grant_type=refresh_token``, ``refresh_token``) answers a new access
token (about 25 h) *and a new refresh token*: the old refresh token is spent. Losing the new
one means re-authorising the OA by hand, so it is written to a small JSON file before it is
used — atomically (temporary file, fsync, rename) and readable by the owner only (0600) — and
the file, when present, wins over ``ZALO_ACCESS_TOKEN``/``ZALO_REFRESH_TOKEN`` at start-up
(those were spent by the first refresh).

One refresh at a time: an asyncio lock inside the process and an ``flock`` on a lock file
beside the token file across processes (several Rasa workers or replicas on one host); after
taking the lock the file is read again, so a token refreshed by someone else is reused
instead of spending the refresh token twice.
"""
from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Optional

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ZaloTokens:
    access_token: str
    refresh_token: str
    expires_at: Optional[float] = None  # epoch seconds; None: unknown (tokens from the environment)
    obtained_at: Optional[float] = None

    def expiring(self, margin: float, now: Optional[float] = None) -> bool:
        """Within ``margin`` of its expiry — or of half its lifetime for a short-lived token, so
        that a token is never refreshed again the moment it arrives."""
        if self.expires_at is None:
            return False
        if self.obtained_at is not None:
            margin = min(margin, (self.expires_at - self.obtained_at) / 2)
        return (now or time.time()) >= self.expires_at - margin


class TokenFile:
    """``{"access_token", "refresh_token", "expires_at"}`` in one file, mode 0600."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> Optional[ZaloTokens]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            times = [float(data[k]) if data.get(k) is not None else None for k in ("expires_at", "obtained_at")]
            return ZaloTokens(str(data["access_token"]), str(data["refresh_token"]), *times)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.error("Không đọc được tệp mã Zalo %s: %s", self.path, exc)
            return None

    def save(self, tokens: ZaloTokens) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp creates it 0600
                json.dump(asdict(tokens), f)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        """Exclusive across processes (``flock`` on ``<file>.lock``), waited for off the loop."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(str(self.path) + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


# (url, headers, form) -> parsed JSON answer
PostForm = Callable[[str, dict, dict], Awaitable[dict]]


class TokenKeeper:
    """Gives a valid access token, refreshing it ``margin`` seconds before it expires or when
    the OA API says it is no longer valid."""

    def __init__(self, initial: ZaloTokens, token_file: TokenFile, *, app_id: str, app_secret: str,
                 oauth_base: str, post_form: PostForm, margin: float = 1800.0):
        stored = token_file.load()
        self.tokens = stored or initial
        self.file = token_file
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_url = oauth_base.rstrip("/") + "/v4/oa/access_token"
        self.post_form = post_form
        self.margin = margin
        self._lock = asyncio.Lock()
        self.refreshes = 0
        if stored:
            logger.info("Mã Zalo đọc từ %s.", token_file.path)

    @property
    def can_refresh(self) -> bool:
        return bool(self.app_id and self.app_secret and self.tokens.refresh_token)

    async def access_token(self) -> str:
        if self.tokens.expiring(self.margin) and self.can_refresh:
            await self.refresh(stale=self.tokens.access_token)
        return self.tokens.access_token

    async def refresh(self, stale: str) -> bool:
        """Replace the access token ``stale``; True when a newer token is now in use."""
        if not self.can_refresh:
            logger.error("Không làm mới được mã Zalo: thiếu ZALO_APP_ID, ZALO_APP_SECRET hoặc mã làm mới.")
            return False
        async with self._lock:
            if self.tokens.access_token != stale:
                return True  # refreshed by another coroutine meanwhile
            async with self.file.locked():
                stored = self.file.load()
                if stored and stored.access_token != stale:
                    self.tokens = stored  # refreshed by another process meanwhile
                    return True
                try:
                    answer = await self.post_form(self.oauth_url, {"secret_key": self.app_secret}, {
                        "app_id": self.app_id, "grant_type": "refresh_token",
                        "refresh_token": self.tokens.refresh_token})
                except Exception as exc:  # network: keep the old pair, try again at the next send
                    logger.error("Làm mới mã Zalo thất bại: %s", exc)
                    return False
                if not answer.get("access_token") or not answer.get("refresh_token"):
                    logger.error("Zalo không cấp mã mới: %s %s", answer.get("error"),
                                 answer.get("error_description") or answer.get("message") or "")
                    return False
                try:
                    lifetime = float(answer.get("expires_in") or 0)
                except (TypeError, ValueError):
                    lifetime = 0.0
                now = time.time()
                fresh = ZaloTokens(str(answer["access_token"]), str(answer["refresh_token"]),
                                   now + lifetime if lifetime > 0 else None, now)
                self.file.save(fresh)  # before use: the old refresh token is spent now
                self.tokens = fresh
                self.refreshes += 1
                logger.info("Đã làm mới mã truy cập Zalo (hết hạn sau %.0f giây).", lifetime)
                return True

"""The web page server: the chat page, the browser's signed session, staff sign-in, exports.

* ``GET /session`` — the browser's session (a signed, HttpOnly cookie made on first visit) as a
  signed token for the socket.io channel, plus who is signed in.  Same-origin only: another
  site's page cannot read it (no CORS headers here).
* ``GET /login`` (page) / ``POST /login`` (form: username, password) / ``POST /logout`` — staff
  sign-in against :mod:`knowledge.staff` (argon2).  The sign-in is written into the same signed
  cookie, so the chat learns it from the token the page hands to the socket.io channel.
* ``GET /exports/<name>`` — a report file, only to a signed-in staff session, only under the
  unguessable names the action server writes, and only while younger than ``EXPORT_TTL``
  seconds (older ones are deleted).

Stdlib ``ThreadingHTTPServer``: a few pages and small forms; bodies over 8 kB are refused.
"""
from __future__ import annotations

import functools
import json
import os
import re
import time
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qs, unquote, urlsplit

from bot import sessions

WEB_ROOT = Path(__file__).resolve().parent / "web"
EXPORT_TTL = int(os.environ.get("EXPORT_TTL", "3600"))
MAX_BODY = 8 * 1024
EXPORT_NAME = re.compile(r"^bao-cao-[a-z0-9-]+-[A-Za-z0-9_-]{20,}\.(?:csv|xlsx|docx)$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make the browser send "Origin: null" on our own forms
}


def export_allowed(name: str, folder: Path, ttl: int = EXPORT_TTL) -> Optional[Path]:
    """The export file for ``name`` if the name is one the action server makes and the file is
    fresh; an expired file is deleted."""
    if not EXPORT_NAME.fullmatch(name):
        return None
    path = folder / name
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return None
    if age > ttl:
        path.unlink(missing_ok=True)
        return None
    return path


class WebHandler(SimpleHTTPRequestHandler):
    exports: Path = Path("out/exports")
    server_version = "kehoach-web"
    sys_version = ""

    # ------------------------------------------------------------------ helpers
    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def session(self) -> tuple[sessions.WebSession, bool]:
        """The browser's session from its cookie (verified), or a new one (``True``: set it)."""
        try:
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            cookie = SimpleCookie()
        morsel = cookie.get(sessions.COOKIE)
        found = sessions.verify(morsel.value) if morsel else None
        return (found, False) if found else (sessions.new_session(), True)

    def cookie_header(self, session: sessions.WebSession) -> str:
        return sessions.set_cookie(session)

    def send_body(self, status: int, body: bytes, ctype: str, cookie: Optional[sessions.WebSession] = None,
                  extra: Optional[dict] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if cookie is not None:
            self.send_header("Set-Cookie", self.cookie_header(cookie))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, data: dict, cookie: Optional[sessions.WebSession] = None) -> None:
        self.send_body(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8", cookie)

    def send_page(self, status: int, title: str, text: str, cookie: Optional[sessions.WebSession] = None) -> None:
        from html import escape

        body = (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{escape(title)}</title>'
                f'<link rel="stylesheet" href="/chat.css"><main class="chat"><h1>{escape(title)}</h1>'
                f'<p>{escape(text)}</p><p><a href="/">Về trang trò chuyện</a> · <a href="/login">Đăng nhập</a></p>'
                '</main></html>').encode()
        self.send_body(status, body, "text/html; charset=utf-8", cookie)

    def same_origin(self) -> bool:
        """POSTs only from this server's own pages (no cross-site form posts)."""
        origin = self.headers.get("Origin")
        return origin is None or urlsplit(origin).netloc == self.headers.get("Host", "")

    def read_form(self) -> Optional[dict[str, str]]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return None
        fields = parse_qs(self.rfile.read(length).decode("utf-8", "replace"), max_num_fields=10)
        return {k: v[0] for k, v in fields.items()}

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:
        route = unquote(urlsplit(self.path).path)
        if route == "/session":
            return self.get_session()
        if route == "/login":
            self.path = "/login.html"
        if route.startswith("/exports/"):
            return self.get_export(route[len("/exports/"):])
        return super().do_GET()

    def do_HEAD(self) -> None:
        route = unquote(urlsplit(self.path).path)
        if route.startswith("/exports/") or route == "/session":
            return self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)
        return super().do_HEAD()

    def do_POST(self) -> None:
        route = unquote(urlsplit(self.path).path)
        if route not in ("/login", "/logout"):
            return self.send_error(HTTPStatus.NOT_FOUND)
        if not self.same_origin():
            return self.send_page(403, "Không được phép", "Yêu cầu không đến từ trang của máy chủ này.")
        form = self.read_form()
        if form is None:
            return self.send_page(413, "Yêu cầu quá lớn", "Dữ liệu gửi lên vượt giới hạn cho phép.")
        session, _ = self.session()
        if route == "/logout":
            return self.send_body(303, b"", "text/plain", session.signed_out(), {"Location": "/"})
        from knowledge.staff import authenticate

        try:
            staff = authenticate(form.get("username", ""), form.get("password", ""))
        except Exception:  # noqa: BLE001 - the database is down: say so, do not crash the server
            self.log_error("staff sign-in failed: database error")
            return self.send_page(503, "Hệ thống bận", "Chưa kiểm tra được tài khoản; vui lòng thử lại sau.")
        if staff is None:
            return self.send_page(401, "Đăng nhập không thành công", "Sai tên đăng nhập hoặc mật khẩu.")
        return self.send_body(303, b"", "text/plain", session.signed_in(staff.username), {"Location": "/"})

    def get_session(self) -> None:
        session, new = self.session()
        staff = None
        username = session.staff_now()
        if username:
            from knowledge.staff import get_staff

            try:
                info = get_staff(username)
            except Exception:  # noqa: BLE001
                info = None
            staff = {"username": info.username, "name": info.name, "unit": info.unit} if info else None
        self.send_json(200, {"token": sessions.issue(session), "staff": staff}, cookie=session if new else None)

    def get_export(self, name: str) -> None:
        session, _ = self.session()
        if not session.staff_now():
            return self.send_page(403, "Cần đăng nhập", "Tệp báo cáo chỉ dành cho cán bộ Sở/Phòng đã đăng nhập.")
        path = export_allowed(name, self.exports)
        if path is None:
            return self.send_page(404, "Không có tệp", "Tệp không tồn tại hoặc đã hết hạn; hãy xuất lại báo cáo.")
        ctype = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[path.suffix[1:]]
        self.send_body(200, path.read_bytes(), ctype,
                       extra={"Content-Disposition": f'attachment; filename="{path.name}"'})

    def list_directory(self, path):  # never list a folder
        self.send_error(404)
        return None


def serve_web(port: int, bind: str = "127.0.0.1", exports: Path = Path("out/exports")) -> None:
    sessions.secret()  # refuse to start without the session secret
    exports = Path(exports).resolve()
    exports.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(type("Handler", (WebHandler,), {"exports": exports}), directory=str(WEB_ROOT))
    with ThreadingHTTPServer((bind, port), handler) as httpd:
        httpd.serve_forever()


__all__ = ["serve_web", "export_allowed", "EXPORT_NAME", "EXPORT_TTL"]

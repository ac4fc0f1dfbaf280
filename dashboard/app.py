"""The staff dashboard: a Sanic app of server-rendered pages under one path prefix
(``/dashboard``), so a reverse proxy can put it on the same origin as the web chat.

Every request goes through :func:`_before`: the browser's signed session cookie (shared with the
web-chat server) names the staff member, checked again in the database; pages need a signed-in,
active staff member (else the sign-in page); every POST must come from this origin and carry
the session's CSRF token.  Bodies are capped (``REQUEST_MAX_SIZE``), every answer carries
security headers and a strict Content-Security-Policy (no script, nothing from elsewhere).
Database work runs in threads; reminders are sent on the event loop.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qs, quote

from sanic import Sanic, response
from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import sessions
from dashboard import auth, data
from dashboard.reminders import ChannelSender
from dashboard.render import message
from dashboard.views import actions, plans, signin

STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_PREFIX = "/dashboard"
MAX_BODY = 16 * 1024
MAX_FIELDS = 20
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _public(prefix: str, path: str) -> bool:
    return path in (f"{prefix}/login", f"{prefix}/health") or path.startswith(f"{prefix}/static/")


def create_app(prefix: str = DEFAULT_PREFIX, name: str = "kehoach-dashboard") -> Sanic:
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = MAX_BODY
    app.config.REQUEST_TIMEOUT = 30
    app.config.RESPONSE_TIMEOUT = 120  # an export of a large plan
    app.ctx.prefix = prefix
    app.ctx.log = logging.getLogger("dashboard")
    app.ctx.sender = ChannelSender()

    async def _before(request: Request) -> Optional[HTTPResponse]:
        request.ctx.session, request.ctx.set_session = auth.session_from(request.cookies.get(sessions.COOKIE))
        request.ctx.staff = None
        username = request.ctx.session.staff_now()
        if username:
            request.ctx.staff = await asyncio.to_thread(data.get_staff, username)
        if request.method == "POST":
            if not auth.same_origin(request.host, request.headers.get("origin"), request.headers.get("referer")):
                return message(request, 403, "Không được phép", "Yêu cầu không đến từ trang của máy chủ này.")
            if (request.content_type or "").split(";")[0].strip() != "application/x-www-form-urlencoded":
                return message(request, 415, "Yêu cầu không hợp lệ", "Chỉ nhận dữ liệu từ biểu mẫu của trang.")
            await request.receive_body()  # not always read before middleware; capped at REQUEST_MAX_SIZE (413)
            try:
                fields = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True,
                                  max_num_fields=MAX_FIELDS)
            except ValueError:
                return message(request, 413, "Yêu cầu quá lớn", "Biểu mẫu có quá nhiều trường.")
            request.ctx.form = {k: v[0] for k, v in fields.items()}
            if not auth.csrf_valid(request.ctx.session, request.ctx.form.get("csrf")):
                return message(request, 403, "Phiên làm việc không hợp lệ",
                               "Biểu mẫu đã cũ hoặc không đến từ trang này; hãy tải lại trang và thử lại.")
        if request.ctx.staff is None and not _public(prefix, request.path):
            if request.method in ("GET", "HEAD"):
                target = request.path + (f"?{request.query_string}" if request.query_string else "")
                return response.redirect(f"{prefix}/login?next={quote(target, safe='')}", status=303)
            return message(request, 403, "Cần đăng nhập", "Trang này chỉ dành cho cán bộ Sở/Phòng đã đăng nhập.")
        return None

    async def _after(request: Request, resp: HTTPResponse) -> None:
        for key, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(key, value)
        if not request.path.startswith(f"{prefix}/static/"):
            resp.headers["Cache-Control"] = "no-store"
        if getattr(request.ctx, "set_session", False):
            resp.headers["Set-Cookie"] = sessions.set_cookie(request.ctx.session)

    app.register_middleware(_before, "request")
    app.register_middleware(_after, "response")

    @app.get(f"{prefix}/health")
    async def health(request: Request) -> HTTPResponse:
        return response.text("ok")

    app.static(f"{prefix}/static", str(STATIC), name="dashboard_static")
    for module in (signin, plans, actions):
        app.blueprint(module.blueprint(prefix))

    @app.exception(NotFound, MethodNotSupported)
    async def not_found(request: Request, exc: SanicException) -> HTTPResponse:
        return message(request, exc.status_code, "Không có trang này", "Địa chỉ không tồn tại trên bảng theo dõi.")

    @app.exception(PayloadTooLarge)
    async def too_large(request: Request, exc: SanicException) -> HTTPResponse:
        return message(request, 413, "Yêu cầu quá lớn", "Dữ liệu gửi lên vượt giới hạn cho phép.")

    @app.exception(Exception)
    async def failed(request: Request, exc: Exception) -> HTTPResponse:
        if isinstance(exc, SanicException) and exc.status_code < 500:
            return message(request, exc.status_code, "Yêu cầu không hợp lệ", "Máy chủ không xử lý được yêu cầu này.")
        app.ctx.log.exception("dashboard error on %s", request.path)
        return message(request, 500, "Lỗi hệ thống", "Đã có lỗi khi xử lý; vui lòng thử lại sau.")

    @app.after_server_stop
    async def close(app_: Sanic, _loop) -> None:
        await app_.ctx.sender.close()

    return app


__all__ = ["create_app", "DEFAULT_PREFIX", "SECURITY_HEADERS", "MAX_BODY"]

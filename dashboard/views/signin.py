"""Staff sign-in and sign-out on the dashboard: the same accounts (argon2, knowledge.staff) and
the same signed cookie as the web-chat server's /login."""
from __future__ import annotations

import asyncio

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from dashboard import data
from dashboard.render import page


def safe_next(prefix: str, target: str) -> str:
    """Where to go after signing in: a page of this dashboard only (no open redirect)."""
    if target.startswith(prefix + "/") and not target.startswith("//") and "\\" not in target and len(target) < 500:
        return target
    return prefix + "/"


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint("signin", url_prefix=prefix)

    @bp.get("/login")
    async def login_page(request: Request) -> HTTPResponse:
        if request.ctx.staff is not None:
            return response.redirect(safe_next(prefix, request.args.get("next", "")), status=303)
        return page(request, "login.html", next=safe_next(prefix, request.args.get("next", "")), username="")

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        form = request.ctx.form
        username, password = form.get("username", ""), form.get("password", "")
        target = safe_next(prefix, form.get("next", ""))
        try:
            staff = await asyncio.to_thread(data.authenticate, username, password)
        except Exception:  # noqa: BLE001 - the database is down: say so, keep the form
            request.app.ctx.log.exception("staff sign-in failed")
            return page(request, "login.html", status=503, next=target, username=username[:100],
                        error="Chưa kiểm tra được tài khoản; vui lòng thử lại sau.")
        if staff is None:
            return page(request, "login.html", status=401, next=target, username=username[:100],
                        error="Sai tên đăng nhập hoặc mật khẩu.")
        request.ctx.session = request.ctx.session.signed_in(staff.username)
        request.ctx.set_session = True
        return response.redirect(target, status=303)

    @bp.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        request.ctx.session = request.ctx.session.signed_out()
        request.ctx.set_session = True
        return response.redirect(prefix + "/login", status=303)

    return bp


__all__ = ["blueprint", "safe_next"]

"""Jinja2 pages: one environment (autoescaped), and the context every page gets (the staff
member, the CSRF token, the path prefix)."""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from dashboard import auth

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    """The rendered page, NFC (Vietnamese text typed in another normal form displays the same)."""
    prefix = request.app.ctx.prefix
    session = getattr(request.ctx, "session", None)  # absent when the request failed before the middleware
    body = _env.get_template(template).render(
        prefix=prefix, staff=getattr(request.ctx, "staff", None), csrf=auth.csrf_token(session) if session else "",
        **context)
    return response.html(unicodedata.normalize("NFC", body), status=status)


def message(request: Request, status: int, title: str, text: str) -> HTTPResponse:
    return page(request, "message.html", status=status, title=title, text=text)


__all__ = ["page", "message"]

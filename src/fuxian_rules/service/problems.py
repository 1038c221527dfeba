"""Errors as ``application/problem+json`` (RFC 9457) with a stable ``code`` callers can branch on.

Messages name fields, never their values: a value may be personal data.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["Problem", "install_handlers", "problem_response"]

log = logging.getLogger("fuxian_rules.service")

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
           500: "Internal Server Error"}
_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}


class Problem(Exception):
    """An error answer: HTTP status, stable code, a detail for people, and extra members."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def problem_response(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    """The problem document as a response."""
    body = {"type": f"/problems/{code}", "title": _TITLES.get(status, "Error"), "status": status,
            "code": code, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def install_handlers(app: FastAPI) -> None:
    """Route every error, including the framework's own, to problem+json."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.code, exc.detail, **exc.extra)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(exc.status_code, _CODES.get(exc.status_code, "http_error"), str(exc.detail))

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path", "body")),
                   "message": str(e.get("msg", "invalid"))} for e in exc.errors()]
        fields = ", ".join(e["field"] for e in errors) or "request"
        return problem_response(422, "invalid_parameter", f"invalid {fields}", errors=errors)

    async def on_crash(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s", type(exc).__name__)
        return problem_response(500, "internal_error", "the service failed on this request; nothing was stored "
                                                       "unless an earlier answer said so")

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_crash)

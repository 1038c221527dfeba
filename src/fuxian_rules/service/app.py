"""The HTTP API of contract §5: routes, access rules and audit, over one :class:`~fuxian_rules.ledger.Ledger`.

Access: a ``unit`` token reads the obligations its unit holds and the cases they belong to, and writes
events whose ``actor`` is its unit; an ``office`` token (the joint-meeting office) reads everything and
writes as a unit; an ``admin`` token also writes any event. Every write, and every read of another
unit's data, is written to the audit log (who, when, what — never an event's data).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures at run time, and
they refer to names local to :func:`create_app`.
"""

from datetime import date, datetime
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from fuxian_rules import Engine, FuxianRulesError, __version__, parse_as_of
from fuxian_rules.ledger import Filters, Ledger, LedgerError, Principal, TokenError, verify_token
from fuxian_rules.ledger.ops import health as ledger_health
from fuxian_rules.ledger.ops import unit_digest
from fuxian_rules.settings import Settings

from .bodies import read_events
from .dashboard import mount_dashboard
from .problems import Problem, install_handlers

__all__ = ["create_app"]

_bearer = HTTPBearer(auto_error=False, description="a token from `fuxian-rules token create`")
Status = Literal["open", "fulfilled", "fulfilled_late", "overdue", "violated", "advisory", "cancelled"]


def _as_of(value: str | None) -> datetime:
    try:
        return parse_as_of(value) if value else datetime.now().astimezone()
    except FuxianRulesError:
        raise Problem(422, "invalid_as_of", "as_of must be an ISO date (2025-03-31) or a datetime with a UTC "
                                            "offset (2025-03-31T18:00:00+08:00)", field="as_of") from None


def _day(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else _bad_day(name)
    except ValueError:
        return _bad_day(name)


def _bad_day(name: str) -> str:
    raise Problem(422, "invalid_parameter", f"{name} must be an ISO date such as 2025-03-31", field=name)


def create_app(settings: Settings, ledger: Ledger | None = None) -> FastAPI:
    """Build the application on a ledger (opened from ``settings`` when not given)."""
    if ledger is None:
        ledger = Ledger(settings.db_url, Engine(**settings.engine_kwargs()))
    led = ledger
    app = FastAPI(title="fuxian_rules", version=__version__, docs_url=None, redoc_url=None,
                  description="惠政文〔2024〕22号 府检联动规则服务 — events in, obligations out (contract §5).")
    app.state.ledger = led
    install_handlers(app)
    app.mount("/static", StaticFiles(directory=str(resources.files("fuxian_rules.service") / "static")),
              name="static")

    async def principal(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
        if creds is None or creds.scheme.lower() != "bearer":
            raise Problem(401, "unauthorized", "send Authorization: Bearer <token>")
        try:
            return await run_in_threadpool(verify_token, led, creds.credentials)
        except TokenError as exc:
            raise Problem(401, exc.code, str(exc)) from None

    Who = Annotated[Principal, Depends(principal)]

    def audit(who: Principal, action: str, what: dict[str, Any]) -> None:
        with led.write() as conn:
            led.audit(conn, who.label, action, what)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="fuxian_rules API",
                                   swagger_js_url="/static/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon-32x32.png")

    @app.get("/v1/health", summary="liveness and the ledger's state")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "ledger": ledger_health(led)}

    @app.post("/v1/events", summary="store events (JSON array, or JSON Lines with application/x-ndjson)",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                  "application/x-ndjson": {"schema": {"type": "string"}}}}})
    async def post_events(request: Request, who: Who) -> dict[str, Any]:
        items = await read_events(request, max_bytes=settings.max_body_bytes, max_events=settings.max_events)
        if who.role != "admin":
            foreign = [i for i, e in enumerate(items) if isinstance(e, dict) and e.get("actor") != who.unit]
            if foreign:
                await run_in_threadpool(audit, who, "events.write.refused", {"events": len(items),
                                                                             "not_own_actor": len(foreign)})
                raise Problem(403, "actor_not_allowed",
                              f"a {who.role} token writes only events whose actor is {who.unit}; nothing was stored",
                              indexes=foreign[:50])
        report = await run_in_threadpool(led.ingest, items, who=who.label)
        return report.as_json()

    @app.get("/v1/obligations", summary="obligations in force at as_of, filtered and paged")
    def get_obligations(
        who: Who, as_of: str | None = None, unit: str | None = None,
        status: Status | None = None,
        rule: str | None = None, case_id: str | None = None,
        due_before: Annotated[str | None, Query(description="due day strictly before this ISO date")] = None,
        due_after: Annotated[str | None, Query(description="due day strictly after this ISO date")] = None,
        limit: Annotated[int, Query(ge=1, le=settings.max_page)] = 1000, cursor: str | None = None,
    ) -> JSONResponse:
        at = _as_of(as_of)
        if who.role == "unit":
            if unit is not None and unit != who.unit:
                raise Problem(403, "forbidden", "a unit token reads only the obligations its unit holds")
            unit = who.unit
        elif unit != who.unit:
            audit(who, "obligations.read", {"unit": unit, "status": status, "rule": rule, "case_id": case_id})
        filters = Filters(unit, status, rule, case_id, _day("due_before", due_before), _day("due_after", due_after))
        try:
            page = led.obligations(at, filters, limit=limit, cursor=cursor)
        except LedgerError as exc:
            raise Problem(400, exc.code, str(exc), field="cursor") from None
        return JSONResponse({"as_of": page.as_of.isoformat(), "obligations": page.obligations,
                             "next_cursor": page.next_cursor, "receipt": page.receipt.model_dump(mode="json")})

    @app.get("/v1/cases/{case_id}", summary="a case's stored events and its obligations at as_of")
    def get_case(case_id: str, who: Who, as_of: str | None = None) -> JSONResponse:
        at = _as_of(as_of)
        found = led.case(case_id, at)
        if found is None:
            raise Problem(404, "not_found", "no such case in the ledger")
        stored, obs = found
        holders = {str(o["holder"]) for o in obs}
        if who.role == "unit" and who.unit not in holders:
            raise Problem(403, "forbidden", "a unit token reads only the cases in which its unit holds an obligation")
        if holders - {who.unit} or who.role != "unit":
            audit(who, "case.read", {"case_id": case_id})
        return JSONResponse({"case_id": case_id, "as_of": at.isoformat(), "events": stored, "obligations": obs,
                             "receipt": led.engine.receipt().model_dump(mode="json")})

    @app.post("/v1/evaluate", summary="stateless: evaluate the events in the body, store nothing",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                  "application/x-ndjson": {"schema": {"type": "string"}}}}})
    async def evaluate(request: Request, _who: Who, as_of: str | None = None) -> JSONResponse:
        at = _as_of(as_of)
        items = await read_events(request, max_bytes=settings.max_body_bytes, max_events=settings.max_events)
        lines = [(i + 1, e) for i, e in enumerate(items)]
        result = await run_in_threadpool(led.engine.evaluate, lines, at)
        return JSONResponse(result.model_dump(mode="json"))

    @app.get("/v1/units/{unit}/digest", summary="what is overdue and what falls due within `days` working days")
    def digest(unit: str, who: Who, as_of: str | None = None,
               days: Annotated[int, Query(ge=0, le=60)] = 5) -> JSONResponse:
        at = _as_of(as_of)
        if who.role == "unit" and unit != who.unit:
            raise Problem(403, "forbidden", "a unit token reads only its own unit's digest")
        if unit != who.unit:
            audit(who, "digest.read", {"unit": unit})
        body = unit_digest(led, unit, at, days)
        return JSONResponse(body)

    mount_dashboard(app, settings, led)
    return app

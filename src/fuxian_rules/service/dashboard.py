"""The dashboard: server-rendered pages for the joint-meeting office and the member units (issue 13).

Staff log in with the same token the API takes (``fuxian-rules token create``): a small form posts it,
and it is kept in an HttpOnly, SameSite=Strict cookie — scripts on a page cannot read it, and another
site cannot make the browser send it. The access rules are the API's: a ``unit`` token sees its own
unit's page and the cases in which its unit holds an obligation; the office (``office``/``admin``) sees
every unit and the overview. Every read of another unit's data is audited, as the API does.

The pages are the reports' own (:mod:`fuxian_rules.reports.html`), computed from the obligations the
ledger keeps current; ECharts is served once from the package (``/dashboard/vendor/echarts.min.js``),
not inlined in every page. Each rule links to its page on the documentation site (``docs_url``, or the
site the service serves itself at ``/site/`` from ``docs_dir``).

No ``from __future__ import annotations``: FastAPI reads the route signatures at run time.
"""

import html
import threading
import time
from collections import deque
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from fuxian_rules import FuxianRulesError, Obligation, parse_as_of
from fuxian_rules.ledger import Ledger, Principal, TokenError, verify_token
from fuxian_rules.reports import build_report, digest
from fuxian_rules.reports.compute import CST, check_period
from fuxian_rules.reports.html import (
    chart_init_csp_hash,
    echarts_js,
    render_case_page,
    render_overview,
    render_unit_page,
)
from fuxian_rules.reports.labels import unit_name
from fuxian_rules.reports.ledger_source import ledger_result
from fuxian_rules.settings import Settings

__all__ = ["COOKIE", "mount_dashboard"]

COOKIE = "fuxian_session"
BASE = "/dashboard"
ECHARTS_URL = f"{BASE}/vendor/echarts.min.js"
_MAX_FORM = 4096
_SESSION_SECONDS = 12 * 3600
#: Scripts only from this server (ECharts) plus the one inline chart set-up script, by its hash; no
#: plug-ins, no framing, forms post only here. Styles are inline in each page (one self-contained file).
_CSP = ("default-src 'none'; script-src 'self' " + chart_init_csp_hash() + "; style-src 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin", "Content-Security-Policy": _CSP}
#: Failed logins allowed per client address in a window before it must wait (tokens carry 256 random
#: bits, so guessing is hopeless anyway: this keeps a script from burning CPU on token hashing).
_LOGIN_FAILURES = 10
_LOGIN_WINDOW = 300.0
_OFFICE = ("office", "admin")


class _PageError(Exception):
    """A page that cannot be shown: its HTTP status and a sentence for the reader (Chinese)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


_SHELL = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>
body {{ margin:0; font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif; color:#1f2933;
       background:#f0f4f8; line-height:1.6; font-size:15px; }}
header {{ background:#1f4e99; color:#fff; padding:14px 20px; }}
header h1 {{ margin:0; font-size:1.3rem; font-weight:600; }}
main {{ max-width:420px; margin:40px auto; background:#fff; border:1px solid #d9e2ec; border-radius:8px;
        padding:20px 24px; }}
label {{ display:block; margin:8px 0 4px; font-weight:600; }}
input {{ width:100%; box-sizing:border-box; font:inherit; padding:8px 10px; border:1px solid #9fb3c8;
         border-radius:4px; }}
button {{ margin-top:14px; width:100%; font:inherit; padding:9px; background:#1f4e99; color:#fff; border:0;
          border-radius:4px; cursor:pointer; }}
.err {{ color:#c62828; background:#fdecea; border-radius:4px; padding:8px 10px; }}
.muted {{ color:#52606d; font-size:.85rem; }}
a {{ color:#1f4e99; }}
@media (max-width:480px) {{ main {{ margin:16px 10px; padding:16px; }} }}
</style></head><body><header><h1>府检联动工作看板</h1></header><main>{body}</main></body></html>"""


def _shell(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_SHELL.format(title=html.escape(title), body=body), status_code=status, headers=_HEADERS)


def _login_page(error: str | None = None, next_path: str = "", status: int = 200) -> HTMLResponse:
    err = f'<p class="err" role="alert">{html.escape(error)}</p>' if error else ""
    body = (f"<h2>登录</h2>{err}<form method=\"post\" action=\"{BASE}/login\">"
            f"<input type=\"hidden\" name=\"next\" value=\"{html.escape(next_path)}\">"
            "<label for=\"token\">访问令牌</label>"
            "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus>"
            "<button type=\"submit\">登录</button></form>"
            "<p class=\"muted\">令牌由系统管理员签发，各成员单位只能查看本单位的义务和案件，"
            "联席会议办公室可以查看全部单位。</p>")
    return _shell("登录 · 府检联动工作看板", body, status)


def _error_page(status: int, message: str) -> HTMLResponse:
    body = f"<h2>无法显示</h2><p class=\"err\">{html.escape(message)}</p><p><a href=\"{BASE}/\">返回看板首页</a></p>"
    return _shell("无法显示 · 府检联动工作看板", body, status)


def _safe_next(value: str) -> str:
    """Only a path inside the dashboard may be a redirect target (no open redirect to another site)."""
    return value if value.startswith(f"{BASE}/") and "//" not in value and "\\" not in value else ""


def _home(who: Principal) -> str:
    return f"{BASE}/" if who.role in _OFFICE else f"{BASE}/units/{quote(who.unit, safe='')}"


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _PageError(422, f"参数 {name} 应为日期，例如 2025-03-31。") from None


def _when(request: Request) -> tuple[datetime, date, date, str]:
    """as_of (default now), the period (default from 1 January of as_of's year to as_of's day), the query."""
    q = request.query_params
    try:
        at = parse_as_of(q["as_of"]) if q.get("as_of") else datetime.now(CST)
    except FuxianRulesError:
        raise _PageError(422, "参数 as_of 应为日期（2025-03-31）或带时区的时间"
                              "（2025-03-31T18:00:00+08:00）。") from None
    today = (at - timedelta(microseconds=1)).astimezone(CST).date()
    period_to = _day("to", q["to"]) if q.get("to") else today
    period_from = _day("from", q["from"]) if q.get("from") else date(period_to.year, 1, 1)
    try:
        check_period(period_from, period_to)
    except FuxianRulesError as exc:
        raise _PageError(422, f"统计期间不正确：{exc}") from None
    kept = {k: q[k] for k in ("as_of", "from", "to") if q.get(k)}
    return at, period_from, period_to, ("?" + urlencode(kept)) if kept else ""


class _LoginGuard:
    """Failed logins per client address in a sliding window; bounded memory (addresses are untrusted)."""

    def __init__(self, limit: int = _LOGIN_FAILURES, window: float = _LOGIN_WINDOW, max_clients: int = 10_000) -> None:
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        seen = self._failures.get(client) or deque()
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        return seen

    def wait(self, client: str) -> int:
        """Seconds this client must wait before it may try again (0: it may try now)."""
        now = time.monotonic()
        with self._lock:
            seen = self._recent(client, now)
            return int(seen[0] + self.window - now) + 1 if len(seen) >= self.limit else 0

    def failed(self, client: str) -> None:
        """Count one failed login of this client."""
        now = time.monotonic()
        with self._lock:
            seen = self._recent(client, now)
            seen.append(now)
            if client not in self._failures and len(self._failures) >= self.max_clients:
                self._failures.pop(next(iter(self._failures)))  # forget the oldest address tracked
            self._failures[client] = seen


def mount_dashboard(app: FastAPI, settings: Settings, ledger: Ledger) -> None:
    """Add the dashboard's routes, its ECharts asset and (when ``docs_dir`` exists) the docs site to ``app``."""
    led = ledger
    catalog = led.engine.catalog
    echarts_js()  # the vendored copy is hash-checked once at start, so a damaged file stops the service here
    vendor = resources.files("fuxian_rules.reports").joinpath("vendor")
    app.mount(f"{BASE}/vendor", StaticFiles(directory=str(vendor)), name="dashboard-vendor")
    docs_dir = Path(settings.docs_dir) if settings.docs_dir else None
    serves_docs = docs_dir is not None and docs_dir.is_dir()
    if serves_docs:
        app.mount("/site", StaticFiles(directory=str(docs_dir), html=True), name="site")
    docs_base = settings.docs_url or ("/site/" if serves_docs else None)

    def who_is(request: Request) -> Principal | None:
        secret = request.cookies.get(COOKIE)
        if not secret or len(secret) > 200:
            return None
        try:
            return verify_token(led, secret)
        except TokenError:
            return None

    def audit(who: Principal, action: str, what: dict[str, Any]) -> None:
        with led.write() as conn:
            led.audit(conn, who.label, action, what)

    def nav(who: Principal, query: str) -> dict[str, Any]:
        links = [("看板首页", f"{BASE}/{query}")] if who.role in _OFFICE else []
        if who.role not in _OFFICE or who.unit in catalog.units:
            links.append(("本单位", f"{BASE}/units/{quote(who.unit, safe='')}{query}"))
        if docs_base:
            links.append(("规则说明", docs_base))
        name = unit_name(catalog, who.unit)
        role = "联席会议办公室" if who.role in _OFFICE else "成员单位"
        return {"links": links, "who": name if role in name else f"{name}（{role}）", "logout": f"{BASE}/logout"}

    def page(request: Request, render: Any) -> Response:
        who = who_is(request)
        if who is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{BASE}/login?{urlencode({'next': target})}", status_code=303,
                                    headers=_HEADERS)
        try:
            return HTMLResponse(render(who), headers=_HEADERS)
        except _PageError as exc:
            return _error_page(exc.status, exc.message)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{BASE}/", status_code=303)

    favicon = resources.files("fuxian_rules.service").joinpath("static/favicon-32x32.png").read_bytes()

    @app.get("/favicon.ico", include_in_schema=False)
    def icon() -> Response:  # browsers ask for it on every site; a 404 would be a console error
        return Response(favicon, media_type="image/png", headers={"Cache-Control": "max-age=86400"})

    @app.get(f"{BASE}/login", include_in_schema=False)
    def login_form(request: Request) -> Response:
        who = who_is(request)
        if who is not None:
            return RedirectResponse(_home(who), status_code=303, headers=_HEADERS)
        return _login_page(next_path=_safe_next(request.query_params.get("next", "")))

    guard = _LoginGuard()

    @app.post(f"{BASE}/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        client = request.client.host if request.client is not None else ""
        if wait := guard.wait(client):
            page = _login_page(f"登录失败次数过多，请 {wait // 60 + 1} 分钟后再试。", status=429)
            page.headers["Retry-After"] = str(wait)
            return page
        raw = await request.body()
        if len(raw) > _MAX_FORM:
            return _login_page("提交的内容过长。", status=413)
        form = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=4)
        secret = (form.get("token") or [""])[0].strip()
        next_path = _safe_next((form.get("next") or [""])[0])
        try:
            who = verify_token(led, secret) if 0 < len(secret) <= 200 else None
        except TokenError:
            who = None
        if who is None:
            guard.failed(client)
            return _login_page("令牌无效、已过期或已被撤销，请核对后重新输入。", next_path, status=401)
        response = RedirectResponse(next_path or _home(who), status_code=303, headers=_HEADERS)
        response.set_cookie(COOKIE, secret, max_age=_SESSION_SECONDS, path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.post(f"{BASE}/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse(f"{BASE}/login", status_code=303, headers=_HEADERS)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @app.get(f"{BASE}/", include_in_schema=False)
    def overview(request: Request) -> Response:
        who = who_is(request)
        if who is not None and who.role not in _OFFICE:  # a unit's home is its own page
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(_home(who) + query, status_code=303, headers=_HEADERS)

        def render(who: Principal) -> str:
            at, period_from, period_to, query = _when(request)
            audit(who, "dashboard.overview.read", {"from": period_from.isoformat(), "to": period_to.isoformat()})
            result, events = ledger_result(led, at)
            report = build_report(result, events, catalog, period_from=period_from, period_to=period_to)
            return render_overview(report, catalog, script_src=ECHARTS_URL, docs_base_url=docs_base,
                                   unit_href=lambda u: f"{BASE}/units/{quote(u, safe='')}{query}",
                                   case_href=lambda c: f"{BASE}/cases/{quote(c, safe='')}{query}",
                                   nav=nav(who, query))
        return page(request, render)

    @app.get(f"{BASE}/units/{{unit}}", include_in_schema=False)
    def unit_page(unit: str, request: Request) -> Response:
        def render(who: Principal) -> str:
            if who.role not in _OFFICE and unit != who.unit:
                raise _PageError(403, "无权查看：成员单位的账号只能查看本单位的义务和案件。")
            at, period_from, period_to, query = _when(request)
            if unit != who.unit:
                audit(who, "dashboard.unit.read", {"unit": unit})
            result, events = ledger_result(led, at, unit)
            report = build_report(result, events, catalog, period_from=period_from, period_to=period_to, unit=unit)
            soon = digest(result, unit, 5, led.engine.calendar, catalog=catalog)
            return render_unit_page(report, unit, catalog, digest_text=soon.text, script_src=ECHARTS_URL,
                                    docs_base_url=docs_base, nav=nav(who, query),
                                    case_href=lambda c: f"{BASE}/cases/{quote(c, safe='')}{query}")
        return page(request, render)

    @app.get(f"{BASE}/cases/{{case_id:path}}", include_in_schema=False)
    def case_page(case_id: str, request: Request) -> Response:
        def render(who: Principal) -> str:
            at, _, _, query = _when(request)
            found = led.case(case_id, at)
            if found is None:
                raise _PageError(404, "台账中没有这个案件。")
            stored, bodies = found
            holders = {str(b["holder"]) for b in bodies}
            if who.role not in _OFFICE and who.unit not in holders:
                raise _PageError(403, "无权查看：成员单位只能查看本单位承担义务的案件。")
            if holders - {who.unit} or who.role in _OFFICE:
                audit(who, "dashboard.case.read", {"case_id": case_id})
            events = led.engine.validate(stored)[0]
            obligations = [Obligation.model_validate(b) for b in bodies]
            return render_case_page(case_id, events, obligations, catalog, as_of=at.isoformat(),
                                    docs_base_url=docs_base, nav=nav(who, query))
        return page(request, render)

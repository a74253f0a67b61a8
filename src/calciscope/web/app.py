"""The FastAPI application: registry, sessions, error pages, routers.

Routes live in :mod:`calciscope.web.routes`, one module per area; they call :mod:`calciscope.api`
only and render templates.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calciscope import api
from calciscope.errors import CalciscopeError, NotFoundError, ValidationError
from calciscope.web.cache import (
    Generation,
    Kept,
    PatientTable,
    RecentResults,
    wait_for_background,
)
from calciscope.web.form_limits import FieldTooLarge, not_echoed, watch_form_fields
from calciscope.web.pages import TEMPLATES, render
from calciscope.web.routes.patients import read_patient
from calciscope.web.security import (
    AccessDenied,
    LoginLimiter,
    NotAuthenticated,
    Pseudonyms,
)
from calciscope.web.settings import WebSettings
from calciscope.web.watch import RegistryWatch

__all__ = ["SESSION_COOKIE", "create_app", "create_app_from_environment"]

SESSION_COOKIE = "calciscope_session"
SESSION_SECONDS = 8 * 3600
STATIC = Path(__file__).parent / "static"

_log = logging.getLogger(__name__)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problems(exc: ValidationError) -> list[dict[str, str]]:
    return [{"field": p.field, "location": p.location, "message": p.message} for p in exc.problems]


_PROBLEMS_FRAGMENT = (
    '<ul class="error problems" role="alert">'
    "{% for p in problems %}<li>{{ p.field }}: {{ p.message }}</li>{% endfor %}</ul>"
)


async def _bad_parameter(request: Request, exc: Exception) -> Response:
    """Show a request whose parameters FastAPI refused: JSON for the API, HTML for a page."""
    if not isinstance(exc, RequestValidationError):  # registered for this class only
        raise exc
    # the JSON API keeps FastAPI's 422 (its OpenAPI schema describes it); a page shows the
    # fields in HTML, as the api's errors are shown, not a JSON body in the browser
    if _wants_json(request):
        return await request_validation_exception_handler(request, _not_echoed(exc))
    problems = [
        {
            "field": str(e["loc"][-1]) if e.get("loc") else "request",
            "location": " ".join(str(part) for part in e.get("loc", ())[:-1]),
            "message": str(e.get("msg", "not acceptable")),
        }
        for e in exc.errors()
    ]
    if request.headers.get("HX-Request"):  # a fragment for the part of the page asked
        html = TEMPLATES.from_string(_PROBLEMS_FRAGMENT).render(problems=problems)
        return HTMLResponse(html, status_code=422)
    message = "a value in the address or the form cannot be used"
    context = {"title": "Cannot do that", "message": message, "problems": {"problems": problems}}
    return render(request, "error.html", context, 422)


def _not_echoed(exc: RequestValidationError) -> RequestValidationError:
    """Return the errors without a password's value and with short values (:func:`not_echoed`)."""
    return RequestValidationError(not_echoed(exc.errors()), body=None)


def _too_large(request: Request, exc: FieldTooLarge) -> Response:
    """Answer a form field over the app's limit: 413 naming the field (web38)."""
    problems = [{"field": exc.field, "location": "body", "message": exc.message}]
    summary = exc.summary
    if _wants_json(request):
        return JSONResponse({"detail": summary, "problems": problems}, status_code=413)
    if request.headers.get("HX-Request"):
        html = TEMPLATES.from_string(_PROBLEMS_FRAGMENT).render(problems=problems)
        return HTMLResponse(html, status_code=413)
    context = {"title": "Too large", "message": summary, "problems": {"problems": problems}}
    return render(request, "error.html", context, 413)


#: The error page's title for the framework's own refusals (an address no route has, ...).
_HTTP_TITLES = {404: "Not found", 405: "Not allowed", 400: "Cannot do that"}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Show the framework's refusal as a page (JSON for the API), keeping its headers.

    An address no route has, a method a route does not take, a body that cannot be parsed:
    Starlette answers those before any route, and a page answered them in JSON.
    """
    if not isinstance(exc, StarletteHTTPException):  # registered for this class only
        raise exc
    if isinstance(exc.__cause__, FieldTooLarge):  # FastAPI's "error parsing the body"
        return _too_large(request, exc.__cause__)
    if _wants_json(request) or exc.status_code < 400:
        return await http_exception_handler(request, exc)
    title = _HTTP_TITLES.get(exc.status_code, "Cannot do that")
    message = {
        404: "there is no page at this address",
        405: f"this address does not take {request.method}",
    }.get(exc.status_code, str(exc.detail))
    response = render(request, "error.html", {"title": title, "message": message}, exc.status_code)
    response.headers.update(exc.headers or {})
    return response


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _bad_parameter)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # a form read by the CSRF check before the route's own parsing raises it unwrapped
    app.add_exception_handler(FieldTooLarge, _too_large)  # type: ignore[arg-type]

    @app.exception_handler(NotAuthenticated)
    def _unauthenticated(request: Request, exc: NotAuthenticated) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "not signed in"}, status_code=401)
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(AccessDenied)
    def _denied(request: Request, exc: AccessDenied) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.message}, status_code=403)
        return render(request, "error.html", {"title": "Not allowed", "message": exc.message}, 403)

    @app.exception_handler(ValidationError)
    def _invalid(request: Request, exc: ValidationError) -> Response:
        # an id that names nothing (in the address, or decided since) is a 404, not bad input
        status = 404 if isinstance(exc, NotFoundError) else 422
        body = {"detail": exc.summary, "problems": _problems(exc)}
        if _wants_json(request):
            return JSONResponse(body, status_code=status)
        title = "Not found" if status == 404 else "Cannot do that"
        context = {"title": title, "message": str(exc.summary), "problems": body}
        return render(request, "error.html", context, status)

    @app.exception_handler(CalciscopeError)
    def _error(request: Request, exc: CalciscopeError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return render(request, "error.html", {"title": "Cannot do that", "message": str(exc)}, 409)


class _ActiveUsers:
    """Active users, their roles and session numbers, re-read at most every ``ttl`` seconds.

    A session signed in at another session number than the user's (a sign-out moved it on,
    :func:`calciscope.api.end_sessions`) is over: :func:`~calciscope.web.security.current_user`.
    """

    def __init__(self, registry: Any, ttl: float = 2.0) -> None:
        self.registry = registry
        self.ttl = ttl
        self._at = -ttl
        self._users: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, tuple[str, int]]:
        with self._lock:
            if time.monotonic() - self._at > self.ttl:
                self._users = {
                    u.name: (str(getattr(u.role, "value", u.role)), u.session_epoch)
                    for u in api.list_users(self.registry)
                    if u.active
                }
                self._at = time.monotonic()
            return self._users

    def refresh(self) -> None:
        """Forget the cache (after a user was added or disabled)."""
        with self._lock:
            self._at = -self.ttl


def _outside_token(registry: Any) -> tuple[int, ...]:
    """Return counts the app's own writes never change: a change means a write outside it."""
    counts = registry.counts()
    return tuple(counts.get(k, 0) for k in ("patients", "notes", "images", "import_batches"))


def _warm_up(app: FastAPI, stop: threading.Event | None = None) -> None:
    """Compile the templates, the per-patient explanation and the queue's extractor first; get the patient table.

    A template is compiled at its first render otherwise: the patient page's took a second
    of a worker's time, within the first requests. ``stop`` set (the app shuts down): the
    steps not begun are left out.
    """
    state = app.state
    stopped = stop.is_set if stop is not None else lambda: False
    try:
        for name in TEMPLATES.list_templates(extensions=["html"]):
            TEMPLATES.get_template(name)
        table = None if stopped() else state.patient_table.table()  # kept in a file: read
        if table is not None and table.num_rows and not stopped():  # not a list of one id
            pid = str(table.column("patient_id")[0])
            api.explain_patient(state.registry, pid, index_date=state.as_of.date)
        # The first page of suggested facts: builds the packaged extractor the evidence
        # sentences come from (about 2 s of CPU, once per process), not on a user's first visit.
        facts = [k.name for k in api.queue_kinds() if k.source is api.QueueSource.SUGGESTED_FACTS]
        if facts and not stopped():
            api.review_queue(state.registry, kinds=facts[:1], limit=1)
    except Exception:  # the first request computes instead; the server keeps serving
        _log.exception("warming up failed")


def _shut_down(thread: threading.Thread | None, stop: threading.Event, timeout: float) -> None:
    """Tell the warm-up to leave its remaining steps; wait for it and the caches' threads.

    One deadline, ``timeout`` seconds, for both (``WebSettings.shutdown_seconds``): the warm-up
    thread, then the caches' background computations (:func:`~calciscope.web.cache.wait_for_background`).
    Each wait is logged as it begins, so that a shutdown waiting does not look hung.
    """
    stop.set()
    deadline = time.monotonic() + timeout
    if thread is not None and thread.is_alive():
        _log.warning("shutting down: waiting for the warm-up thread %s (%.0f s at most)",
                     thread.name, timeout)  # fmt: skip
        thread.join(timeout)
        if thread.is_alive():
            _log.warning(
                "the warm-up thread %s is still running %.0f s after the app shut down",
                thread.name,
                timeout,
            )
    left = max(0.0, deadline - time.monotonic())
    if wait_for_background(left):
        _log.warning("a background computation is still running %.0f s after shutdown", timeout)


def _lifespan(registry: Any) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop, thread = threading.Event(), None
        if app.state.settings.warm_before_serving:  # another worker serves meanwhile
            await run_in_threadpool(_warm_up, app)
        else:
            # in the background: this process serves at once. Shutting down waits for it, so
            # an app that was closed leaves no thread touching its registry (stop 37's CI
            # failure: one still building the extractor after its test had ended)
            thread = threading.Thread(
                target=_warm_up,
                args=(app, stop),
                daemon=True,
                name=f"calciscope-warm-up-{id(app)}",
            )
            app.state.warm_up, app.state.warm_up_stop = thread, stop
            thread.start()
        try:
            yield
        finally:
            seconds = app.state.settings.shutdown_seconds
            await run_in_threadpool(_shut_down, thread, stop, seconds)

    return lifespan


def _check_every_route_declares_access(app: FastAPI) -> None:
    for route in app.routes:
        if isinstance(route, APIRoute):
            extra = route.openapi_extra or {}
            if "x-roles" not in extra and not extra.get("x-public"):
                raise RuntimeError(f"route {route.path} declares no roles")


#: Sent with every response: no framing, no sniffing, scripts only from this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class _AroundEachRequest:
    """Follow the other workers' writes when due (see :mod:`~calciscope.web.watch`); add headers.

    A plain ASGI middleware: it only adds headers to the response's start, where an
    ``@app.middleware("http")`` function would run each request through a task and a stream
    of its own (a fraction of a millisecond of every request).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch: RegistryWatch = scope["app"].state.watch
        if watch.due():
            await run_in_threadpool(watch.check)
        if scope["method"] in ("POST", "PUT", "PATCH"):  # a body or form field over its limit: 413
            receive = watch_form_fields(scope, receive)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def _follow(app: FastAPI, changes: api.RegistryChanges) -> None:
    """Treat what another process wrote as this worker treats its own writes."""
    from calciscope.web.routes.review import counted_patients, follow_decisions

    state = app.state
    if changes.imported or changes.unnamed:  # anything may have changed, of anyone
        state.generation.bump()
        return
    if changes.written and changes.patients:  # an entry's bumps are not counted: perhaps
        state.forget_every_patient()  # a write naming no patient came with it
    if changes.decisions:
        records = list(changes.decisions)
        state.generation.write(
            lambda: records,
            counted_patients,
            lambda done, generation, following: follow_decisions(
                state, done, generation, following
            ),
        )
    if changes.patients:
        state.generation.bump(*changes.patients)


def create_app_from_environment() -> FastAPI:
    """Build the app from the settings ``calciscope serve --workers N`` put in the environment."""
    return create_app(WebSettings.from_environment())


def create_app(settings: WebSettings) -> FastAPI:
    """Build the app for one registry (opened, and migrated, here)."""
    registry = api.open_registry(settings.db_url)
    app = _new_app(settings, registry)
    generation = Generation()
    app.state.generation = generation
    # what the workers of ``serve --workers N`` compute once between them: the whole patient
    # table per registry generation, and a decided patient's rows per patient data
    kept = settings.runs_dir.parent / "calciscope-web-tables"
    # the registry's as-of date: every result the app shows is evaluated at it (web.as_of)
    app.state.as_of = api.registry_as_of(registry)
    app.state.as_of_lock = threading.Lock()
    app.state.overview = RecentResults(
        lambda _: api.registry_overview(registry), generation, size=1, ttl=300
    )
    app.state.synthetic = _keep_synthetic_patients(registry, generation)
    _keep_per_patient(app, registry, generation, kept)
    _keep_review_queues(app, registry, generation)
    # a restart reads the whole table too, while nothing was written
    patient_table = _patient_tables(registry, kept)
    app.state.make_patient_table = patient_table
    app.state.patient_table = patient_table(app.state.as_of.date)
    # the table of the current as-of date (web.as_of replaces it when the date changes)
    generation.listen(lambda ids: app.state.patient_table.written(ids))
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.state.watch = RegistryWatch(
        registry,
        lambda changes: _follow(app, changes),
        every=settings.watch_seconds,
        lock=generation.writing,
    )
    _add_routes(app)
    return app


def _keep_synthetic_patients(registry: Any, generation: Generation) -> RecentResults:
    """Keep the count of synthetic patients every page's footer shows (``pages.render``).

    Counted again after a write that may add patients (an import, which the watch follows,
    names none) and at least every 30 s; a review decision or a fact entered (they name
    their patients and add none) leave it kept.
    """
    patients_changed = Generation()
    generation.listen(lambda ids: None if ids else patients_changed.bump())
    return RecentResults(
        lambda _: api.synthetic_patients(registry), patients_changed, size=1, ttl=30
    )


def _keep_review_queues(app: FastAPI, registry: Any, generation: Generation) -> None:
    """Keep the review queues and their counts, forgotten when the registry is written."""
    app.state.queues = RecentResults(
        # (kind, patient, index date: the as-of date the page resolved, web.as_of)
        lambda key: api.review_queue(
            registry, kinds=[key[0]] if key[0] else None, patient=key[1], index_date=key[2]
        ),
        generation,
        size=64,
        ttl=60,
    )
    app.state.queue_counts = RecentResults(
        lambda key: api.review_queue_counts(registry, kinds=[key[0]], patient=key[1]),
        generation,
        size=64,
        ttl=60,
    )


def _patient_tables(registry: Any, kept: Path) -> Callable[[dt.date], PatientTable]:
    """Return the maker of the app's patient table at a date (kept in ``kept``)."""

    def patient_table(when: dt.date) -> PatientTable:
        # at the one date of the patient pages and the queue (the registry's as-of date,
        # web.as_of): a patient's list row and page give one answer
        return PatientTable(
            lambda: api.kept_patient_table(registry, kept, index_date=when),
            lambda ids: api.patient_features(registry, ids, index_date=when, kept=kept),
            lambda table, where: api.filter_patients(table, where),
            ttl=60,
            outside=lambda: _outside_token(registry),
            # decisions, entries and imports are seen by the watch; this is for CLI note reading
            max_age=1800,
        )

    return patient_table


def _keep_per_patient(app: FastAPI, registry: Any, generation: Generation, kept: Path) -> None:
    """Keep each patient's explanation and page record, forgotten when a write names them.

    An explanation computed again after a decision is shared with the other workers through
    ``kept`` (see :func:`calciscope.api.explain_patient`): one computes it, the others read it.
    """
    # a patient's explanation reads only that patient's facts: a write forgets the patients it
    # names (every explanation when it names none), not the explanations of everyone
    by_patient = Generation()
    app.state.explanations = RecentResults(
        # at the registry's as-of date, as the review queue and the CLI (web.as_of), so the
        # patient page and the queue never give one patient two answers
        lambda pid: Kept(
            api.explain_patient(registry, pid, index_date=app.state.as_of.date, kept=kept)
        ),
        by_patient,
        size=256,
        ttl=300,
    )
    # the patient page's record, kept the same way; a write outside the app that names no
    # patient (an image reading, a note extraction) moves the registry's generation, which
    # the watch follows; ``ttl`` bounds what a watch that is off (``--watch-seconds``) misses
    app.state.patients = RecentResults(
        lambda pid: read_patient(registry, pid), by_patient, size=256, ttl=30
    )
    per_patient = (app.state.explanations, app.state.patients)

    def forget(ids: tuple[str, ...]) -> None:
        if not ids:
            by_patient.bump()
        for kept in per_patient:
            kept.forget(ids)

    generation.listen(forget)
    # the watch: the registry's data changed beyond what the decisions and entries name
    app.state.forget_every_patient = by_patient.bump


def _new_app(settings: WebSettings, registry: Any) -> FastAPI:
    """Return the app of ``registry`` with its settings, users, login limiter and pseudonyms."""
    app = FastAPI(
        title="calciscope",
        description="The review workspace of a calciscope registry (SYNTHETIC data in the demo).",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(registry),
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.active_users = _ActiveUsers(registry)
    app.state.login_limiter = LoginLimiter(settings.login_attempts, settings.login_window_seconds)
    # the ids of the kept patient table: an unknown pseudonym costs a look at it, never a
    # computation of the patient list
    app.state.pseudonyms = Pseudonyms(
        settings.secret_key,
        lambda: [str(v) for v in app.state.patient_table.table().column("patient_id").to_pylist()],
    )
    return app


def _add_routes(app: FastAPI) -> None:
    """Add the per-request middleware, error pages, static files and every route (checked)."""
    from calciscope.web.routes import ROUTERS

    app.add_middleware(_AroundEachRequest)
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        # the routes themselves, not FastAPI's lazily included router (0.16x), so that
        # app.routes lists every APIRoute for the access check below and the route x role test
        app.router.routes.extend(router.routes)
    _check_every_route_declares_access(app)

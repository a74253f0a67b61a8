"""``calciscope serve``: the review workspace in a browser (FastAPI + uvicorn, the ``web`` extra)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from calciscope.cli.options import DbOption
from calciscope.errors import MissingExtraError

__all__ = ["register"]

#: Import name and distribution of what ``serve`` needs (all in the ``web`` extra).
_WEB_MODULES = {
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "multipart": "python-multipart",
    "itsdangerous": "itsdangerous",
    "argon2": "argon2-cffi",
}


#: How long ``serve --workers N`` waits for a worker's answer before restarting it.
WORKER_HEALTHCHECK_SECONDS = 300

#: How long an idle keep-alive connection stays open (uvicorn's default is 5 s). Longer than
#: the clients' own idle limits (httpx 5 s, browsers a minute or more, nginx's upstream pool),
#: so that the client closes an idle connection first: with equal limits, a request sent on a
#: connection as the server closes it fails (``RemoteProtocolError``, ``ReadError``: the likely
#: cause of the 3 errors of the benchmark's paced run, its clients idle 1 s and more).
KEEP_ALIVE_SECONDS = 75


def _require_web() -> None:
    for module, package in _WEB_MODULES.items():
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(package, "web")


HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[
    int, typer.Option("--port", min=1, max=65535, help="Port to listen on (1-65535).")
]
InsecureCookiesOption = Annotated[
    bool,
    typer.Option(
        "--insecure-cookies",
        help="Send the session cookie over plain HTTP too (only for http://127.0.0.1; "
        "behind HTTPS leave it off).",
    ),
]
ResearchersReadNotesOption = Annotated[
    bool,
    typer.Option(
        "--researchers-read-notes", help="Let researchers read note text (off by default)."
    ),
]
ImageRootOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--image-root",
        help="A folder the image viewer may open indexed images from (repeat; also "
        "$CALCISCOPE_IMAGE_ROOTS).",
    ),
]
WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        max=64,
        help="Worker processes (uvicorn); each follows the others' writes within --watch-seconds.",
    ),
]
WatchSecondsOption = Annotated[
    float,
    typer.Option(
        "--watch-seconds",
        min=0.0,
        help="How often a worker looks for writes made by other workers or the CLI.",
    ),
]


def serve(
    db: DbOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    insecure_cookies: InsecureCookiesOption = False,
    researchers_read_notes: ResearchersReadNotesOption = False,
    image_root: ImageRootOption = None,
    workers: WorkersOption = 1,
    watch_seconds: WatchSecondsOption = 0.5,
) -> None:
    """Serve the web app (dashboard, patients, review queue, facts, studies, audit) on a registry.

    Add a user first: calciscope users add NAME --role clinician. The session key comes from
    $CALCISCOPE_SECRET_KEY or a generated file with mode 0600 next to the registry.
    """
    _require_web()
    from calciscope import api
    from calciscope.web import WebSettings, create_app, load_secret_key, runs_dir_for

    url = api.resolve_db_url(db)
    settings = WebSettings(
        db_url=url,
        secret_key=load_secret_key(url),
        runs_dir=runs_dir_for(url),
        secure_cookies=not insecure_cookies,
        researcher_notes=researchers_read_notes,
        image_roots=tuple(image_root or ()),
        watch_seconds=watch_seconds,
        warm_before_serving=workers > 1,
    )
    # uvicorn speaks plain HTTP; TLS is the reverse proxy's job (docs/web.md)
    processes = f" ({workers} workers)" if workers > 1 else ""
    app = create_app(settings) if workers == 1 else None  # opened here: its errors first
    typer.echo(f"calciscope serves {url} on http://{host}:{port}{processes} (Ctrl-C stops)")
    if insecure_cookies and host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo("warning: --insecure-cookies on a non-loopback address sends sessions in clear")
    if app is not None:
        import uvicorn

        uvicorn.run(
            app, host=host, port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_SECONDS
        )
    else:
        _serve_workers(settings, workers=workers, host=host, port=port)


def _serve_workers(settings: Any, *, workers: int, host: str, port: int) -> None:
    """Run ``workers`` uvicorn processes, each building its app from the settings it inherits."""
    import uvicorn

    from calciscope import api

    api.open_registry(settings.db_url).close()  # migrated once, here, before the workers open it
    os.environ.update(settings.to_environment())
    uvicorn.run(
        "calciscope.web:create_app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # a worker importing, or computing its first tables on a loaded machine, may answer
        # the supervisor's ping late; it is restarted only when it does not answer at all
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the root app."""
    app.command("serve")(serve)

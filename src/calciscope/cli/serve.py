"""``calciscope serve``: the review workspace in a browser (FastAPI + uvicorn, the ``web`` extra)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

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


def _require_web() -> None:
    for module, package in _WEB_MODULES.items():
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(package, "web")


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            "--insecure-cookies",
            help="Send the session cookie over plain HTTP too (only for http://127.0.0.1; "
            "behind HTTPS leave it off).",
        ),
    ] = False,
    researchers_read_notes: Annotated[
        bool,
        typer.Option(
            "--researchers-read-notes", help="Let researchers read note text (off by default)."
        ),
    ] = False,
    image_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--image-root",
            help="A folder the image viewer may open indexed images from (repeat; also "
            "$CALCISCOPE_IMAGE_ROOTS).",
        ),
    ] = None,
) -> None:
    """Serve the web app (dashboard, patients, review queue, facts, studies, audit) on a registry.

    Add a user first: calciscope users add NAME --role clinician. The session key comes from
    $CALCISCOPE_SECRET_KEY or a generated file with mode 0600 next to the registry.
    """
    _require_web()
    import uvicorn

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
    )
    app = create_app(settings)
    # uvicorn speaks plain HTTP; TLS is the reverse proxy's job (docs/web.md)
    typer.echo(f"calciscope serves {url} on http://{host}:{port} (Ctrl-C stops)")
    if insecure_cookies and host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo("warning: --insecure-cookies on a non-loopback address sends sessions in clear")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the root app."""
    app.command("serve")(serve)

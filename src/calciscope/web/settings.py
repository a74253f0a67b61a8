"""How the web app is configured: the registry URL, cookie security and the secret key.

The secret key signs the session cookie. It comes from ``$CALCISCOPE_SECRET_KEY`` or from a
file generated once with mode 0600 next to the registry (``.calciscope-secret-key`` beside an
SQLite file, in the working directory for a server database). It is never in the code.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from calciscope.errors import Problem, ValidationError

__all__ = [
    "SECRET_ENV",
    "SECRET_FILE_NAME",
    "SETTINGS_ENV",
    "WebSettings",
    "load_secret_key",
    "runs_dir_for",
    "secret_key_path",
]

#: Environment variable holding the session-signing key.
SECRET_ENV = "CALCISCOPE_SECRET_KEY"
#: Environment variable holding the other settings for the workers of ``serve --workers``.
SETTINGS_ENV = "CALCISCOPE_WEB_SETTINGS"
#: Name of the generated key file.
SECRET_FILE_NAME = ".calciscope-secret-key"


@dataclass(frozen=True)
class WebSettings:
    """Settings of one app instance.

    Parameters
    ----------
    db_url
        The registry.
    secret_key
        Signs session cookies (see :func:`load_secret_key`).
    secure_cookies
        Send the session cookie only over HTTPS. Turn off only for plain-HTTP localhost
        (``calciscope serve --insecure-cookies``).
    researcher_notes
        Let researchers read note text (off by default: researchers see coded facts only).
    login_attempts, login_window_seconds
        Failed logins allowed per user name and client address within the window.
    runs_dir
        Where study runs from the web app are written (:func:`runs_dir_for` by default).
    image_roots
        Folders the viewer may open indexed images from (besides ``$CALCISCOPE_IMAGE_ROOTS``).
    watch_seconds
        How often a worker looks for what other processes wrote to the registry (another
        worker of ``serve --workers``, the CLI; :mod:`calciscope.web.watch`): a decision made
        through one worker is seen by the others at their first request this long after it.
    warm_before_serving
        Compute the patient table before taking requests (``serve --workers N``: a worker
        still computing takes none, the ready ones serve); one process serves at once and
        computes in the background.
    shutdown_seconds
        How long the app's shutdown waits, in all, for its warm-up thread and the caches'
        background computations before it ends with a warning (fix48: it could wait 60 s for
        each, two minutes that looked hung). Short for ``serve``; the tests wait longer.
    """

    db_url: str
    secret_key: str
    runs_dir: Path
    secure_cookies: bool = True
    researcher_notes: bool = False
    login_attempts: int = 5
    login_window_seconds: int = 900
    image_roots: tuple[Path, ...] = ()
    watch_seconds: float = 0.5
    warm_before_serving: bool = False
    shutdown_seconds: float = 10.0

    def to_environment(self) -> dict[str, str]:
        """Return environment variables from which :meth:`from_environment` builds these settings.

        For the worker processes of ``calciscope serve --workers N``: the secret key goes into
        ``$CALCISCOPE_SECRET_KEY`` (as if the user had set it), the rest as JSON.
        """
        fields = {
            "db_url": self.db_url,
            "runs_dir": str(self.runs_dir),
            "secure_cookies": self.secure_cookies,
            "researcher_notes": self.researcher_notes,
            "login_attempts": self.login_attempts,
            "login_window_seconds": self.login_window_seconds,
            "image_roots": [str(p) for p in self.image_roots],
            "watch_seconds": self.watch_seconds,
            "warm_before_serving": self.warm_before_serving,
            "shutdown_seconds": self.shutdown_seconds,
        }
        return {SECRET_ENV: self.secret_key, SETTINGS_ENV: json.dumps(fields)}

    @classmethod
    def from_environment(cls) -> WebSettings:
        """Return the settings :meth:`to_environment` wrote (in a worker process)."""
        try:
            fields = json.loads(os.environ[SETTINGS_ENV])
            secret = os.environ[SECRET_ENV]
        except (KeyError, ValueError) as exc:
            raise ValidationError(
                [Problem("environment", SETTINGS_ENV, type(exc).__name__, str(exc))],
                summary="a web worker needs the settings calciscope serve gives it",
            ) from None
        fields["runs_dir"] = Path(fields["runs_dir"])
        fields["image_roots"] = tuple(Path(p) for p in fields["image_roots"])
        return cls(secret_key=secret, **fields)


def secret_key_path(db_url: str) -> Path:
    """Return where the generated key lives: beside an SQLite file, else the working directory."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and db_url[len(prefix) :] not in ("", ":memory:"):
        return Path(db_url[len(prefix) :]).resolve().parent / SECRET_FILE_NAME
    return Path.cwd() / SECRET_FILE_NAME


def runs_dir_for(db_url: str) -> Path:
    """Return the default folder of the web app's study runs, beside the key file."""
    return secret_key_path(db_url).parent / "calciscope-web-runs"


def load_secret_key(db_url: str) -> str:
    """Return the key from ``$CALCISCOPE_SECRET_KEY``, else from (or into) the key file.

    Raises
    ------
    ValidationError
        When the key file can be read by other users (its mode must be 0600), or cannot be
        written (the registry's folder does not exist, or is not writable).
    """
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env
    path = secret_key_path(db_url)
    try:
        # O_EXCL: never overwrite a key another process has just written
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ValidationError(
                [Problem(str(path), "", "mode", f"is {mode:o}; run chmod 600 {path}")],
                summary="the secret key file is readable by other users",
            ) from None
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:  # a folder that does not exist, or that we may not write in
        message = f"cannot be written ({exc.strerror}); check the folder, or set ${SECRET_ENV}"
        raise ValidationError(
            [Problem(str(path), "", "secret key file", message)],
            summary="cannot create the secret key file",
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()

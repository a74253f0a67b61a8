"""schemathesis against the app's OpenAPI schema, in-process: no request may end in a 5xx.

Every operation of ``/api/openapi.json`` is sent generated requests (a bounded number each, with
a fixed seed, so the test is repeatable and quick) by a signed-in user of each role it allows
(``x-roles``; the public ones by the clinician), with the session's CSRF token; the check is
schemathesis' ``not_a_server_error``. Signing out is left out (it would end the session the
other requests use; ``test_access.py`` covers it). SYNTHETIC registry (see conftest.py).

The first request that lists the patient kinds of the queue classifies the cohort, which
compiles its queries (tens of seconds on a loaded 2-core machine): longer than schemathesis'
default 10 s read timeout, which is what made a first ``GET /api/review`` fail with an
exception (a client timeout, not a server error). The requests here wait as long as a browser
does.
"""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="the test extra is not installed")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from web_client import ROLE_USER, client_for, sign_in  # noqa: E402

from calciscope.web.app import SESSION_COOKIE  # noqa: E402

#: Generated requests per operation and role (the whole test stays within about a minute).
EXAMPLES = 5
#: Fewer for the costly ones: a study run runs the whole study; a sign-in hashes (argon2id).
FEWER = {("POST", "/api/study/runs"): 1, ("POST", "/api/login"): 2}
#: Operations not sent: signing out would end the session every other request uses.
SKIPPED = {("POST", "/api/logout")}


def _operations(app: Any, role: str) -> list[Any]:
    """Return the operations this role may call (the public ones for the clinician only)."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    chosen = []
    for op in (result.ok() for result in schema.get_all_operations()):
        raw = op.definition.raw
        allowed = role in raw.get("x-roles", ()) or (raw.get("x-public") and role == "clinician")
        if allowed and (op.method.upper(), op.path) not in SKIPPED:
            chosen.append(op)
    return chosen


def _send_examples(operation: Any, cookies: dict[str, str], headers: dict[str, str]) -> list[str]:
    """Send up to EXAMPLES generated requests; return a line for each server error."""
    errors: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=FEWER.get((operation.method.upper(), operation.path), EXAMPLES),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers, cookies=cookies, timeout=600)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception as exc:
            errors.append(f"{case.method} {case.formatted_path}: {exc}".splitlines()[0])
            errors.append(f"  {case.as_curl_command()}")

    run()
    return errors


@pytest.mark.parametrize("role", ["clinician", "researcher", "admin"])
def test_no_server_error_on_generated_requests(app: Any, role: str) -> None:
    client = sign_in(client_for(app), ROLE_USER[role])
    cookies = {SESSION_COOKIE: client.cookies[SESSION_COOKIE]}
    headers = {"X-CSRF-Token": client.headers["X-CSRF-Token"]}
    operations = _operations(app, role)
    assert len(operations) >= {"clinician": 15, "researcher": 10, "admin": 5}[role]
    errors = [line for op in operations for line in _send_examples(op, cookies, headers)]
    assert not errors, "\n".join(errors)

"""Ending another user's sessions, password changes that end sessions, the 404 page's menu.

fix40: an admin's own password and sessions are not changed on the admin routes; wrong
current passwords are rate-limited per user (429); the sign-in page while signed in.

SYNTHETIC registry (tests/web/conftest.py); users ada (admin), cleo (clinician), rhea
(researcher).
"""

from __future__ import annotations

import re

from web_client import PASSWORDS, client_for, csrf_of, sign_in

from calciscope import api

#: A page every role may open that computes nothing: the probe of whether a session is on.
PROBE = "/account/password"


def _ended(client) -> bool:
    """The session is over: its next page goes to the sign-in page."""
    page = client.get(PROBE)
    return page.status_code == 303 and page.headers["location"] == "/login"


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _audit(app, action: str) -> list[tuple[str, str]]:
    return [(e.actor, e.target) for e in api.audit_log(app.state.registry, action=action)]


def test_an_admin_ends_another_users_sessions_from_the_users_page(app, signed_in):
    admin, cleo = signed_in("admin"), signed_in("clinician")
    assert cleo.get(PROBE).status_code == 200
    page = admin.get("/admin/users").text
    assert 'data-end-sessions="cleo"' in page and 'data-end-sessions="ada"' not in page
    # the button asks first: a page naming the user, whose form carries the CSRF token
    confirm = admin.get("/admin/users/cleo/end-sessions")
    assert confirm.status_code == 200 and "End every session of cleo?" in confirm.text
    token = _form_token(confirm.text)
    # without the token, or by another role: refused, nothing ended
    admin.headers.pop("X-CSRF-Token")
    assert admin.post("/admin/users/cleo/end-sessions").status_code == 403
    assert cleo.post("/admin/users/rhea/end-sessions").status_code == 403
    assert cleo.get(PROBE).status_code == 200
    done = admin.post("/admin/users/cleo/end-sessions", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    # cleo's next request goes to the sign-in page (the API: 401); the admin stays signed in
    copy = client_for(app)
    copy.cookies.update(cleo.cookies)
    assert copy.post("/api/account/password", json={}).status_code == 401
    assert _ended(cleo)
    assert admin.get("/admin/users").status_code == 200
    assert _audit(app, "user.end_sessions") == [("ada", "user:cleo")]
    assert _audit(app, "logout") == []
    assert sign_in(client_for(app), "cleo").get(PROBE).status_code == 200


def test_end_sessions_json_and_an_unknown_user_is_a_404(app, signed_in):
    admin, rhea = signed_in("admin"), signed_in("researcher")
    ended = admin.post("/api/admin/users/rhea/end-sessions")
    assert ended.status_code == 200 and ended.json() == {"name": "rhea", "session_number": 1}
    assert rhea.get("/api/session").json()["user"] is None  # the JSON API: 401 from here on
    assert rhea.post("/api/account/password", json={}).status_code == 401
    for method, path in (
        ("POST", "/api/admin/users/nobody/end-sessions"),
        ("POST", "/api/admin/users/nobody/disable"),
        ("POST", "/api/admin/users/nobody/password"),
    ):
        body = {"json": {"password": "long-enough-pw"}} if path.endswith("password") else {}
        refused = admin.request(method, path, **body)
        assert refused.status_code == 404, path
        assert refused.json()["problems"][0]["field"] == "name", path
    page = admin.get("/admin/users/nobody/end-sessions")
    assert page.status_code == 404 and "no such user" in page.text


def test_an_admin_setting_a_password_ends_that_users_sessions(app, signed_in):
    admin, cleo = signed_in("admin"), signed_in("clinician")
    new = "SYNTHETIC-new-pass-5678"
    short = admin.post("/api/admin/users/cleo/password", json={"password": "short"})
    assert short.status_code == 422 and short.json()["problems"][0]["field"] == "password"
    assert cleo.get(PROBE).status_code == 200  # refused: nothing changed
    token = _form_token(admin.get("/admin/users").text)
    done = admin.post("/admin/users/cleo/password", data={"csrf_token": token, "password": new})
    assert done.status_code == 303
    assert _ended(cleo)
    registry = app.state.registry
    assert api.authenticate(registry, "cleo", PASSWORDS["cleo"][1]) is None
    assert api.authenticate(registry, "cleo", new) is not None
    [row] = api.audit_log(registry, action="user.password")
    assert (row.actor, row.target) == ("ada", "user:cleo")
    # never the password or its hash in the audit log
    every = " ".join(str(vars(e)) for e in api.audit_log(registry, limit=None))
    assert new not in every and "$argon2" not in every


def test_changing_your_own_password_keeps_this_session_and_ends_the_others(app, signed_in):
    here, elsewhere = signed_in("clinician"), signed_in("clinician")
    new = "SYNTHETIC-cleo-pass-9999"
    wrong = here.post(
        "/api/account/password", json={"current_password": "not-it-at-all", "new_password": new}
    )
    assert wrong.status_code == 422
    assert wrong.json()["problems"][0]["field"] == "current_password"
    assert elsewhere.get(PROBE).status_code == 200  # a wrong try ends nothing
    assert _audit(app, "login_failed") == [("cleo", "user:cleo")]
    changed = here.post(
        "/api/account/password",
        json={"current_password": PASSWORDS["cleo"][1], "new_password": new},
    )
    assert changed.status_code == 200, changed.text
    assert here.get(PROBE).status_code == 200  # the session that changed it stays on
    assert here.get("/api/session").json()["user"] == "cleo"
    assert _ended(elsewhere)
    assert _audit(app, "user.password") == [("cleo", "user:cleo")]
    # the form: a copy of this session's cookie taken before the change is over after it
    before = client_for(app)
    before.cookies.update(here.cookies)
    token = _form_token(here.get("/account/password").text)
    form = {"csrf_token": token, "current_password": new, "new_password": new + "-2"}
    done = here.post("/account/password", data=form)
    assert done.status_code == 303 and done.headers["location"] == "/account/password"
    # "changed" comes from the change itself (a flag in the signed session), shown once
    assert "Password changed" in here.get(done.headers["location"]).text
    assert "Password changed" not in here.get("/account/password").text
    assert "Password changed" not in here.get("/account/password?changed=true").text
    assert _ended(before)


def test_an_admin_cannot_set_their_own_password_or_end_their_own_sessions_here(app, signed_in):
    here, other = signed_in("admin"), signed_in("admin")
    token = _form_token(here.get("/admin/users").text)
    for refused in (
        here.post("/api/admin/users/ada/password", json={"password": "SYNTHETIC-ada-4321"}),
        here.post("/admin/users/ada/password", data={"csrf_token": token, "password": "x" * 12}),
        here.post("/api/admin/users/ada/end-sessions"),
        here.post("/admin/users/ada/end-sessions", data={"csrf_token": token}),
        here.get("/admin/users/ada/end-sessions"),
    ):
        assert refused.status_code == 422, refused.request.url
    refused = here.post("/api/admin/users/ada/password", json={"password": "SYNTHETIC-ada-4321"})
    assert "/account/password" in refused.json()["problems"][0]["message"]
    assert api.authenticate(app.state.registry, "ada", PASSWORDS["ada"][1]) is not None
    assert other.get("/api/admin/users").status_code == 200  # nothing ended
    assert _audit(app, "user.password") == [] and _audit(app, "logout") == []


def test_wrong_current_passwords_are_rate_limited_per_user_with_retry_after(app, signed_in):
    cleo, rhea = signed_in("clinician"), signed_in("researcher")
    new = "SYNTHETIC-cleo-pass-9999"

    def change(client, current: str):
        body = {"current_password": current, "new_password": new}
        return client.post("/api/account/password", json=body)

    # a typo, then the right one: the success forgets the failure (5 more tries after it)
    assert change(cleo, "typo-typo-typo").status_code == 422
    assert change(cleo, PASSWORDS["cleo"][1]).status_code == 200
    for _ in range(5):
        wrong = change(cleo, "not-it-at-all")
        assert wrong.status_code == 422
        assert wrong.json()["problems"][0]["field"] == "current_password"
    limited = change(cleo, new)  # even the right one, until the window passes
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    token = _form_token(cleo.get("/account/password").text)
    form = {"csrf_token": token, "current_password": new, "new_password": new + "-2"}
    page = cleo.post("/account/password", data=form)
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "Too many wrong passwords" in page.text
    # keyed by the signed-in user: others behind the same address, and signing in, go on
    assert change(rhea, "not-it-at-all").status_code == 422
    fresh = client_for(app)
    credentials = {"name": "cleo", "password": new}  # same client address, the new password
    signed = fresh.post("/api/login", json=credentials, headers={"X-CSRF-Token": csrf_of(fresh)})
    assert signed.status_code == 200
    assert len(_audit(app, "login_failed")) == 7  # each wrong try audited, none while limited


def test_the_new_password_is_named_as_sent_and_bounded(app, signed_in):
    cleo = signed_in("clinician")
    current = PASSWORDS["cleo"][1]
    for new, message in (
        ("short", "needs at least 8 characters"),
        (" " * 12, "cannot be only spaces"),
        ("x" * 1025, "has at most 1,024 characters"),
    ):
        body = {"current_password": current, "new_password": new}
        refused = cleo.post("/api/account/password", json=body)
        assert refused.status_code == 422
        problem = refused.json()["problems"][0]
        assert (problem["field"], problem["message"]) == ("new_password", message)
    assert _audit(app, "login_failed") == []  # a bad new password is no wrong guess


def test_the_sign_in_page_while_signed_in_says_who_instead_of_the_form(app, signed_in):
    cleo = signed_in("clinician")
    page = cleo.get("/login")
    assert page.status_code == 200 and "Signed in as <strong>cleo</strong>" in page.text
    assert 'action="/login"' not in page.text and 'href="/">Continue' in page.text
    token = _form_token(page.text)
    tried = cleo.post("/login", data={"csrf_token": token, "name": "rhea", "password": "wrong"})
    assert tried.status_code == 409 and "sign out first" in tried.text
    assert "Signed in as <strong>cleo</strong>" in tried.text
    assert cleo.get("/api/session").json()["user"] == "cleo"
    assert _audit(app, "login_failed") == []  # nothing was tried
    anonymous = client_for(app)
    assert 'action="/login"' in anonymous.get("/login").text


def test_the_404_page_has_the_user_menu(app, signed_in):
    client = signed_in("clinician")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "there is no page at this address" in page.text
    assert "cleo · clinician" in page.text and "Sign out" in page.text
    assert 'href="/review"' in page.text  # the clinician's menu
    anonymous = client_for(app)
    csrf_of(anonymous)
    bare = anonymous.get("/no-such-page")
    assert bare.status_code == 404 and "Sign out" not in bare.text

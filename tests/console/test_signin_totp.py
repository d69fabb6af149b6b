"""The console's sign-in with a one-time code: the sentences a tab shows, in both languages."""

from __future__ import annotations

import secrets

import pytest

from sync.server.console.models import users
from sync.server.console.models.signin import attempt
from sync.server.staff.accounts import add_user
from sync.server.storage import utc_now
from tests.console.conftest import PASSWORD, code_for


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_wrong_code_reads_exactly_like_a_wrong_password(tab, lang):
    with_code, other = tab("admin", lang=lang), tab("supervisor", lang=lang)
    name, with_code.user = with_code.user.name, None
    other_name, other.user = other.user.name, None
    right = code_for(name)
    wrong_code = f"{(int(right) + 1) % 10**6:06d}"
    by_code = attempt(with_code, name, PASSWORD, wrong_code)
    by_password = attempt(other, other_name, "wrong-password", code_for(other_name))
    assert by_code == by_password == (False, with_code.t("console.signin.wrong"))
    assert with_code.user is None
    assert attempt(with_code, name, PASSWORD, right) == (True, "")


def test_a_replayed_code_is_refused_with_the_same_sentence(tab):
    ctx = tab("supervisor")
    name, ctx.user = ctx.user.name, None
    code = code_for(name)
    assert attempt(ctx, name, PASSWORD, code) == (True, "")
    ctx.user = None
    assert attempt(ctx, name, PASSWORD, code) == (False, ctx.t("console.signin.wrong"))


@pytest.mark.parametrize(("role", "lang"), [("admin", "id"), ("supervisor", "en")])
def test_an_admin_or_supervisor_without_totp_is_told_what_the_operator_must_run(tab, role, lang):
    ctx = tab("officer", lang=lang)
    ctx.user = None
    name = f"{role}-{secrets.token_hex(4)}"
    add_user(ctx.db, name, role, PASSWORD, now=utc_now())
    ok, sentence = attempt(ctx, name, PASSWORD, "")
    assert not ok and ctx.user is None
    assert sentence == ctx.t("console.signin.totp_needed", name=name)
    assert f"kiosk-server user totp {name}" in sentence


def test_an_admin_adding_a_supervisor_in_the_console_is_told_the_totp_step(tab):
    admin = tab("admin")
    name = f"Sup {secrets.token_hex(4)}"
    ok, sentence = users.add(admin, name, "supervisor", PASSWORD, PASSWORD)
    assert ok and sentence == admin.t("console.users.added_needs_totp", name=name)
    assert f"kiosk-server user totp {name}" in sentence
    plain = f"Ver {secrets.token_hex(4)}"
    assert users.add(admin, plain, "verifier", PASSWORD, PASSWORD) == (
        True,
        admin.t("console.users.added", name=plain),
    )

"""What a page costs the browser: every request it makes answers, and none of them but the page itself
goes through the session. A browser asks for /favicon.ico when a page names no icon; that 404 went
through the session middleware, which re-sent the session cookie, and arriving late it could put the
previous person's session back after a switch of user at a shared tablet (CI, 2026-12-01)."""

from __future__ import annotations

import pytest

from tests.browser.fixtures import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_page_names_its_icon_and_every_request_answers(live_server, audit_purge_on_teardown, page, make_user):
    make_user("crc", "coordinator")
    answered: list[tuple[int, str]] = []
    page.on("response", lambda r: answered.append((r.status, r.url)))
    login(page, live_server.url, "crc")
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    assert [(s, u) for s, u in answered if s >= 400] == []
    assert not [u for _s, u in answered if u.endswith("/favicon.ico")]
    assert any(u.endswith("/static/web/favicon.svg") for _s, u in answered)

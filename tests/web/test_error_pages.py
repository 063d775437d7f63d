"""The error pages are the platform's own (styled, in English and Chinese), never Django's bare defaults;
the 500 page renders even when the database is down."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

TEXT = {
    400: {"en": "Request not understood", "zh-hans": "无法理解该请求"},
    403: {"en": "Not allowed", "zh-hans": "无权访问"},
    404: {"en": "Page not found", "zh-hans": "找不到页面"},
    500: {"en": "Something went wrong", "zh-hans": "出现了错误"},
}
LANGUAGES = ["en", "zh-hans"]


def _assert_styled(response, status: int, language: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert f'lang="{language}"' in html and f'data-status="{status}"' in html
    assert "/static/web/celltrial.css" in html
    assert TEXT[status][language] in html
    other = "en" if language == "zh-hans" else "zh-hans"
    assert TEXT[status][other] not in html
    return html


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_for_an_unknown_address(language, users, client):
    client.force_login(users["coordinator"])
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    html = _assert_styled(response, 404, language)
    assert reverse("protocol") in html  # the reader's own menu stays


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_for_a_record_that_does_not_exist(language, users, client):
    client.force_login(users["coordinator"])
    _assert_styled(client.get("/sites/NO-SUCH/", HTTP_ACCEPT_LANGUAGE=language), 404, language)
    _assert_styled(client.get("/protocol/v999/", HTTP_ACCEPT_LANGUAGE=language), 404, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_when_logged_out(language, client, db):
    _assert_styled(client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language), 404, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_403_for_a_page_the_role_does_not_reach(language, users, client):
    client.force_login(users["coordinator"])
    html = _assert_styled(client.get(reverse("audit"), HTTP_ACCEPT_LANGUAGE=language), 403, language)
    assert {"en": "Your role does not give access", "zh-hans": "您的角色"}[language] in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_403_for_a_form_sent_without_its_csrf_token(language, users, site):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    response = client.post(reverse("site_edit", args=[site.code]), {}, HTTP_ACCEPT_LANGUAGE=language)
    html = _assert_styled(response, 403, language)
    assert "CSRF verification failed" not in html
    assert {"en": "security token", "zh-hans": "安全令牌"}[language] in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_400(language, users, client):
    client.force_login(users["coordinator"])
    _assert_styled(client.get("/sites/%00/", HTTP_ACCEPT_LANGUAGE=language), 400, language)


@pytest.mark.parametrize("language", LANGUAGES)
@override_settings(ROOT_URLCONF="tests.web.failing_urls")
def test_500_when_a_page_fails(language, users):
    client = Client(raise_request_exception=False)
    client.force_login(users["coordinator"])
    response = client.get("/fails/", HTTP_ACCEPT_LANGUAGE=language)
    html = _assert_styled(response, 500, language)
    assert "Traceback" not in html and "RuntimeError" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_500_page_needs_no_database(language, rf):
    """No ``db`` fixture here: pytest-django fails any query, as a database that is down would."""
    from django.utils import translation

    from celltrial.web.views import server_error

    request = rf.get("/anything/")
    with translation.override(language):
        response = server_error(request)
    _assert_styled(response, 500, language)


def test_debug_is_off_in_the_tests(settings):
    """The pages above are what a deployment shows (DEBUG would replace them with Django's own)."""
    assert settings.DEBUG is False

"""Bad input to the web pages: a NUL or other control character anywhere in the address is refused
with the styled 400 page, in the reader's language, on SQLite and on PostgreSQL; never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

BAD_ADDRESSES = [
    "/sites/%00/",
    "/sites/%00/sign/",
    "/sites/BJ%0101/",
    "/protocol/%00/",
    "/%00",
    "/audit/?username=%00",
    "/audit/?q=a%00b",
    "/audit/?site=%00",
    "/audit/?object_type=x%00",
    "/audit/?action=%00",
    "/audit/?date_from=%00",
    "/audit/?page=%00",
    "/audit/?%00=1",
    "/sites/?next=%1b[2J",
    "/accounts/login/?next=%00",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_control_characters_in_the_address_get_the_styled_400(address, users, client):
    client.force_login(users["auditor"])
    response = client.get(address)
    html = response.content.decode()
    assert response.status_code == 400, (address, response.status_code)
    assert 'data-status="400"' in html and "Request not understood" in html
    assert "celltrial.css" in html  # the platform's own page, not Django's bare default


def test_the_400_page_speaks_chinese(users, client):
    client.force_login(users["auditor"])
    response = client.get("/sites/%00/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 400 and 'lang="zh-hans"' in html
    assert "无法理解该请求" in html and "Request not understood" not in html


def test_the_400_page_keeps_the_readers_menu(users, client):
    client.force_login(users["auditor"])
    html = client.get("/audit/?username=%00").content.decode()
    assert reverse("audit") in html and "Log out" in html


def test_a_post_with_a_control_character_in_the_address_is_refused(users, site, client):
    client.force_login(users["admin"])
    response = client.post(f"/sites/{site.code}/edit/?x=%00", {"principal_investigator": "Kept"})
    assert response.status_code == 400
    site.refresh_from_db()
    assert site.principal_investigator != "Kept"


def test_ordinary_text_in_the_address_still_works(users, client):
    client.force_login(users["auditor"])
    response = client.get(reverse("audit"), {"q": "Beijing\t北京 (line\r\nbreak)", "username": "qa"})
    assert response.status_code == 200


@pytest.mark.parametrize("cookie", ["abcdefgh\x00ijklmnop", "abc\x01defghij"])
def test_a_session_cookie_with_control_characters_is_ignored(cookie, client, db):
    """A forged session id never reaches the database (PostgreSQL refuses NUL in text: that was a 500)."""
    client.cookies["sessionid"] = cookie
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.get(reverse("login")).status_code == 200


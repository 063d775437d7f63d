"""Every user-facing string has a Simplified Chinese translation, and the compiled catalog matches."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "celltrial"
LOCALE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES"
# The main catalog and every room's own (a room keeps its messages beside its code).
CATALOGS = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES"))


def _entries(po_text: str) -> list[dict[str, str]]:
    """A small reader for the .po entries Django's makemessages writes (msgctxt/msgid/msgid_plural/msgstr)."""
    entries, current, key = [], {}, None
    for line in [*po_text.splitlines(), ""]:
        if not line.strip():
            if current:
                entries.append(current)
            current, key = {}, None
            continue
        if line.startswith("#,"):
            current["flags"] = line
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
        if m:
            key = m.group(1)
            current[key] = m.group(2)
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
    return [e for e in entries if e.get("msgid")]


def test_every_catalog_is_found():
    assert LOCALE in CATALOGS and len(CATALOGS) >= 3


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_message_is_translated(catalog):
    entries = _entries((catalog / "django.po").read_text())
    assert len(entries) > 10
    untranslated = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_compiled_catalog_matches_the_source(catalog):
    entries = _entries((catalog / "django.po").read_text())
    with (catalog / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    for e in entries:
        if "msgid_plural" not in e:
            expected = e["msgstr"].encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            msgid = e["msgid"].replace('\\"', '"')
            found = catalog.pgettext(e["msgctxt"], msgid) if "msgctxt" in e else catalog.gettext(msgid)
            assert found == expected.replace('\\"', '"'), e["msgid"]


@pytest.mark.parametrize("name", ["home", "protocol", "sites", "audit"])
def test_pages_render_in_chinese(name, users, client):
    client.force_login(users["data_manager"])
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in html
    assert "退出登录" in html  # the log-out button
    for english in ("Log out", "Audit trail", "Schedule of activities"):
        assert english not in html

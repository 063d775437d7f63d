"""The participants room's own Chinese catalog is complete, has no fuzzy entry, matches its compiled
file, and its Chinese uses full-width punctuation (DESIGN.md "Languages")."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import celltrial.participants
from tests.web.test_i18n import _entries

LOCALE = Path(celltrial.participants.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
SOURCES = Path(celltrial.participants.__file__).parent


@pytest.fixture(scope="module")
def entries():
    return _entries((LOCALE / "django.po").read_text(encoding="utf-8"))


def test_every_message_is_translated_and_none_is_fuzzy(entries):
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")]
    assert untranslated == [] and fuzzy == []


def test_the_catalog_holds_every_string_the_room_marks(entries):
    """A string marked in the code but missing from the catalog would show in English."""
    known = {e["msgid"].replace('\\"', '"') for e in entries}
    marked = set()
    for path in SOURCES.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        marked |= set(re.findall(r'''(?<![\w.])_\(\s*"((?:[^"\\]|\\.)+)"\s*\)''', path.read_text(encoding="utf-8")))
    for path in SOURCES.rglob("*.html"):
        marked |= set(re.findall(r'{% translate "([^"]+)" %}', path.read_text(encoding="utf-8")))
    assert len(marked) > 150  # the scan really finds the marked strings
    missing = sorted(m for m in marked if m.replace('\\"', '"') not in known)
    assert missing == []


def test_the_compiled_catalog_matches_the_source(entries):
    with (LOCALE / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    for e in entries:
        if "msgid_plural" in e:
            assert catalog.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr[0]"]
        else:
            assert catalog.gettext(e["msgid"].replace('\\"', '"')) == e["msgstr"].replace('\\"', '"'), e["msgid"]


def test_chinese_uses_full_width_punctuation(entries):
    half_width = []
    for e in entries:
        text = re.sub(r"%\(\w+\)s", "", e.get("msgstr") or e.get("msgstr[0]", ""))
        text = re.sub(r"[A-Z]{2}:[A-Z]{2}", "", text)  # a time format such as HH:MM
        if re.search(r"[,;:?!()]", text):
            half_width.append(e["msgstr"])
    assert half_width == []


def test_placeholders_survive_translation(entries):
    for e in entries:
        source = sorted(re.findall(r"%\(\w+\)s", e["msgid"]))
        target = sorted(re.findall(r"%\(\w+\)s", e.get("msgstr") or e.get("msgstr[0]", "")))
        assert source == target, e["msgid"]

"""The capture room's own Chinese catalog: every message translated, none fuzzy, full-width punctuation
beside Chinese text, and the compiled .mo matches the .po."""

from __future__ import annotations

import gettext
from pathlib import Path

from tests.web.test_i18n import _entries
from tests.web.test_zh_punctuation import mixed_punctuation

LOCALE = Path(__file__).resolve().parents[2] / "src" / "celltrial" / "capture" / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_capture_message_is_translated_and_none_is_fuzzy():
    entries = _entries((LOCALE / "django.po").read_text())
    assert len(entries) > 100
    assert [e["msgid"] for e in entries if not e.get("msgstr")] == []
    assert [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")] == []


def test_capture_chinese_uses_full_width_punctuation():
    problems = {e["msgid"]: mixed_punctuation(e["msgstr"]) for e in _entries((LOCALE / "django.po").read_text())
                if mixed_punctuation(e.get("msgstr", ""))}
    assert problems == {}


def test_the_compiled_catalog_matches_the_source():
    with (LOCALE / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    for e in _entries((LOCALE / "django.po").read_text()):
        expected = e["msgstr"].encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        assert catalog.gettext(e["msgid"].replace('\\"', '"')) == expected.replace('\\"', '"'), e["msgid"]

"""The product room's own Chinese catalog (src/celltrial/product/locale): every message translated, none
fuzzy, full-width punctuation beside Chinese text, and the compiled .mo matches the .po."""

from __future__ import annotations

import gettext
from pathlib import Path

from tests.web.test_i18n import _entries
from tests.web.test_zh_punctuation import mixed_punctuation

LOCALE = Path(__file__).resolve().parents[2] / "src" / "celltrial" / "product" / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_product_message_is_translated_and_none_is_fuzzy():
    entries = _entries((LOCALE / "django.po").read_text())
    assert len(entries) > 400
    untranslated = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")]
    assert untranslated == [] and fuzzy == []


def test_product_chinese_uses_full_width_punctuation():
    problems = {e["msgid"]: mixed_punctuation(text) for e in _entries((LOCALE / "django.po").read_text())
                for key, text in e.items() if key.startswith("msgstr") and mixed_punctuation(text)}
    assert problems == {}


def test_the_compiled_product_catalog_matches_the_source():
    entries = _entries((LOCALE / "django.po").read_text())
    with (LOCALE / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    for e in entries:
        if "msgid_plural" not in e:
            expected = e["msgstr"].encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            assert catalog.gettext(e["msgid"].replace('\\"', '"')) == expected.replace('\\"', '"'), e["msgid"]

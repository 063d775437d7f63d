"""Chinese text uses full-width punctuation (DESIGN.md "Languages"): no half-width , : ; ? ! ( ) beside a
Chinese character in any msgstr of the zh catalog. Placeholders, URLs and `code` keep theirs."""

from __future__ import annotations

import re

from tests.web.test_i18n import LOCALE, _entries

# The platform's catalog and any room's own (a room may keep its messages beside its code).
CATALOGS = sorted({LOCALE / "django.po", *LOCALE.parents[2].glob("*/locale/zh_Hans/LC_MESSAGES/django.po")})

HALF_WIDTH = ",:;?!()"
FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Left as written: %(name)s and %s placeholders, {{ template }} variables, URLs and `code`.
EXEMPT = re.compile(r"%\([^)]*\)[sdif]|%[sdif]|\{\{.*?\}\}|https?://\S+|`[^`]*`")


def mixed_punctuation(text: str) -> list[str]:
    """Each half-width mark whose nearest non-space neighbour on either side is a Chinese character."""
    text = EXEMPT.sub(lambda m: "\x00" * len(m.group()), text)
    found = []
    for i, char in enumerate(text):
        if char not in HALF_WIDTH:
            continue
        before = text[:i].rstrip()[-1:]
        after = text[i + 1:].lstrip()[:1]
        if CJK.match(before) or CJK.match(after):
            found.append(f"{text[max(0, i - 6):i + 7].replace(chr(0), '·')!r} ({char} → {FULL_WIDTH[char]})")
    return found


def test_the_check_sees_mixed_punctuation():
    assert mixed_punctuation("首例受试者观察 14 天; 后续受试者") != []
    assert mixed_punctuation("批准(签名)") != [] and mixed_punctuation("是否继续?") != []
    assert mixed_punctuation("签名：%(name)s（%(meaning)s）。") == []
    assert mixed_punctuation("请运行 `celltrial audit seal --json`，然后重试。") == []
    assert mixed_punctuation("请运行 `seal`, 然后重试。") != []
    assert mixed_punctuation("见 https://example.org/a,b 。") == []
    assert mixed_punctuation("3+3A (start_dose = DL1)") == []


def test_every_chinese_message_uses_full_width_punctuation():
    problems = {}
    for catalog in CATALOGS:
        for entry in _entries(catalog.read_text(encoding="utf-8")):
            for key, text in entry.items():
                if key.startswith("msgstr") and mixed_punctuation(text):
                    problems[f"{catalog.parents[3].name}: {entry['msgid']}"] = mixed_punctuation(text)
    assert problems == {}
    assert LOCALE / "django.po" in CATALOGS

"""The one CJK font every PDF the platform makes embeds (certificates, labels, SRC packets, CIOMS forms).

reportlab embeds TrueType outlines only, so the font is Debian's fonts-wqy-microhei (a TrueType collection;
reportlab cannot embed the OpenType/CFF Noto CJK files); ``CELLTRIAL_PDF_FONT`` names another .ttf/.ttc file.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

FONT = "CelltrialCJK"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class FontMissing(RuntimeError):
    """No embeddable CJK TrueType font: install fonts-wqy-microhei (scripts/ensure-browser-deps.sh)."""


@functools.cache
def cjk_font() -> str:
    """The registered reportlab font name, registering it on first use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    configured = os.environ.get("CELLTRIAL_PDF_FONT", "")
    for path in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if path and Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            return FONT
    raise FontMissing("no TrueType CJK font found for PDFs: install Debian's fonts-wqy-microhei "
                      "or set CELLTRIAL_PDF_FONT to a .ttf/.ttc file")

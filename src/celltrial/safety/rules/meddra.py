"""Read a sponsor's MedDRA ASCII release (pure). MedDRA is licensed: celltrial never ships it.

The MedDRA distribution's ASCII files are ``$``-delimited, one record a line (MedDRA "Distribution
File Format" document, shipped with each release). Fields used here:

- ``llt.asc``: llt_code $ llt_name $ pt_code $ … $ llt_currency (10th field, ``Y``/``N``)
- ``pt.asc``:  pt_code $ pt_name $ null $ pt_soc_code (primary SOC) $ …
- ``soc.asc``: soc_code $ soc_name $ soc_abbrev $ …
- ``meddra_release.asc`` (optional): version $ language $ …
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from celltrial.safety.rules.errors import SafetyRuleError

REQUIRED = ("llt.asc", "pt.asc", "soc.asc")
MAX_LINES = 500_000


@dataclass
class MeddraDictionary:
    version: str
    llt: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # code -> (name, pt code, current)
    pt: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (name, primary soc code)
    soc: dict[str, str] = field(default_factory=dict)  # code -> name

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "llt": {k: list(v) for k, v in self.llt.items()},
                "pt": {k: list(v) for k, v in self.pt.items()}, "soc": self.soc}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> MeddraDictionary:
        llt = {k: (v[0], v[1], bool(v[2])) for k, v in dict(data["llt"]).items()}  # type: ignore[call-overload]
        pt = {k: (v[0], v[1]) for k, v in dict(data["pt"]).items()}  # type: ignore[call-overload]
        return cls(str(data["version"]), llt, pt, dict(data["soc"]))  # type: ignore[call-overload]

    def code(self, llt_code: str) -> dict[str, str]:
        """The LLT → PT → primary SOC path of one LLT code, or a refusal naming the code."""
        if llt_code not in self.llt:
            raise SafetyRuleError(f"meddra_llt: code {llt_code!r} is not in MedDRA {self.version}")
        name, pt_code, _current = self.llt[llt_code]
        pt_name, soc_code = self.pt.get(pt_code, ("", ""))
        return {"llt_code": llt_code, "llt": name, "pt_code": pt_code, "pt": pt_name, "soc_code": soc_code,
                "soc": self.soc.get(soc_code, ""), "version": self.version}

    def search(self, text: str, limit: int = 20) -> list[dict[str, str]]:
        needle = text.strip().lower()
        if len(needle) < 2:
            return []
        hits = [c for c, (name, _pt, current) in self.llt.items() if current and needle in name.lower()]
        hits.sort(key=lambda c: (not self.llt[c][0].lower().startswith(needle), len(self.llt[c][0]), c))
        return [self.code(c) for c in hits[:limit]]


def _rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number > MAX_LINES:
            raise SafetyRuleError(f"{path.name}: more than {MAX_LINES} lines")
        if line.strip():
            rows.append(line.rstrip("\r\n").split("$"))
    return rows


def read_release(directory: Path, version: str | None = None) -> MeddraDictionary:
    """Parse the release in ``directory``; ``version`` overrides ``meddra_release.asc``."""
    missing = [name for name in REQUIRED if not (directory / name).is_file()]
    if missing:
        raise SafetyRuleError(f"MedDRA directory {directory}: missing {', '.join(missing)} (the ASCII release's "
                              "MedAscii folder is expected)")
    if version is None and (directory / "meddra_release.asc").is_file():
        first = _rows(directory / "meddra_release.asc")
        version = first[0][0].strip() if first and first[0] else None
    if not version:
        raise SafetyRuleError("version: give --version (no meddra_release.asc in the directory)")
    book = MeddraDictionary(version)
    for row in _rows(directory / "soc.asc"):
        if len(row) < 2 or not row[0].strip().isdigit():
            raise SafetyRuleError(f"soc.asc: malformed line {'$'.join(row)[:80]!r}")
        book.soc[row[0].strip()] = row[1].strip()
    for row in _rows(directory / "pt.asc"):
        if len(row) < 4 or not row[0].strip().isdigit():
            raise SafetyRuleError(f"pt.asc: malformed line {'$'.join(row)[:80]!r}")
        book.pt[row[0].strip()] = (row[1].strip(), row[3].strip())
    for row in _rows(directory / "llt.asc"):
        if len(row) < 3 or not row[0].strip().isdigit():
            raise SafetyRuleError(f"llt.asc: malformed line {'$'.join(row)[:80]!r}")
        current = (row[9].strip().upper() != "N") if len(row) > 9 else True
        book.llt[row[0].strip()] = (row[1].strip(), row[2].strip(), current)
    unknown = sorted({pt for _n, pt, _c in book.llt.values() if pt not in book.pt})
    if unknown:
        raise SafetyRuleError(f"llt.asc: LLTs point to PT codes missing from pt.asc: {', '.join(unknown[:5])}")
    return book

"""docs/protocol-reference.md stays true: its minimal example loads, its error output is real."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from celltrial.study.protocol import ProtocolError, load_protocol
from tests.study.protocol.protocol_testlib import FIXTURES

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol-reference.md"


def test_minimal_example_loads(tmp_path: Path) -> None:
    match = re.search(r"## Minimal example\n\n```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match
    (tmp_path / "protocol.yaml").write_text(match.group(1), encoding="utf-8")
    shutil.copy(FIXTURES / "minimal" / "vitals.csv", tmp_path / "vitals.csv")
    assert load_protocol(tmp_path / "protocol.yaml").protocol.id == "MINI-1"


@pytest.mark.parametrize("name", ["schema_mix", "bad_logic", "bad_redcap", "cross_mix", "redcap_schema", "yaml_syntax"])
def test_error_output_in_the_doc_is_real(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DOC.parent.parent)
    with pytest.raises(ProtocolError) as info:
        load_protocol(Path("tests/fixtures/protocols/broken") / f"{name}.yaml")
    text = DOC.read_text(encoding="utf-8")
    for line in str(info.value).splitlines():
        assert line in text


def test_limits_section_states_the_limits_in_force() -> None:
    from celltrial.study.protocol import limits

    match = re.search(r"\n## Limits\n(.*?)\n## ", DOC.read_text(encoding="utf-8"), re.S)
    assert match
    section = match.group(1)
    for stated in (f"{limits.mib(limits.MAX_FILE_BYTES)} ({limits.MAX_FILE_BYTES:,} bytes)",
                   f"{limits.mib(limits.MAX_TOTAL_BYTES)} for the protocol", f"at most {limits.MAX_FILES} files",
                   f"{limits.MAX_VALUES:,} YAML values", f"counts as {limits.CSV_ROW_VALUES}",
                   f"{limits.MAX_ALIASES:,} alias uses", f"{limits.MAX_DEPTH} levels deep",
                   f"{limits.MAX_SCALAR_CHARS:,} characters for a YAML value",
                   f"{limits.MAX_NUMBER_CHARS} characters for a number", f"first {limits.MAX_ISSUES_SHOWN}"):
        assert stated in section, stated

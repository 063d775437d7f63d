"""Every `celltrial design` command shown in docs/designs.md still prints exactly what the page shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from celltrial.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "designs.md"
BLOCK = re.compile(r"```console\n\$ (celltrial design [^\n]+)\n(.*?)\n```", re.S)
EXAMPLES = BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_page_has_examples():
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c[:80] for c, _ in EXAMPLES])
def test_documented_output(command, shown, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # --plot writes its figure here
    code = main(shlex.split(command)[1:])
    assert code == 0
    assert capsys.readouterr().out.rstrip() == shown.rstrip()

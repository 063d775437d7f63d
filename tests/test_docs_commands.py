"""The commands shown in docs/rules.md still do what the page says: same exit status, same JSON.

Tables are rendered for a terminal and may wrap differently, so they are not compared; every
documented exit status and every complete JSON output is.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest

from celltrial.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "rules.md"


def _examples() -> list[tuple[int, str, list[str]]]:
    lines = DOC.read_text().splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("$ celltrial ") and "…" not in line and " # " not in line:
            output = []
            for follower in lines[i + 1:]:
                if follower.startswith(("$ ", "```")):
                    break
                output.append(follower)
            found.append((i + 1, line[2:], output))
    return found


EXAMPLES = _examples()


def test_the_page_has_examples():
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize(("line", "command", "output"), EXAMPLES, ids=[f"line{e[0]}" for e in EXAMPLES])
def test_documented_command(line, command, output, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setitem(os.environ, "COLUMNS", "140")
    argv = shlex.split(command)[1:]
    code = main(argv)
    captured = capsys.readouterr()
    status = [int(m.group(1)) for o in output if (m := re.match(r"# exit status (\d+)", o))]
    if status:
        assert code == status[0], f"docs/rules.md:{line}: exit {code}, page says {status[0]}\n{captured.err}"
    if "--json" in argv:
        shown = "\n".join(o for o in output if not o.startswith("# exit status"))
        assert json.loads(captured.out) == json.loads(shown), f"docs/rules.md:{line}: JSON differs"

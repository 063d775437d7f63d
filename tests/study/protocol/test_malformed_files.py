"""Hostile and broken protocol files are refused quickly, within a memory limit, without a traceback.

DESIGN.md "Bad input": sizes are capped and no input produces a traceback. Each case runs in a
subprocess under an address-space limit and a timeout, through the pure loader
(`celltrial.study.protocol.load_protocol`) or the real `celltrial load-protocol` command, so that a
bomb, a hang or a crash fails the test instead of the test run. The limits themselves are documented
in docs/protocol-reference.md ("Limits").
"""

from __future__ import annotations

import gzip
import os
import random
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.study.protocol.protocol_testlib import FIXTURES

MEMORY_LIMIT = 512 * 1024 * 1024  # bytes of address space for the child
TIMEOUT = 10  # seconds; each case is refused in well under 2 s, but wall-clock times are not asserted
MINIMAL = FIXTURES / "minimal"

_PURE = """
import sys
from celltrial.study.protocol import ProtocolError, load_protocol
try:
    load_protocol(sys.argv[1])
except ProtocolError as exc:
    print(f"protocol refused: {len(exc.issues)} problem(s)", file=sys.stderr)
    print(exc, file=sys.stderr)
    sys.exit(1)
print("loaded")
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT,
                              preexec_fn=_limit_memory, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"not refused within {TIMEOUT} s: {args[-1]}")


def run_pure(path: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-c", _PURE, str(path)], cwd=path.parent)


# --- the corpus: each builder writes one hostile protocol into a folder and returns the file to load ----


def _minimal_copy(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(MINIMAL / "vitals.csv", folder / "vitals.csv")
    shutil.copy(MINIMAL / "protocol.yaml", folder / "protocol.yaml")
    return folder / "protocol.yaml"


def _minimal_text() -> str:
    return (MINIMAL / "protocol.yaml").read_text(encoding="utf-8")


def _write(folder: Path, data: bytes, name: str = "protocol.yaml") -> Path:
    folder.mkdir()
    (folder / name).write_bytes(data)
    return folder / name


def billion_laughs(folder: Path) -> Path:
    lines = ['lol0: &lol0 "lol"']
    for level in range(1, 10):
        refs = ", ".join([f"*lol{level - 1}"] * 10)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    return _write(folder, ("\n".join(lines) + "\n").encode())  # 377 bytes, 10**9 strings once expanded


def dev_zero(folder: Path) -> Path:
    folder.mkdir()
    (folder / "protocol.yaml").symlink_to("/dev/zero")
    return folder / "protocol.yaml"


def fifo(folder: Path) -> Path:
    folder.mkdir()
    os.mkfifo(folder / "protocol.yaml")  # opening it for reading would wait for a writer forever
    return folder / "protocol.yaml"


def binary_junk(folder: Path) -> Path:
    return _write(folder, random.Random(20250101).randbytes(64 * 1024))


def gzip_file(folder: Path) -> Path:
    return _write(folder, gzip.compress(_minimal_text().encode()))


def utf16(folder: Path) -> Path:
    return _write(folder, _minimal_text().encode("utf-16"))


def nul_byte(folder: Path) -> Path:
    text = _minimal_text().replace("  id: MINI-1\n", "  id: MINI\x00-1\n")
    return _write(folder, text.encode())


def invalid_utf8(folder: Path) -> Path:
    data = _minimal_text().encode().replace(b"  sponsor: {en: Test sponsor", b"  sponsor: {en: Test \xc3\x28ponsor")
    return _write(folder, data)


def million_keys(folder: Path) -> Path:
    data = "".join(f"k{i:07d}: 1\n" for i in range(1_000_000)).encode()  # 13 MB
    return _write(folder, data)


def fifty_mb_string(folder: Path) -> Path:
    return _write(folder, b"note: " + b"x" * (50 * 1024 * 1024) + b"\n")


def deep_flow_sequence(folder: Path) -> Path:
    return _write(folder, b"[" * 100_000 + b"]" * 100_000 + b"\n")


def deep_flow_mapping(folder: Path) -> Path:
    return _write(folder, b"a: " + b"{a: " * 100_000 + b"1" + b"}" * 100_000 + b"\n")


def deep_block_sequence(folder: Path) -> Path:
    return _write(folder, b"- " * 100_000 + b"x\n")


def _including(folder: Path, entry: str) -> Path:
    path = _minimal_copy(folder)
    text = path.read_text(encoding="utf-8")
    assert "  - redcap: vitals.csv\n" in text
    path.write_text(text.replace("  - redcap: vitals.csv\n", f"  - {entry}\n  - redcap: vitals.csv\n"),
                    encoding="utf-8")
    return path


_OUTSIDE_FORM = "name: secret\nlabel: Secret\nfields:\n  - {name: secret_value, type: text, label: Value}\n"


def dotdot_include(folder: Path) -> Path:
    folder.mkdir()
    (folder / "secret.yaml").write_text(_OUTSIDE_FORM, encoding="utf-8")
    return _including(folder / "protocol", "include: ../secret.yaml")


def absolute_include(folder: Path) -> Path:
    folder.mkdir()
    (folder / "secret.yaml").write_text(_OUTSIDE_FORM, encoding="utf-8")
    return _including(folder / "protocol", f"include: {folder / 'secret.yaml'}")


def absolute_redcap(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(MINIMAL / "vitals.csv", folder / "other.csv")
    return _including(folder / "protocol", f"redcap: {folder / 'other.csv'}")


def symlink_include_outside(folder: Path) -> Path:
    folder.mkdir()
    (folder / "secret.yaml").write_text(_OUTSIDE_FORM, encoding="utf-8")
    path = _including(folder / "protocol", "include: forms.yaml")
    (path.parent / "forms.yaml").symlink_to(folder / "secret.yaml")
    return path


def include_dev_zero(folder: Path) -> Path:
    path = _including(folder, "include: forms.yaml")
    (folder / "forms.yaml").symlink_to("/dev/zero")
    return path


def include_fifo(folder: Path) -> Path:
    path = _including(folder, "include: forms.yaml")
    os.mkfifo(folder / "forms.yaml")
    return path


def redcap_dev_zero(folder: Path) -> Path:
    path = _minimal_copy(folder)
    (folder / "vitals.csv").unlink()
    (folder / "vitals.csv").symlink_to("/dev/zero")
    return path


def redcap_fifo(folder: Path) -> Path:
    path = _minimal_copy(folder)
    (folder / "vitals.csv").unlink()
    os.mkfifo(folder / "vitals.csv")
    return path


def redcap_utf16(folder: Path) -> Path:
    path = _minimal_copy(folder)
    csv = folder / "vitals.csv"
    csv.write_bytes(csv.read_text(encoding="utf-8").encode("utf-16"))
    return path


def redcap_huge_cell(folder: Path) -> Path:
    # Python's csv module refuses a cell over 128 KiB with its own exception.
    path = _minimal_copy(folder)
    csv = folder / "vitals.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + '"big","vitals","","text","' + "x" * 1_000_000
                   + '","","","","","","","","","","","","",""\n', encoding="utf-8")
    return path


def long_version_label(folder: Path) -> Path:
    path = _minimal_copy(folder)
    text = path.read_text(encoding="utf-8")
    assert '  version: {label: "1", date: 2025-01-01}\n' in text
    path.write_text(text.replace('label: "1"', f'label: "{"9" * 65}"'), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]
    says: str  # a part of the message, so that the right check refused the file
    names: str = "protocol.yaml"  # the file the message must name


CASES = {
    "billion-laughs": Case(billion_laughs, "alias"),
    "symlink-to-dev-zero": Case(dev_zero, "not a regular file"),
    "fifo": Case(fifo, "not a regular file"),
    "binary-junk": Case(binary_junk, "UTF-8"),
    "gzip": Case(gzip_file, "gzip"),
    "utf-16": Case(utf16, "UTF-16"),
    "nul-byte": Case(nul_byte, "NUL"),
    "invalid-utf-8": Case(invalid_utf8, "byte offset"),
    "million-keys": Case(million_keys, "at most 2 MiB"),
    "50-mb-string": Case(fifty_mb_string, "at most 2 MiB"),
    "100000-deep-flow-sequence": Case(deep_flow_sequence, "nested more than 64"),
    "100000-deep-flow-mapping": Case(deep_flow_mapping, "nested more than 64"),
    "100000-deep-block-sequence": Case(deep_block_sequence, "nested more than 64"),
    "dotdot-include": Case(dotdot_include, "outside the protocol's folder"),
    "absolute-include": Case(absolute_include, "absolute"),
    "absolute-redcap": Case(absolute_redcap, "absolute"),
    "symlink-include-outside": Case(symlink_include_outside, "outside the protocol's folder"),
    # /dev is outside the protocol's folder: the include is refused before the device is opened.
    "include-dev-zero": Case(include_dev_zero, "outside the protocol's folder", "forms.yaml"),
    "redcap-dev-zero": Case(redcap_dev_zero, "outside the protocol's folder", "vitals.csv"),
    "include-fifo": Case(include_fifo, "not a regular file", "forms.yaml"),
    "redcap-fifo": Case(redcap_fifo, "not a regular file", "vitals.csv"),
    "redcap-utf-16": Case(redcap_utf16, "UTF-16", "vitals.csv"),
    "redcap-huge-cell": Case(redcap_huge_cell, "characters", "vitals.csv"),
    "65-character-version-label": Case(long_version_label, "at most 64 characters"),
}
CLI_CASES = ["billion-laughs", "symlink-to-dev-zero", "fifo", "100000-deep-flow-mapping",
             "65-character-version-label"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every hostile file, built once for the module (the large ones take a fraction of a second)."""
    root = tmp_path_factory.mktemp("malformed")
    return {name: case.build(root / name) for name, case in CASES.items()}


def _assert_refused(result: subprocess.CompletedProcess[str], case: Case) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, (result.returncode, result.stdout[-500:], result.stderr[-3000:])
    assert "protocol refused" in result.stderr
    assert case.names in result.stderr, result.stderr[-3000:]
    assert case.says in result.stderr, result.stderr[-3000:]


@pytest.mark.parametrize("name", list(CASES))
def test_refused_by_the_loader(corpus: dict[str, Path], name: str) -> None:
    _assert_refused(run_pure(corpus[name]), CASES[name])


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A private SQLite data directory, migrated once by loading the minimal protocol."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["CELLTRIAL_DATA_DIR"] = str(tmp_path_factory.mktemp("cli-data"))
    result = subprocess.run([sys.executable, "-m", "celltrial.cli", "load-protocol", str(MINIMAL / "protocol.yaml")],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return env


@pytest.mark.parametrize("name", CLI_CASES)
def test_refused_by_the_command(corpus: dict[str, Path], cli_env: dict[str, str], name: str) -> None:
    path = corpus[name]
    result = _run([sys.executable, "-m", "celltrial.cli", "load-protocol", str(path)], cwd=path.parent, env=cli_env)
    _assert_refused(result, CASES[name])


def test_the_runner_can_tell_a_good_file(tmp_path: Path) -> None:
    # Guards the harness: the same subprocess, limits and all, loads a valid protocol.
    result = run_pure(_minimal_copy(tmp_path / "ok"))
    assert (result.returncode, result.stdout.strip()) == (0, "loaded"), result.stderr

"""Canonical JSON and content hash: stable under key reordering, changed by any content change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from celltrial.study.protocol import default_protocol_path, load_protocol
from tests.study.protocol.protocol_testlib import FIXTURES, minimal


def _reverse_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _reverse_keys(v) for k, v in reversed(list(data.items()))}
    if isinstance(data, list):
        return [_reverse_keys(v) for v in data]
    return data


def _copy_minimal(tmp_path: Path, transform: Any) -> Path:
    shutil.copy(FIXTURES / "minimal" / "vitals.csv", tmp_path / "vitals.csv")
    data = yaml.safe_load((FIXTURES / "minimal" / "protocol.yaml").read_text(encoding="utf-8"))
    data = transform(data)
    out = tmp_path / "protocol.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False),
                   encoding="utf-8")
    return out


def test_hash_is_stable_across_key_order_and_layout(tmp_path: Path) -> None:
    reordered = load_protocol(_copy_minimal(tmp_path, _reverse_keys))
    assert reordered.content_hash() == minimal().content_hash()
    assert reordered.canonical_json() == minimal().canonical_json()


def test_hash_changes_when_content_changes(tmp_path: Path) -> None:
    def widen(data: Any) -> Any:
        data["visits"][2]["window"]["plus"] = 4
        return data

    changed = load_protocol(_copy_minimal(tmp_path, widen))
    assert changed.content_hash() != minimal().content_hash()


def test_hash_changes_when_a_csv_label_changes(tmp_path: Path) -> None:
    path = _copy_minimal(tmp_path, lambda d: d)
    csv = tmp_path / "vitals.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace('"Heart rate"', '"Pulse rate"'), encoding="utf-8")
    assert load_protocol(path).content_hash() != minimal().content_hash()


def test_canonical_json_is_sorted_and_parses() -> None:
    text = minimal().canonical_json()
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) == text
    assert len(minimal().content_hash()) == 64


def test_default_protocol_hash_is_deterministic() -> None:
    a = load_protocol(default_protocol_path())
    b = load_protocol(default_protocol_path())
    assert a.content_hash() == b.content_hash()
    assert a is not b

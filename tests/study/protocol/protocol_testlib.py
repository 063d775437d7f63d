from __future__ import annotations

from pathlib import Path

import pytest

from celltrial.study.protocol import Protocol, ProtocolError, load_protocol

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "protocols"

def load_error(path: Path) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    return info.value

def minimal() -> Protocol:
    return load_protocol(FIXTURES / "minimal" / "protocol.yaml")

"""Where the shipped protocols live."""

from __future__ import annotations

from pathlib import Path

import celltrial

PROTOCOLS_DIR = Path(celltrial.__file__).resolve().parent / "protocols"


def default_protocol_path() -> Path:
    """protocol.yaml of the default (ILLUSTRATIVE) hBMMSC-in-ASD Phase I protocol."""
    return PROTOCOLS_DIR / "asd_hbmmsc_phase1" / "protocol.yaml"

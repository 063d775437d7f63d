"""Every audit test seals into its own key and checkpoint log (never the shared data directory)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_seal_files(settings, tmp_path):
    settings.CELLTRIAL_SEAL_KEY_FILE = tmp_path / "seal" / "audit-seal.key"
    settings.CELLTRIAL_SEAL_LOG = tmp_path / "seal" / "audit-checkpoints.jsonl"
    settings.CELLTRIAL_SEAL_PUBLIC_KEY_FILE = ""

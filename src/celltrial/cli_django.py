"""Start Django for a platform command.

Kept apart from ``cli_support`` so that the pure rooms' commands, which import ``cli_support``,
never depend on Django (the import-linter contract checks it).
"""

from __future__ import annotations

import os


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "celltrial.settings")
    import django

    django.setup()

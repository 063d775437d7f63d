"""What the benchmark scripts share: a scratch PostgreSQL database, and the demo trial's form slots.

Each script runs as ``.venv/bin/python bench/<name>.py``, so this folder is on ``sys.path`` and the
scripts ``import scratch``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse, urlunparse


def _admin(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def scratch_database(url: str, name: str) -> str:
    """A new, empty database ``name`` on the server ``url`` names (dropped first if a run left it); its URL."""
    import psycopg

    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def demo_trial() -> tuple[Any, list[Any]]:
    """Migrate, load the default protocol and the demo trial (``celltrial init --demo``'s data); return the
    demo coordinator and the dosed children's done visits where a vitals form is entered after dosing
    (Screening excluded, and the Day 3 telephone call). Call after ``django.setup()``."""
    from django.core.management import call_command

    from celltrial.accounts.models import User
    from celltrial.core.actor import Actor
    from celltrial.demo import load_demo
    from celltrial.participants.models import Participant
    from celltrial.study.services import load_default_protocol

    call_command("migrate", verbosity=0)
    load_default_protocol(Actor.system("bench"))
    load_demo(out=lambda line: None)
    children = Participant.objects.filter(dosed_on__isnull=False).order_by("dosed_on")
    visits = [v for child in children
              for v in child.visits.filter(status="done").exclude(code__in=["SCR", "D3"]).order_by("order")]
    return User.objects.get(username="coordinator"), visits

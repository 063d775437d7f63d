"""Extend the append-only guards: inserts must follow the stream head, heads only move forward by one,
and SQLite's conflict paths (REPLACE, UPSERT) cannot rewrite an entry."""

from django.db import migrations

from celltrial.audit import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor)


def remove(apps, schema_editor):
    triggers.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(install, remove)]

"""Make audit entries append-only in the database itself: triggers refuse UPDATE and DELETE."""

from django.db import migrations

from celltrial.audit import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor)


def remove(apps, schema_editor):
    triggers.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]

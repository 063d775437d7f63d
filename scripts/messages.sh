#!/usr/bin/env bash
# Refresh the zh-Hans message catalog from the source and compile it (needs GNU gettext).
# Translate new entries in src/celltrial/locale/zh_Hans/LC_MESSAGES/django.po, then run again;
# tests/web/test_i18n.py fails while any entry is untranslated or fuzzy.
set -euo pipefail
cd "$(dirname "$0")/../src/celltrial"
export DJANGO_SETTINGS_MODULE=celltrial.settings CELLTRIAL_DATA_DIR="${TMPDIR:-/tmp}/celltrial-messages"
../../.venv/bin/django-admin makemessages -l zh_Hans --no-obsolete \
  --ignore 'protocols/*' --ignore 'logic/*' --ignore 'escalation/designs/*' --ignore 'product/*'
../../.venv/bin/django-admin compilemessages -l zh_Hans

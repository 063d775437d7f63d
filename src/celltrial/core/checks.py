"""System checks: every audited model declares its site and the data directory is writable."""

from __future__ import annotations

import os
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks

from celltrial.core.models import TRIAL_WIDE, AuditedModel


@checks.register()
def audited_models_declare_site(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not issubclass(model, AuditedModel):
            continue
        path = model.site_path
        if path is None:
            problems.append(checks.Error(
                f"{model._meta.label} does not declare its site",
                hint="set site_path to a lookup of its site code (e.g. 'site__code') or to TRIAL_WIDE",
                obj=model, id="celltrial.E001"))
        elif path != TRIAL_WIDE:
            try:
                _resolve(model, path)
            except Exception as exc:
                problems.append(checks.Error(f"{model._meta.label}.site_path {path!r} does not resolve: {exc}",
                                             obj=model, id="celltrial.E002"))
    return problems


def _resolve(model: Any, path: str) -> None:
    current = model
    parts = path.split("__")
    for i, part in enumerate(parts):
        f = current._meta.get_field(part)
        if i < len(parts) - 1:
            current = f.related_model


@checks.register()
def data_directory_writable(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    data_dir = settings.CELLTRIAL_DATA_DIR
    if data_dir.exists() and not os.access(data_dir, os.W_OK):
        return [checks.Error(f"the data directory {data_dir} is not writable", id="celltrial.E003")]
    return []

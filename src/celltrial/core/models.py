"""The audited-model base every record of trial data derives from.

Every audited model declares where its site is (``site_path``): a lookup path to the site code
(``"code"`` on a site, ``"site__code"`` on a site-scoped record) or :data:`TRIAL_WIDE`. A record
whose site is blank is visible only to trial-wide roles, never to everyone. A system check refuses
a model that declares nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from celltrial.core.canonical import jsonable
from celltrial.core.personal import is_personal, mask
from celltrial.core.writes import assert_in_service

TRIAL_WIDE = "<trial-wide>"


class AuditedQuerySet(models.QuerySet):
    """Bulk paths skip per-object audit entries, so they are refused outside an auditing service."""

    def update(self, **kwargs: Any) -> int:
        assert_in_service("QuerySet.update()")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        assert_in_service("QuerySet.delete()")
        return super().delete()

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        assert_in_service("QuerySet.bulk_create()")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Any, *args: Any, **kwargs: Any) -> int:
        assert_in_service("QuerySet.bulk_update()")
        return super().bulk_update(objs, *args, **kwargs)

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        assert_in_service("QuerySet.update_or_create()")
        return super().update_or_create(*args, **kwargs)


AuditedManager = models.Manager.from_queryset(AuditedQuerySet)


class AuditedModel(models.Model):
    """Base of every model holding trial data.

    ``version`` carries optimistic concurrency: a save based on a stale version is refused.
    ``protocol_version`` is the protocol in force when the record was made.
    """

    version = models.PositiveIntegerField(default=1, editable=False)
    protocol_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuditedManager()

    # Bookkeeping the writers set themselves; never changed through an operation's fields.
    AUDIT_EXCLUDE: ClassVar[tuple[str, ...]] = ("version", "created_at", "updated_at", "protocol_version")
    # Where the record's site is: a lookup path to the site code, or TRIAL_WIDE. Must be declared.
    site_path: ClassVar[str | None] = None
    # What a signature on this kind of record may mean (accounts.Meaning values); none: not signable.
    signature_meanings: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True
        # Model._base_manager is this manager too, so its bulk paths are guarded as well.
        base_manager_name = "objects"

    def audit_stream(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"

    def audit_site_code(self) -> str:
        """The code of the site this record belongs to; blank for a trial-wide record."""
        path = type(self).site_path
        if path is None:
            raise TypeError(f"{type(self).__name__} must declare site_path (a lookup to its site, or TRIAL_WIDE)")
        if path == TRIAL_WIDE:
            return ""
        value: Any = self
        for part in path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return ""
        return str(value)

    def audited_values(self) -> dict[str, Any]:
        """Every audited field in its JSON form; personal-data fields as a marker, never their value."""
        return {
            f.attname: mask(f) if is_personal(f) and getattr(self, f.attname) not in (None, "")
            else jsonable(getattr(self, f.attname))
            for f in self._meta.concrete_fields
            if not f.primary_key and f.attname not in self.AUDIT_EXCLUDE
        }

    def signature_content(self) -> dict[str, Any]:
        """What an e-signature on this record binds to: every audited field (personal data masked)."""
        return self.audited_values()

    def save_base(self, *args: Any, **kwargs: Any) -> None:
        # save() calls save_base(); guarding here catches both.
        assert_in_service(f"{type(self).__name__}.save()")
        super().save_base(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        assert_in_service(f"{type(self).__name__}.delete()")
        return super().delete(*args, **kwargs)


class SiteScopedModel(AuditedModel):
    """A record that belongs to one site (participants, visits, units at a site)."""

    site = models.ForeignKey("study.Site", on_delete=models.PROTECT, related_name="+")

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        abstract = True

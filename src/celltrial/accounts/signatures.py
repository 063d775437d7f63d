"""Electronic signatures: password re-entry, a meaning declared for the kind of record, binding to a
content hash, visible voiding.

Follows 21 CFR Part 11 §11.50 (printed name, date/time, meaning shown with the signature),
§11.70 (signature bound to its record so it cannot be transferred) and §11.200(a) (each signing
re-enters the password, a non-biometric component known only to its owner).

What a signature covers is the record's ``signature_content()`` (every audited field); any change
to it voids the signature, and an edit page is told beforehand (:func:`would_void`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts.models import Meaning, Signature
from celltrial.audit.models import Action
from celltrial.audit.operations import insert, tracked
from celltrial.audit.trail import append_for
from celltrial.core.actor import Actor
from celltrial.core.canonical import content_hash
from celltrial.core.errors import ValidationFailed
from celltrial.core.models import AuditedModel

# Stored in English and translated where it is shown, like every stored label.
VOID_REASON = gettext_noop("The record changed after it was signed.")


class SignatureRefused(ValidationFailed):
    """The signer could not be authenticated, or the signature is not one this record takes."""


def _object_type(obj: AuditedModel) -> str:
    return obj._meta.label_lower


def meanings_for(obj: AuditedModel | type[AuditedModel]) -> list[tuple[str, Any]]:
    """The meanings a signature on this kind of record may carry, with their labels."""
    return [(m, Meaning(m).label) for m in obj.signature_meanings]


def signatures_for(obj: AuditedModel) -> list[Signature]:
    return signatures_by_object([obj]).get(str(obj.pk), [])


def signatures_by_object(objs: list[Any]) -> dict[str, list[Signature]]:
    """Signatures of several records of one model, in one query, keyed by primary key (as text)."""
    if not objs:
        return {}
    found: dict[str, list[Signature]] = {}
    for sig in Signature.objects.filter(
        object_type=_object_type(objs[0]), object_id__in=[str(o.pk) for o in objs]
    ).order_by("signed_at"):
        found.setdefault(sig.object_id, []).append(sig)
    return found


def sign(actor: Actor, obj: AuditedModel, *, password: str, meaning: str, comment: str = "") -> Signature:
    """Sign ``obj`` as ``actor.user`` after re-checking the password.

    The caller (the room's named operation) has checked that the actor may sign this record.
    """
    from celltrial.accounts.services import register_failed_password

    user = actor.user
    if user is None:
        raise SignatureRefused(_("Only a person can sign."))
    allowed = list(obj.signature_meanings)
    if meaning not in allowed:
        labels = ", ".join(str(label) for _m, label in meanings_for(obj)) if allowed else ""
        raise SignatureRefused({"meaning": [
            _("A signature on this record can mean: %(meanings)s.") % {"meanings": labels} if allowed
            else _("This kind of record is not signed.")]})
    if len(comment) > 1000:
        raise SignatureRefused({"comment": [_("At most 1000 characters.")]})
    if user.is_locked() or not user.is_active:
        raise SignatureRefused({"password": [_("Your account is locked or inactive.")]})
    if not password or not user.check_password(password):
        register_failed_password(user, context="signature")
        raise SignatureRefused({"password": [_("The password is not correct. The record was not signed.")]})
    snapshot = obj.signature_content()
    digest = content_hash(snapshot)
    with transaction.atomic():
        duplicate = Signature.objects.filter(
            object_type=_object_type(obj), object_id=str(obj.pk), signer=user, meaning=meaning,
            content_hash=digest, voided_at__isnull=True).exists()
        if duplicate:
            raise SignatureRefused({"meaning": [
                _("You have already signed this record with this meaning, and it has not changed since.")]})
        signature = Signature(
            signer=user,
            signer_name=user.get_full_name() or user.get_username(),
            signer_role=actor.role,
            meaning=meaning,
            signed_at=timezone.now(),
            object_type=_object_type(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            site_code=obj.audit_site_code(),
            content_hash=digest,
            content_snapshot=snapshot,
            comment=comment,
        )
        insert(actor, signature, reason=comment)
        signed = {"meaning": meaning, "content_hash": digest, "signature_id": signature.pk}
        append_for(actor, obj, Action.SIGN, {"signature": [None, signed]}, reason=comment)
    return signature


def is_current(signature: Signature, obj: AuditedModel) -> bool:
    """A signature holds only while the record still has the content that was signed."""
    return not signature.is_void and signature.content_hash == content_hash(obj.signature_content())


def would_void(actor: Actor, candidate: AuditedModel) -> list[Signature]:
    """The signatures a save of ``candidate`` (changed, not yet saved) would void."""
    current = content_hash(candidate.signature_content())
    return list(Signature.objects.filter(
        object_type=_object_type(candidate), object_id=str(candidate.pk), voided_at__isnull=True,
    ).exclude(content_hash=current))


def void_stale_signatures(actor: Actor, obj: AuditedModel) -> list[Signature]:
    """Void every signature on ``obj`` whose signed content no longer matches. Caller holds the transaction."""
    voided = []
    for signature in would_void(actor, obj):
        reason = VOID_REASON
        with tracked(actor, signature, reason=reason) as s:
            s.voided_at = timezone.now()
            s.void_reason = reason
        append_for(actor, obj, Action.VOID,
                   {"signature": [signature.pk, None], "meaning": [signature.meaning, None]}, reason=reason)
        voided.append(signature)
    return voided

"""Electronic signatures: password re-entry, meaning, binding to a content hash, visible voiding.

Follows 21 CFR Part 11 §11.50 (printed name, date/time, meaning shown with the signature),
§11.70 (signature bound to its record so it cannot be transferred) and §11.200(a) (each signing
re-enters the password, a non-biometric component known only to its owner).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from celltrial.accounts.models import Meaning, Signature
from celltrial.audit.chain import content_hash
from celltrial.audit.context import service_scope
from celltrial.audit.models import Action, AuditedModel
from celltrial.audit.services import Actor, ValidationFailed, append_for


class SignatureRefused(ValidationFailed):
    """The signer could not be authenticated or is not allowed to sign."""


def _object_type(obj: AuditedModel) -> str:
    return obj._meta.label_lower


def signatures_for(obj: AuditedModel) -> list[Signature]:
    return signatures_by_object([obj]).get(str(obj.pk), [])


def signatures_by_object(objs: list[AuditedModel]) -> dict[str, list[Signature]]:
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
    """Sign ``obj`` as ``actor.user`` after re-checking the password."""
    from celltrial.accounts.services import register_failed_password

    user = actor.user
    if user is None:
        raise SignatureRefused(_("Only a person can sign."))
    if meaning not in Meaning.values:
        raise ValidationFailed({"meaning": [_("Choose what the signature means: authored, reviewed, approved or released.")]})
    if user.is_locked():
        raise SignatureRefused({"password": [_("Your account is locked after repeated failed attempts.")]})
    if not password or not user.check_password(password):
        register_failed_password(user, context="signature")
        raise SignatureRefused({"password": [_("The password is not correct. The record was not signed.")]})
    snapshot = obj.signature_content()
    with transaction.atomic(), service_scope():
        signature = Signature(
            signer=user,
            signer_name=user.get_full_name() or user.get_username(),
            signer_role=actor.role,
            meaning=meaning,
            signed_at=timezone.now(),
            object_type=_object_type(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            content_hash=content_hash(snapshot),
            content_snapshot=snapshot,
            comment=comment,
        )
        signature.save(force_insert=True)
        signed = {"meaning": meaning, "content_hash": signature.content_hash, "signature_id": signature.pk}
        append_for(actor, obj, Action.SIGN, {"signature": [None, signed]}, reason=comment)
    return signature


def is_current(signature: Signature, obj: AuditedModel) -> bool:
    """A signature holds only while the record still has the content that was signed."""
    return not signature.is_void and signature.content_hash == content_hash(obj.signature_content())


def void_stale_signatures(actor: Actor, obj: AuditedModel) -> list[Signature]:
    """Void every signature on ``obj`` whose signed content no longer matches. Caller holds the transaction."""
    voided = []
    current = content_hash(obj.signature_content())
    stale = Signature.objects.filter(
        object_type=_object_type(obj), object_id=str(obj.pk), voided_at__isnull=True
    ).exclude(content_hash=current)
    with service_scope():
        for signature in stale:
            signature.voided_at = timezone.now()
            signature.void_reason = _("The record changed after it was signed.")
            signature.version += 1
            signature.save(update_fields=["voided_at", "void_reason", "version", "updated_at"])
            append_for(actor, obj, Action.VOID,
                       {"signature": [signature.pk, None], "meaning": [signature.meaning, None]},
                       reason=signature.void_reason)
            voided.append(signature)
    return voided

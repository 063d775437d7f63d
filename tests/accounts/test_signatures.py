"""Electronic signatures, per 21 CFR Part 11: §11.50 (signer's printed name, date and time, meaning),
§11.70 (signature linked to its record so it cannot be excised or transferred), §11.200(a)(1)
(re-entry of the password at each signing)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from celltrial.accounts.models import Signature
from celltrial.accounts.signatures import SignatureRefused, is_current, sign, signatures_for
from celltrial.audit.models import AuditEntry
from celltrial.core.actor import Actor
from celltrial.core.canonical import content_hash
from celltrial.study.services import edit_site
from tests.conftest import PASSWORD


@pytest.fixture
def qa_actor(users, site):
    return Actor(user=users["qa"], role="qa", site_code=site.code)


def test_signing_requires_the_password(site, qa_actor):
    with pytest.raises(SignatureRefused) as err:
        sign(qa_actor, site, password="not-it", meaning="approved")
    assert "password" in err.value.errors
    assert not Signature.objects.exists()


def test_signature_records_name_time_meaning_and_content_hash(site, qa_actor):
    sig = sign(qa_actor, site, password=PASSWORD, meaning="approved", comment="SIV done")
    assert sig.signer_name == "Qa Tester"
    assert sig.meaning == "approved"
    assert sig.signed_at is not None
    assert sig.content_hash == content_hash(site.signature_content())
    assert sig.content_snapshot["principal_investigator"] == site.principal_investigator
    entry = AuditEntry.objects.filter(action="sign").get()
    assert entry.changes["signature"][1]["content_hash"] == sig.content_hash
    assert is_current(sig, site)


def test_meaning_must_be_one_of_the_defined_meanings(site, qa_actor):
    with pytest.raises(ValueError):
        sign(qa_actor, site, password=PASSWORD, meaning="liked")


def test_a_later_change_voids_the_signature_visibly(site, qa_actor, users, login):
    sig = sign(qa_actor, site, password=PASSWORD, meaning="approved")
    admin = Actor(user=users["admin"], role="admin", site_code=site.code)
    site = edit_site(admin, site, {"principal_investigator": "Someone Else"}, expected_version=site.version,
                     reason="PI replaced").instance
    sig.refresh_from_db()
    assert sig.is_void and "changed after it was signed" in sig.void_reason
    assert not is_current(sig, site)
    assert AuditEntry.objects.filter(action="void", object_id=str(site.pk)).count() == 1
    page = login(users["auditor"]).get(reverse("site_detail", args=[site.code])).content.decode()
    assert "VOID" in page


def test_unchanged_save_does_not_void(site, qa_actor, users):
    sig = sign(qa_actor, site, password=PASSWORD, meaning="approved")
    admin = Actor(user=users["admin"], role="admin")
    edit_site(admin, site, {"principal_investigator": site.principal_investigator}, expected_version=site.version,
                 reason="no-op")
    sig.refresh_from_db()
    assert not sig.is_void
    assert signatures_for(site) == [sig]


def test_sign_through_the_web_page(site, users, login):
    client = login(users["qa"])
    url = reverse("site_sign", args=[site.code])
    bad = client.post(url, {"meaning": "approved", "password": "wrong"})
    assert bad.status_code == 400 and "not correct" in bad.content.decode()
    good = client.post(url, {"meaning": "approved", "password": PASSWORD})
    assert good.status_code == 302
    assert Signature.objects.filter(signer=users["qa"]).count() == 1


def test_coordinator_cannot_sign_site_activation(site, users, login):
    response = login(users["coordinator"]).post(reverse("site_sign", args=[site.code]),
                                                {"meaning": "approved", "password": PASSWORD})
    assert response.status_code == 403

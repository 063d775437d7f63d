"""Signature meanings are declared per record type; a repeated identical signature is refused
(21 CFR 11.50(a)(3): the meaning of a signature; issue "Re-foundation", finding 9)."""

from __future__ import annotations

import pytest

from celltrial.accounts.signatures import SignatureRefused, meanings_for
from celltrial.core.actor import Actor
from celltrial.study.services import edit_site, sign_site_activation
from tests.conftest import PASSWORD


def _qa(users, site):
    return Actor(user=users["qa"], role="qa", site_code=site.code)


def test_a_site_activation_can_only_be_approved(users, site):
    assert [code for code, _label in meanings_for(site)] == ["approved"]
    for meaning in ("released", "authored", "reviewed", "nonsense"):
        with pytest.raises(SignatureRefused) as refused:
            sign_site_activation(_qa(users, site), site, password=PASSWORD, meaning=meaning)
        assert "meaning" in refused.value.errors


def test_the_same_person_cannot_sign_unchanged_content_twice(users, site):
    sign_site_activation(_qa(users, site), site, password=PASSWORD, meaning="approved")
    with pytest.raises(SignatureRefused, match="already signed"):
        sign_site_activation(_qa(users, site), site, password=PASSWORD, meaning="approved")
    # Another person may add their signature.
    investigator = Actor(user=users["investigator"], role="investigator", site_code=site.code)
    sign_site_activation(investigator, site, password=PASSWORD, meaning="approved")
    # After a change voided the first signature, the same person may sign the new content.
    site = edit_site(Actor(user=users["admin"], role="admin", site_code=site.code), site,
                     {"principal_investigator": "Prof. New"}, expected_version=site.version, reason="PI").instance
    sign_site_activation(_qa(users, site), site, password=PASSWORD, meaning="approved")


def test_signing_needs_the_permission_at_that_site(users, site, other_site):
    from celltrial.core.errors import AccessDenied

    with pytest.raises(AccessDenied):
        sign_site_activation(_qa(users, site), other_site, password=PASSWORD, meaning="approved")
    with pytest.raises(AccessDenied):
        sign_site_activation(Actor(user=users["coordinator"], role="coordinator", site_code=site.code), site,
                             password=PASSWORD, meaning="approved")

"""MedDRA: the sponsor's ASCII release is loaded into the data directory (never shipped; this is a look-alike with
made-up codes) and an AE is coded LLT → PT → primary SOC; without a release, AEs are verbatim only."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from celltrial.core.errors import ValidationFailed
from celltrial.safety import services
from celltrial.safety.permissions import AE_ENTER, SPONSOR_ASSESS
from tests.safety.db.conftest import actor

pytestmark = pytest.mark.django_db
FIXTURE = Path(__file__).parents[1] / "fixtures" / "meddra_fake"


def test_without_meddra_the_code_is_refused_and_verbatim_works(people, dosed, rsi):
    with pytest.raises(ValidationFailed, match="No MedDRA release"):
        services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="ALT up",
                           onset=timezone.localdate().isoformat(), meddra_llt_code="99200001")
    ae = services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="ALT up",
                            onset=timezone.localdate().isoformat())
    assert ae.meddra_llt_code == "" and ae.meddra_version == ""


def test_the_cli_loads_the_release_and_an_ae_is_coded(people, dosed, rsi, settings, capsys):
    from celltrial.cli import main

    assert main(["safety", "load-meddra", str(FIXTURE)]) == 0
    assert "MedDRA 9.9 loaded: 3 LLT, 2 PT, 2 SOC" in capsys.readouterr().out
    stored = list((Path(settings.CELLTRIAL_DATA_DIR) / "meddra").glob("*.json"))
    assert len(stored) == 1
    assert main(["safety", "load-meddra", str(FIXTURE)]) == 2  # the same version twice is refused
    ae = services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="ALT up",
                            onset=timezone.localdate().isoformat(), meddra_llt_code="99200001")
    assert (ae.meddra_version, ae.meddra_llt, ae.meddra_pt_code, ae.meddra_soc) == (
        "9.9", "Fake ALT up", "99100001", "Fake investigations")
    recoded = services.sponsor_assess(actor(people["mm"], SPONSOR_ASSESS), ae, causality_sponsor="",
                                      meddra_llt_code="99200003", expected_version=ae.version, reason="recoded")
    assert recoded.meddra_pt == "Fake infusion upset" and recoded.info_version == 2
    with pytest.raises(ValidationFailed, match=r"not in MedDRA 9\.9"):
        services.sponsor_assess(actor(people["mm"], SPONSOR_ASSESS), recoded, causality_sponsor="",
                                meddra_llt_code="12345", expected_version=recoded.version, reason="typo")

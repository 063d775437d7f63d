"""One of each participants record at the test site, for the access matrix (tests/web/test_access_matrix.py):
an enrolled child with a visit calendar, a consent record with a scan, a dissent, a consent document."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import PASSWORD


def build_access_records(site: Any) -> dict[str, Any]:
    from django.utils import timezone

    from celltrial.accounts.services import create_user
    from celltrial.core.actor import Actor
    from celltrial.participants import services
    from tests.participants import helpers as h

    system = Actor.system("test")
    investigator = create_user(system, username="inv_records", password=PASSWORD, full_name="Records Investigator",
                               memberships=[(site, "investigator", True)])
    docs = h.add_documents(site)
    child = services.screen_child(system, site_code=site.code, identity=h.identity(dt.date(2016, 4, 4), sequence=975),
                                  screened_on=timezone.localdate())
    guardian, _assent = h.consent(investigator, child, docs, password=PASSWORD)
    services.attach_scan(h.actor(investigator, "participant.consent.record", site), guardian, h.SCAN,
                         reason="paper form")
    for form, values in h.eligible_values().items():
        services.save_form(system, child, visit="SCR", form=form, values=values)
    services.sign_eligibility(h.actor(investigator, "participant.eligibility.sign", site), child, password=PASSWORD)
    enrolled = services.enrol(system, child, day0=timezone.localdate() + dt.timedelta(days=7))
    dissent = services.record_dissent(system, enrolled, occurred_at=timezone.now(), context="blood draw")
    return {"participant_id": enrolled.pk, "consent_id": guardian.pk, "dissent_id": dissent.pk,
            "visit_id": enrolled.visits.get(code="BL").pk, "document_id": docs["guardian"].pk,
            "visit": "SCR", "form": "vitals", "fmt": "png"}


# url name -> the keyword arguments it takes: (url keyword, record key)
URL_KWARGS = {
    "participant_detail": (("pk", "participant_id"),), "participant_identity": (("pk", "participant_id"),),
    "participant_screening": (("pk", "participant_id"),),
    "participant_form_save": (("pk", "participant_id"), ("form", "form")),
    "eligibility_sign": (("pk", "participant_id"),), "consent_record": (("pk", "participant_id"),),
    "dissent_record": (("pk", "participant_id"),), "participant_withdraw": (("pk", "participant_id"),),
    "participant_enrol": (("pk", "participant_id"),), "participant_dosing_day": (("pk", "participant_id"),),
    "participant_dosed": (("pk", "participant_id"),), "participant_rescreen": (("pk", "participant_id"),),
    "consent_sign": (("pk", "consent_id"),), "consent_scan": (("pk", "consent_id"),),
    "consent_scan_upload": (("pk", "consent_id"),), "dissent_resolve": (("pk", "dissent_id"),),
    "visit_record": (("pk", "visit_id"),), "consent_document_file": (("pk", "document_id"),),
    "funnel_figure": (("fmt", "fmt"),),
}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name not in URL_KWARGS:
        return None
    return {keyword: records[key] for keyword, key in URL_KWARGS[name]}

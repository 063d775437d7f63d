"""Building blocks for participants tests: a child's fictitious identity, consent forms, screening data
that meets every criterion of the default protocol, and a walk from screening to enrolment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from celltrial.participants.rules import idcard

PDF = b"%PDF-1.4\n% consent form (test)\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SCAN = b"%PDF-1.4\n% signed paper consent (test)\n%%EOF\n"

# An address code outside GB/T 2260's Beijing list (110101-110119), so no real person's number.
FICTITIOUS_DIVISION = "110199"
PLANTED_NAME = "欧阳测试娃"
PLANTED_PHONE = "13912345678"


def identity(dob: dt.date = dt.date(2017, 4, 12), *, name: str = PLANTED_NAME, sex: str = "1",
             sequence: int = 991, phone: str = PLANTED_PHONE) -> dict[str, Any]:
    seq = sequence if (sequence % 2 == 1) == (sex == "1") else sequence + 1
    return {
        "full_name": name, "date_of_birth": dob.isoformat(), "sex": sex, "id_type": "cn_resident",
        "id_number": idcard.build(FICTITIOUS_DIVISION, dob, seq % 1000), "address": "北京市海淀区测试路1号",
        "guardian1_name": "欧阳测试母", "guardian1_relationship": "母亲", "guardian1_phone": phone,
        "guardian2_name": "", "guardian2_relationship": "", "guardian2_phone": "",
    }


def eligible_values(*, weight: str = "25.0", alt: str = "30", alt_uln: str = "40") -> dict[str, dict[str, Any]]:
    """Screening-visit values that meet every inclusion and no exclusion of the default protocol."""
    no = "0"
    return {
        "demographics": {"sex": "1", "ethnicity": "1"},
        "asd_diagnosis": {"dx_date": "2025-01-10", "dx_dsm5_asd": "1", "dx_adir_met": "1", "dx_ados2_met": "1"},
        "medical_history": {
            "genetic_syndrome": no, "seizure_12m": no, "anticonvulsant_epilepsy": no, "major_psych": no,
            "active_infection": no, "immunodeficiency": no, "steroid_4w": no, "malignancy": no,
            "anaphylaxis_hx": no, "product_allergy": no, "prior_cell_gene": no, "ip_3m": no,
            "psychotropic_status": "1", "behav_therapy_stable": "1", "able_to_comply": "1"},
        "vitals": {"vs_date": "2025-01-10", "weight_kg": weight, "height_cm": "120.0", "temp_c": "36.6", "hr": "90",
                   "rr": "20", "sbp": "100", "dbp": "65", "vs_abnormal": no},
        "labs": {"lab_date": "2025-01-10", "wbc": "6.5", "anc": "3.1", "alc": "2.2", "hb": "125", "plt": "250",
                 "alt": alt, "alt_uln": alt_uln, "ast": "28", "ast_uln": "40", "tbil": "8.0", "tbil_uln": "21.0",
                 "creat": "40", "creat_uln": "70", "bun": "4.0", "inr": "1.00", "aptt": "32.0",
                 "lab_abnormal_cs": no},
        "serology": {"sero_date": "2025-01-10", "hiv_ab": no, "hbsag": no, "hcv_ab": no, "syphilis": no},
        "cgi_s": {"cgis_score": "5"},
        "cars2": {f"cars2_{i:02d}": "2.5" for i in range(1, 16)},
    }


def add_documents(site, *, language: str = "zh-hans", valid_from: dt.date = dt.date(2024, 1, 1),
                  version: str = "1.0"):
    from celltrial.core.actor import Actor
    from celltrial.participants.services import add_consent_document

    system = Actor.system("test")
    docs = {}
    for kind in ("guardian", "assent"):
        docs[kind] = add_consent_document(
            system, site_code=site.code, kind=kind, language=language, version=version,
            ec_approved_on=valid_from, valid_from=valid_from, valid_until=None,
            file_name=f"{kind}-{version}.pdf", content=PDF + kind.encode() + version.encode())
    return docs


def actor(user, permission: str, site):
    from celltrial.accounts import permissions

    return permissions.actor_for(user, permission, site.code)


def screen(user, site, **kwargs):
    from celltrial.participants.permissions import SCREEN
    from celltrial.participants.services import screen_child

    screened_on = kwargs.pop("screened_on", None) or timezone.localdate()
    ident = kwargs.pop("identity", None) or identity(**kwargs)
    return screen_child(actor(user, SCREEN, site), site_code=site.code, identity=ident, screened_on=screened_on)


def consent(user, participant, docs, *, password: str, obtained_at: dt.datetime | None = None,
            assent_method: str = "written", witness: str = "", assent_outcome: str = "given"):
    """Guardian consent and the child's assent, each e-signed by the person obtaining it."""
    from celltrial.participants.permissions import CONSENT_RECORD
    from celltrial.participants.services import ConsentInput, record_consent

    when = obtained_at or timezone.now()
    a = actor(user, CONSENT_RECORD, participant.site)
    g = record_consent(a, participant, ConsentInput(kind="guardian", document_id=docs["guardian"].pk,
                                                    obtained_at=when, guardian_slot=1), password=password)
    s = record_consent(a, participant, ConsentInput(
        kind="assent", document_id=docs["assent"].pk, obtained_at=when, method=assent_method,
        outcome=assent_outcome, witness_name=witness,
        not_obtainable_reason="minimally verbal; no consistent yes/no" if assent_outcome == "not_obtainable" else ""),
        password=password)
    return g, s


def enter(user, participant, values: dict[str, dict[str, Any]], visit: str = "SCR", reason: str = "correction"):
    from celltrial.participants.permissions import DATA_ENTER
    from celltrial.participants.services import save_form

    a = actor(user, DATA_ENTER, participant.site)
    return {form: save_form(a, participant, visit=visit, form=form, values=vals, reason=reason)
            for form, vals in values.items()}

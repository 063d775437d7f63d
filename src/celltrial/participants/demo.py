"""Demo participants for `make run`: children at every stage, through the room's own services.

Pre-screened (the log, no personal data), screened without consent yet, screened with incomplete data,
screen failures with their failing criteria, consented and eligible awaiting enrolment, a stale
eligibility decision, enrolled with a planned dosing day, and dosed in cohort 1 with visits done.

The identities are fictitious. Names are made up. ID-card numbers have the GB 11643-1999 layout and
its ISO 7064 MOD 11-2 check character but the administrative-division code 110199, which GB/T 2260
does not assign (Beijing's county-level codes run 110101-110119), with sequence numbers 990-999: no
real person holds any of them. Phone numbers begin with 100, which no 11-digit Chinese mobile or
fixed-line number does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from celltrial.accounts import permissions
from celltrial.accounts.models import User
from celltrial.core.actor import Actor
from celltrial.participants import services, state
from celltrial.participants.models import ConsentDocument, Participant, PreScreening
from celltrial.participants.permissions import (
    CONSENT_DOCUMENT_MANAGE,
    CONSENT_RECORD,
    DATA_ENTER,
    DOSING_RECORD,
    ELIGIBILITY_SIGN,
    ENROL,
    PRESCREEN,
    SCHEDULE,
    SCREEN,
)
from celltrial.participants.rules import idcard

DIVISION = "110199"

# A minimal valid PDF standing in for the ethics-committee-approved forms.
_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n")

# name, sex (1 male, 2 female), age in years and days, guardian, relationship, story
CHILDREN: list[tuple[str, str, int, int, str, str, str]] = [
    ("王小明", "1", 8, 40, "王建国", "父亲", "dosed"),
    ("黄俊杰", "1", 11, 200, "林秀英", "母亲", "dosed_after_sentinel"),
    ("李思雨", "2", 10, 95, "李伟", "父亲", "enrolled"),
    ("张浩然", "1", 6, 70, "赵丽", "母亲", "eligible"),
    ("周佳怡", "2", 9, 12, "周强", "父亲", "stale"),
    ("刘子涵", "2", 12, 150, "刘洋", "父亲", "failed_labs"),
    ("陈一诺", "1", 7, 30, "吴芳", "母亲", "failed_weight"),
    ("赵宇轩", "1", 9, 300, "赵敏", "母亲", "incomplete"),
    ("孙悦", "2", 13, 20, "孙涛", "父亲", "no_consent"),
]

PRESCREENING = [
    (-60, "outpatient", "6_11", "invited", ""),
    (-58, "other_hospital", "6_11", "invited", ""),
    (-55, "outpatient", "under_6", "not_eligible", "Below the protocol's minimum age of 6 years."),
    (-50, "rehabilitation", "6_11", "invited", ""),
    (-47, "family", "12_17", "declined", "Family prefers to continue behavioural therapy only."),
    (-44, "outpatient", "6_11", "invited", ""),
    (-40, "advertisement", "12_17", "not_reached", "No answer after three calls."),
    (-30, "outpatient", "6_11", "invited", ""),
    (-12, "inpatient", "6_11", "pending", "Awaiting the child's seizure history from the referring hospital."),
]


def _values(sex: str, *, weight: str = "26.5", alt: str = "24", cars: str = "2.5",
            labs: bool = True) -> dict[str, dict[str, Any]]:
    no = "0"
    values: dict[str, dict[str, Any]] = {
        "demographics": {"sex": sex, "ethnicity": "1", **({"menarche": no} if sex == "2" else {})},
        "asd_diagnosis": {"dx_date": "2025-06-02", "dx_dsm5_asd": "1", "dx_adir_met": "1", "dx_ados2_met": "1"},
        "medical_history": {
            "genetic_syndrome": no, "seizure_12m": no, "anticonvulsant_epilepsy": no, "major_psych": no,
            "active_infection": no, "immunodeficiency": no, "steroid_4w": no, "malignancy": no, "anaphylaxis_hx": no,
            "product_allergy": no, "prior_cell_gene": no, "ip_3m": no, "psychotropic_status": "2",
            "behav_therapy_stable": "1", "able_to_comply": "1"},
        "vitals": {"vs_date": "", "weight_kg": weight, "height_cm": "128.0", "temp_c": "36.5", "hr": "92",
                   "rr": "20", "sbp": "102", "dbp": "64", "vs_abnormal": no},
        "serology": {"sero_date": "", "hiv_ab": no, "hbsag": no, "hcv_ab": no, "syphilis": no},
        "cgi_s": {"cgis_score": "5"},
        "cars2": {f"cars2_{i:02d}": cars for i in range(1, 16)},
    }
    if labs:
        values["labs"] = {"lab_date": "", "wbc": "6.8", "anc": "3.2", "alc": "2.4", "hb": "128", "plt": "262",
                          "alt": alt, "alt_uln": "40", "ast": "30", "ast_uln": "40", "tbil": "7.5", "tbil_uln": "21.0",
                          "creat": "38", "creat_uln": "70", "bun": "4.2", "inr": "1.02", "aptt": "31.5",
                          "lab_abnormal_cs": no}
    return values


SENTINEL_DAYS_AGO = 75
SECOND_DAYS_AGO = 61


def _dose(child: Participant, day0: dt.date, today: dt.date, pharmacist: Actor, coordinator: Actor) -> None:
    dosed = services.record_dosing(pharmacist, child, dosed_on=day0)
    for visit in dosed.visits.filter(status="scheduled", target_date__lt=today).order_by("order"):
        assert visit.target_date is not None
        late = dt.timedelta(days=1 if visit.code == "D7" else 0)  # D7 a day late, inside its ±2
        services.record_visit(coordinator, visit, actual_date=visit.target_date + late,
                              expected_version=visit.version)


def dose_after_sentinel(out: Callable[[str], None] = print) -> None:
    """The second phase of the demo story, after the escalation room's demo has signed the sentinel review:
    the children whose planned dosing day has passed are dosed on it, and their visits so far are done.
    Idempotent: a dosed child is not dosed again."""
    from celltrial.study.interface import sites

    found = sites()
    if not found:
        return
    site = found[0]
    today = state.site_today(site.code)
    waiting = Participant.objects.filter(site=site, status="enrolled", dosed_on__isnull=True, day0__lt=today)
    if not waiting.exists():
        return
    pharmacist = permissions.actor_for(User.objects.get(username="pharmacist"), DOSING_RECORD, site.code)
    coordinator = permissions.actor_for(User.objects.get(username="coordinator"), SCHEDULE, site.code)
    for child in waiting.order_by("day0"):
        assert child.day0 is not None
        _dose(child, child.day0, today, pharmacist, coordinator)
        out(f"demo dosing: {child.subject_id} dosed on {child.day0.isoformat()} after the sentinel review")


def _dated(values: dict[str, dict[str, Any]], day: dt.date) -> dict[str, dict[str, Any]]:
    for form, field_name in (("vitals", "vs_date"), ("serology", "sero_date"), ("labs", "lab_date")):
        if form in values:
            values[form][field_name] = day.isoformat()
    return values


def load_participants_demo(password: str, out: Callable[[str], None] = print) -> None:
    """Idempotent: a site that already has participants or a pre-screening log is left as it is."""
    from celltrial.study.interface import sites

    found = sites()
    if not found:
        return
    site = found[0]
    if Participant.objects.filter(site=site).exists() or PreScreening.objects.filter(site=site).exists():
        return
    coordinator = User.objects.get(username="coordinator")
    investigator = User.objects.get(username="investigator")
    pharmacist = User.objects.get(username="pharmacist")

    def as_(user: User, permission: str) -> Actor:
        return permissions.actor_for(user, permission, site.code)

    today = state.site_today(site.code)
    entries = [services.log_prescreening(as_(coordinator, PRESCREEN), site_code=site.code,
                                         logged_on=today + dt.timedelta(days=offset), referral_source=source,
                                         age_band=band, outcome=outcome, reason=reason)
               for offset, source, band, outcome, reason in PRESCREENING]
    invited = [e for e in entries if e.outcome == "invited"]
    approved = today - dt.timedelta(days=120)
    docs = {kind: services.add_consent_document(
        as_(coordinator, CONSENT_DOCUMENT_MANAGE), site_code=site.code, kind=kind, language="zh-hans",
        version="1.0", ec_approved_on=approved, valid_from=approved, valid_until=None,
        file_name=f"{kind}-consent-v1.0-zh.pdf", content=_PDF + kind.encode()) for kind in ("guardian", "assent")}
    rules_ = state.participant_rules(state.protocol()[1])
    made = []
    for i, (name, sex, years, days, guardian, relation, story) in enumerate(CHILDREN):
        # Screening falls inside its window (Day -28 to Day -1) for the children who are dosed or scheduled.
        # The sentinel is dosed first and observed alone (protocol: 14 days); the SRC reviews it; the second
        # child is dosed two weeks later (``dose_after_sentinel``); the third is dosed today at the bedside by
        # the product room's demo. Both earlier DLT windows (28 days) have closed.
        day0 = {"dosed": today - dt.timedelta(days=SENTINEL_DAYS_AGO),
                "dosed_after_sentinel": today - dt.timedelta(days=SECOND_DAYS_AGO),
                "enrolled": today + dt.timedelta(days=5)}.get(story)
        screened_on = day0 - dt.timedelta(days=16) if day0 else today - dt.timedelta(days=40 - 3 * i)
        dob = dt.date(screened_on.year - years, screened_on.month, min(screened_on.day, 28)) - dt.timedelta(days=days)
        sequence = 990 + i  # odd for boys, even for girls (GB 11643-1999)
        if (sequence % 2 == 1) != (sex == "1"):
            sequence += 1
        identity = {
            "full_name": name, "date_of_birth": dob.isoformat(), "sex": sex, "id_type": "cn_resident",
            "id_number": idcard.build(DIVISION, dob, sequence), "address": f"北京市示例区示例路{i + 1}号",
            "guardian1_name": guardian, "guardian1_relationship": relation, "guardian1_phone": f"100000012{i:02d}",
        }
        prescreening = invited[i] if i < len(invited) else None
        child = services.screen_child(as_(coordinator, SCREEN), site_code=site.code, identity=identity,
                                      screened_on=screened_on, consent_language="zh-hans", prescreening=prescreening)
        made.append((child, story))
        if story == "no_consent":
            continue
        obtained = timezone.make_aware(dt.datetime.combine(screened_on, dt.time(9, 30)),
                                       timezone.get_fixed_timezone(8 * 60))
        consenter = as_(investigator, CONSENT_RECORD)
        services.record_consent(consenter, child, services.ConsentInput(
            kind="guardian", document_id=docs["guardian"].pk, obtained_at=obtained, guardian_slot=1),
            password=password, comment="")
        age = state.age_on(dob, screened_on, rules_)
        if age is not None and age.years >= rules_.assent_from_age_years:
            minimally_verbal = story in ("dosed", "dosed_after_sentinel", "stale") and i % 2 == 0
            services.record_consent(consenter, child, services.ConsentInput(
                kind="assent", document_id=docs["assent"].pk, obtained_at=obtained + dt.timedelta(minutes=20),
                method="pictorial" if minimally_verbal else "verbal" if years < 10 else "written",
                witness_name="何静（社工）" if years < 10 or minimally_verbal else ""), password=password)
        values = {
            "failed_labs": _values(sex, alt="125", cars="1.5"),
            "failed_weight": _values(sex, weight="16.5"),
            "incomplete": _values(sex, labs=False),
        }.get(story) or _values(sex)
        entry = as_(coordinator, DATA_ENTER)
        for form, form_values in _dated(values, screened_on).items():
            services.save_form(entry, child, visit="SCR", form=form, values=form_values)
        if story == "incomplete":
            continue
        services.sign_eligibility(as_(investigator, ELIGIBILITY_SIGN), child, password=password,
                                  comment="Reviewed the screening data and source documents.")
        if story == "stale":
            services.save_form(entry, child, visit="SCR", form="vitals", values={
                **values["vitals"], "weight_kg": "24.0"}, reason="Weight re-measured without shoes")
        if story in ("dosed", "dosed_after_sentinel", "enrolled"):
            assert day0 is not None
            enrolled = services.enrol(as_(coordinator, ENROL), child, day0=day0)
            if story == "dosed":
                _dose(enrolled, day0, today, as_(pharmacist, DOSING_RECORD), as_(coordinator, SCHEDULE))
    out(f"demo participants at {site.code}: {len(entries)} pre-screening entries, {len(made)} children "
        f"({', '.join(sorted({story for _c, story in made}))}); consent forms v1.0 in Chinese "
        f"({ConsentDocument.objects.filter(site=site).count()} documents)")

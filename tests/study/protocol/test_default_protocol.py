"""The shipped ILLUSTRATIVE hBMMSC-in-ASD Phase I protocol."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from celltrial.study.protocol import Protocol, Text, default_protocol_path, load_protocol
from celltrial.study.protocol.schema import ThreePlusThree


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol(default_protocol_path())


def test_loads_and_passes_every_cross_check(protocol: Protocol) -> None:
    # load_protocol runs the cross-checks; this pins the shape the clinical team signed up to.
    assert protocol.protocol.registry_ids[0].id == "NCT07177677"
    assert [d.dose_cells_per_kg for d in protocol.dose_levels] == [0.5e6, 1.0e6, 2.0e6]
    assert isinstance(protocol.escalation, ThreePlusThree)
    assert protocol.escalation.design == "3+3A" and protocol.escalation.start_dose == "DL1"
    assert (protocol.sentinel.observation_days, protocol.sentinel.stagger_days) == (14, 7)
    assert protocol.dlt.window_days == 28
    assert protocol.sites[0].time_zone == "Asia/Shanghai"
    assert protocol.reporting.regulator.code == "NMPA"


def test_header_says_illustrative() -> None:
    head = default_protocol_path().read_text(encoding="utf-8")[:400]
    assert "ILLUSTRATIVE" in head and "NOT THE SPONSOR'S PROTOCOL" in head


def test_visit_schedule_and_windows(protocol: Protocol) -> None:
    days = {v.code: (v.day, v.window.minus, v.window.plus, v.type) for v in protocol.visits}
    assert days["D0"] == (0, 0, 0, "on-site")
    assert days["D3"] == (3, 1, 1, "phone")
    assert days["D28"] == (28, 3, 3, "on-site")
    assert days["W24"] == (168, 7, 7, "on-site")
    assert days["W52"] == (364, 14, 14, "on-site")
    assert protocol.visit("SCR").earliest_day == -28


def test_schedule_grid(protocol: Protocol) -> None:
    grid = {form.name: visits for form, visits in protocol.schedule_grid()}
    assert grid["abc"] == ["BL", "D28", "W12", "W24", "W52"]
    assert grid["eeg"] == ["SCR", "W24"]
    assert grid["hla_antibody"] == ["BL", "D28", "W24"]
    assert grid["cgi_i"] == ["D28", "W12", "W24", "W52"]
    assert all(visits for visits in grid.values()), "every form is collected at some visit"


def test_vitals_come_from_the_redcap_csv(protocol: Protocol) -> None:
    vitals = protocol.form("vitals")
    assert vitals.label.get("zh") == "生命体征"
    assert vitals.field("weight_kg").units == "kg"
    assert vitals.field("weight_kg").decimals == 1
    assert vitals.field("vs_abn_desc").branching == "[vs_abnormal] = '1'"


def test_instruments_carry_no_item_text(protocol: Protocol) -> None:
    abc = protocol.form("abc")
    assert abc.instrument == "ABC_AMAN58"
    items = [f for f in abc.fields if re.fullmatch(r"abc_\d\d", f.name)]
    assert [f.name for f in items] == [f"abc_{i:02d}" for i in range(1, 59)]
    for i, f in enumerate(items, start=1):
        assert (f.label.en, f.label.zh) == (f"Item {i}", f"第{i}项")
    subscales = [f for f in abc.fields if f.type == "calc"]
    counted = sorted(int(n) for f in subscales for n in re.findall(r"\[abc_(\d\d)\]", f.calc or ""))
    assert counted == list(range(1, 59)), "the five subscales partition the 58 items"
    cars2 = protocol.form("cars2")
    assert cars2.instrument == "CARS2_ST" and len([f for f in cars2.fields if f.type == "number"]) == 15
    assert {f.instrument for f in protocol.forms} >= {"ABC_AMAN58", "CARS2_ST", "CGI_S", "CGI_I", "SRS2"}


def test_eligibility_covers_inclusion_and_exclusion(protocol: Protocol) -> None:
    kinds = [c.kind for c in protocol.eligibility]
    assert kinds.count("inclusion") == 8 and kinds.count("exclusion") == 12


def _texts(obj: object, path: str) -> Iterator[tuple[str, Text]]:
    if isinstance(obj, Text):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _texts(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            yield from _texts(item, f"{path}[{i}]")


def test_every_label_is_in_english_and_chinese(protocol: Protocol) -> None:
    texts = list(_texts(protocol, "protocol"))
    assert len(texts) > 400  # the walk really reaches the fields and choices
    missing = [path for path, t in texts if not (t.en.strip() and t.zh and t.zh.strip())]
    assert missing == []
    # Chinese text is Chinese, not a copy of the English (item numbers and codes excepted).
    copied = [path for path, t in texts if t.zh == t.en and not re.fullmatch(r"[\d+]+", t.en)]
    assert copied == []


def test_label_helpers(protocol: Protocol) -> None:
    assert protocol.label(protocol.visit("SCR"), "zh") == "筛选期"
    assert protocol.label(protocol.visit("BL"), "zh-hans") == "基线"
    assert protocol.visit("D0").label.get("zh") == "给药日（第0天）"
    assert protocol.label(protocol.sites[0], "en").startswith("Beijing Anding Hospital")
    assert Text(en="Only English").get("zh") == "Only English"
    form, field = protocol.field("cgis_score")
    assert form.name == "cgi_s" and field.choice_label("4", "zh") == "中度"
    with pytest.raises(KeyError):
        protocol.visit("W99")


# --- each eligibility expression says what its text says (clinical.md §1.1 thresholds) ----------------


def _met(protocol: Protocol, criterion_id: str, record: dict[str, object],
         scr: dict[str, object] | None = None) -> bool:
    from celltrial import logic

    (criterion,) = [c for c in protocol.eligibility if c.id == criterion_id]
    return logic.is_true(logic.evaluate(criterion.expression, record, events={"scr": scr or {}}))


@pytest.mark.parametrize(("age", "met"), [(5, False), (6, True), (17, True), (18, False)])
def test_age_6_to_17_inclusive(protocol: Protocol, age: int, met: bool) -> None:
    assert _met(protocol, "I01", {"age_years": age}) is met


@pytest.mark.parametrize(("weight", "met"), [("16.9", False), ("17.0", True), ("17", True), ("", False)])
def test_weight_at_least_17_kg_at_screening(protocol: Protocol, weight: str, met: bool) -> None:
    assert _met(protocol, "I02", {}, {"weight_kg": weight}) is met
    # the weight must be the Screening visit's, not the current record's
    assert _met(protocol, "I02", {"weight_kg": weight}) is False


def test_cgi_s_and_cars2_thresholds(protocol: Protocol) -> None:
    assert _met(protocol, "I04", {}, {"cgis_score": "4"}) and not _met(protocol, "I04", {}, {"cgis_score": "3"})
    assert _met(protocol, "I05", {}, {"cars2_total": 30}) and not _met(protocol, "I05", {}, {"cars2_total": 29.5})


_NORMAL_LABS = {"alt": 30, "alt_uln": 40, "ast": 30, "ast_uln": 40, "tbil": 10, "tbil_uln": 21, "creat": 40,
                "creat_uln": 60, "anc": 2.0, "alc": 1.5, "plt": 200, "hb": 120, "inr": 1.0}


@pytest.mark.parametrize(
    ("change", "excluded"),
    [
        ({}, False),
        ({"alt": 80}, False), ({"alt": 81}, True),  # > 2.0 × ULN (ULN 40)
        ({"ast": 81, "ast_uln": 40}, True), ({"ast": 100, "ast_uln": 50}, False),  # against its own ULN
        ({"tbil": 31.5}, False), ({"tbil": 31.6}, True),  # > 1.5 × ULN (ULN 21)
        ({"creat": 90}, False), ({"creat": 91}, True),  # > 1.5 × ULN (ULN 60)
        ({"anc": 1.5}, False), ({"anc": 1.49}, True),  # < 1.5 × 10⁹/L
        ({"alc": 1.0}, False), ({"alc": 0.99}, True),  # < 1.0 × 10⁹/L
        ({"plt": 100}, False), ({"plt": 99}, True),  # < 100 × 10⁹/L
        ({"hb": 100}, False), ({"hb": 99}, True),  # < 100 g/L
        ({"inr": 1.5}, False), ({"inr": 1.51}, True),  # > 1.5
    ],
)
def test_laboratory_exclusion_thresholds(protocol: Protocol, change: dict[str, float], excluded: bool) -> None:
    assert _met(protocol, "E07", {**_NORMAL_LABS, **change}) is excluded


def test_hcv_excludes_only_with_rna(protocol: Protocol) -> None:
    assert not _met(protocol, "E04", {"hcv_ab": "1", "hcv_rna": "0"})
    assert _met(protocol, "E04", {"hcv_ab": "1", "hcv_rna": "1"})
    assert _met(protocol, "E04", {"hbv_dna": "1"})


def test_assent_declined_is_not_eligible(protocol: Protocol) -> None:
    assert _met(protocol, "I08", {"guardian_consent": "1", "assent": "2"})
    assert not _met(protocol, "I08", {"guardian_consent": "1", "assent": "3"})


def test_anaphylaxis_dlt_is_not_narrowed_to_shock_in_chinese(protocol: Protocol) -> None:
    # "any anaphylaxis" is 任何严重过敏反应; 过敏性休克 (anaphylactic shock) is only its most severe form.
    (criterion,) = [c for c in protocol.dlt.criteria if c.id == "DLT-INFUSION-G3"]
    assert "任何严重过敏反应" in (criterion.text.zh or "") and "过敏性休克" not in (criterion.text.zh or "")

"""Every reason the designs give can be shown in Chinese: each design is driven to each kind of reason
(start, complete the cohort, escalate, stay, de-escalate, eliminate, stop for safety, stop by the stopping
rule or the sample size with the MTD or with none, complete the follow-up, suspend accrual), and each message
id is in the escalation catalog with a Chinese translation; rendered in Chinese the numbers read as in
English; rendered in English the text is the design's ``reason``."""

from __future__ import annotations

import dataclasses
import pickle
import re
from pathlib import Path

import pytest
from django.utils import translation

from celltrial.escalation.designs import (
    TitePatient,
    boin,
    crm,
    i3plus3,
    keyboard,
    mtpi2,
    three_plus_three,
    tite_boin,
    tite_crm,
)
from celltrial.escalation.designs.messages import Msg
from celltrial.escalation.designs.tite import TiteMixin, TrialState
from celltrial.escalation.messages import render
from celltrial.escalation.reason_catalog import REASON_MESSAGES
from tests.web.test_i18n import _entries

CATALOG = (Path(__file__).resolve().parents[2] / "src" / "celltrial" / "escalation" / "locale" / "zh_Hans"
           / "LC_MESSAGES" / "django.po")
CJK = re.compile(r"[\u4e00-\u9fff]")
SKELETON = [0.1, 0.2, 0.3, 0.45]


def P(dose, dlt, followup=0.0):
    return TitePatient(dose, dlt, followup)


def _cases():
    """(label, recommendation or selection); the label says which reason the case is for."""
    b = boin(target=0.3, doses=4).stop_at_n(36)
    tb = tite_boin(0.3, 4, max_n=30)
    tb6 = tite_boin(0.3, 3, max_n=30).stop_when_n_at_dose(6)
    tc = tite_crm(SKELETON, 0.3, max_n=24)
    seen = [P(1, False)] * 3 + [P(2, False)] * 3
    out = [
        ("start", b.recommend("")),
        ("complete-cohort", b.recommend("1NN")),
        ("escalate", b.recommend("1NNN")),
        ("stay", b.recommend("1NNT")),
        ("de-escalate", b.recommend("1NNN 2TTN")),
        ("eliminate", b.recommend("1NNN 2TTT")),
        ("stop for safety", b.recommend("1TTT")),
        ("stop at n: MTD", boin(target=0.3, doses=3).stop_at_n(6).recommend("1NNN 2NNT")),
        ("stopping rule: MTD", boin(target=0.3, doses=3).stop_at_n(36).stop_when_n_at_dose(6)
         .recommend("1NNN 2NNT 2NNT")),
        ("no MTD: eliminated", b.select("1TTT")),
        ("no MTD: none treated", b.select("")),
        ("mTPI-2", mtpi2(target=0.3, doses=4).stop_at_n(36).recommend("1NNN")),
        ("i3+3", i3plus3(target=0.3, doses=4).stop_at_n(36).recommend("1NNT")),
        ("keyboard", keyboard(target=0.3, doses=4).stop_at_n(36).recommend("1NNN 2TTN")),
        ("CRM escalate", crm(SKELETON, 0.3).stop_at_n(24).recommend("1NNN")),
        ("CRM stop at n: MTD", crm(SKELETON, 0.3).stop_at_n(6).recommend("1NNN 2NNT")),
        ("CRM stop for safety", crm(SKELETON, 0.3).stop_at_n(24).stop_when_too_toxic(0.9, 0.3).recommend("1TTT")),
        ("CRM no MTD", crm(SKELETON, 0.3).stop_when_too_toxic(0.9, 0.3).select("1TTT")),
        ("3+3 escalate", three_plus_three(4).recommend("1NNN")),
        ("3+3 stay", three_plus_three(4).recommend("1NNT")),
        ("3+3 stopping rule: MTD", three_plus_three(4).recommend("1NNN 2NNT 2NTT")),
        ("3+3 stop for safety", three_plus_three(4).recommend("1TTN")),
        ("3+3 no MTD: dose 1 toxic", three_plus_three(4).select("1TTN")),
        ("3+3 no MTD: none treated", three_plus_three(4).select("")),
        ("3+3B de-escalate", three_plus_three(4, "3+3B").recommend("1NNN 2NNN 3TTN")),
        ("TITE start", tb.recommend_tite([])),
        ("TITE escalate", tb.recommend_tite([P(1, False)] * 3)),
        ("TITE stay", tb.recommend_tite([P(1, False), P(1, False), P(1, True)])),
        ("TITE de-escalate", tb.recommend_tite([P(1, False)] * 3 + [P(2, True), P(2, True), P(2, False)])),
        ("TITE eliminate", tb.recommend_tite([P(1, False)] * 3 + [P(2, True)] * 3)),
        ("TITE stop for safety", tb.recommend_tite([P(1, True)] * 3)),
        ("TITE suspend: pending ratio", tb.recommend_tite([P(1, False), P(1, None, 3), P(1, None, 3)])),
        ("TITE suspend: minimum follow-up", tite_boin(0.3, 4, max_n=30, min_followup_fraction=0.25)
         .recommend_tite([P(1, False), P(1, False), P(1, None, 1)])),
        ("TITE stop at n: follow-up", tite_boin(0.3, 2, max_n=3).recommend_tite([P(1, False), P(1, False),
                                                                               P(1, None, 20)])),
        ("TITE stop at n: MTD", tite_boin(0.3, 2, max_n=3).recommend_tite([P(1, False)] * 3)),
        ("TITE stopping rule: follow-up", tb6.recommend_tite([*seen, P(2, True), P(2, True), P(2, None, 27)])),
        ("TITE stopping rule: MTD", tb6.recommend_tite(seen[:3] + [P(2, False)] * 4 + [P(2, True), P(2, True)])),
        ("TITE-CRM escalate", tc.recommend_tite([P(1, False), P(1, None, 10)])),
    ]
    # The time-to-event default suspension (TITE-BOIN words its own; TITE-CRM never suspends).
    state = TrialState.from_patients([P(1, False), P(1, None, 3)], 4, 28.0, 0, range(0, 2))
    out.append(("TITE default suspension", dataclasses.replace(out[0][1], reason=TiteMixin._suspend_reason(tc, state))))
    return out


CASES = _cases()
TABLES = [row[key] for variant in ("3+3A", "3+3B") for row in three_plus_three(4, variant).decision_table()
          for key in ("patients", "decision") if isinstance(row[key], Msg)]


def _messages(value) -> list[Msg]:
    """A message and the messages among its parameters."""
    if not isinstance(value, Msg):
        return []
    return [value, *(m for v in value.params.values() for m in _messages(v))]


def _leaves(value: Msg) -> list[str]:
    return [x for v in value.params.values() for x in (_leaves(v) if isinstance(v, Msg) else [str(v)])]


PRODUCED = [m for _label, r in CASES for m in _messages(r.reason)] + TABLES
ZH = {e["msgid"].replace('\\"', '"'): e["msgstr"] for e in _entries(CATALOG.read_text(encoding="utf-8"))}


def test_the_cases_reach_every_kind_of_reason():
    actions = {getattr(r, "action", None) for _label, r in CASES}
    assert {"start", "complete-cohort", "escalate", "stay", "de-escalate", "eliminate", "stop", "suspend",
            "complete-followup"} <= actions
    texts = [str(r.reason) for _label, r in CASES]
    assert any(t.startswith("no MTD") for t in texts) and any("MTD = dose" in t for t in texts)
    assert all(isinstance(r.reason, Msg) for _label, r in CASES), [lab for lab, r in CASES if not isinstance(r.reason, Msg)]


def test_every_reason_is_in_the_catalog_and_every_catalog_id_is_made():
    made, listed = {m.msgid for m in PRODUCED}, set(REASON_MESSAGES)
    assert made - listed == set()
    assert listed - made == set()  # no id listed that no design gives


@pytest.mark.parametrize("msgid", sorted(set(REASON_MESSAGES)))
def test_every_reason_id_has_a_chinese_translation(msgid):
    zh = ZH.get(msgid, "")
    assert CJK.search(zh), msgid
    words = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"%\(\w+\)s", "", zh)))
    assert words <= {"MTD", "DLT", "CI", "TITE", "BOIN"}, (msgid, words)  # no English left
    assert sorted(re.findall(r"%\(\w+\)s", zh)) == sorted(re.findall(r"%\(\w+\)s", msgid))


@pytest.mark.parametrize(("label", "reason"), [(lab, r.reason) for lab, r in CASES] + [
    (str(m), m) for m in TABLES], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "")
def test_a_reason_renders_in_chinese_with_the_english_numbers_and_in_english_as_the_reason(label, reason):
    with translation.override("en"):
        assert render(reason) == str(reason)
    with translation.override("zh-hans"):
        zh = render(reason)
    assert CJK.search(zh) and zh != str(reason)
    for value in _leaves(reason):  # each number as the English text writes it (3 decimals for estimates)
        assert value in zh, (value, zh)
    assert sorted(re.findall(r"\d+\.\d+", zh)) == sorted(re.findall(r"\d+\.\d+", str(reason)))


def test_the_isotonic_estimate_reads_the_same_in_both_languages():
    # BOIN select.mtd (Yan, Zhang, Liu, Yuan, J Stat Softw 2020; R package BOIN): isotonic regression of
    # (y + 0.05) / (n + 0.1); dose 1 0/3 and dose 2 1/3 are already increasing, so dose 2's estimate is
    # 1.05 / 3.1 = 0.3387 (three decimals: 0.339), the one closest to the target 0.3.
    rec = boin(target=0.3, doses=3).stop_at_n(6).recommend("1NNN 2NNT")
    assert f"{1.05 / 3.1:.3f}" == "0.339"
    assert str(rec.reason).startswith("maximum sample size 6 reached; MTD = dose 2: isotonic DLT estimate 0.339 (95% CI ")
    with translation.override("zh-hans"):
        zh = render(rec.reason)
    assert zh.startswith("已达最大样本量 6；最大耐受剂量（MTD）= 剂量 2：保序回归DLT估计值 0.339（95% CI ")
    assert zh.endswith("最接近目标 0.3")


def test_the_decision_word_and_the_stopping_reason_inside_are_translated():
    rec = boin(target=0.3, doses=4).stop_at_n(36).recommend("1NNN 2TTT")
    with translation.override("zh-hans"):
        assert render(rec.reason) == "剂量 2 的 3 名受试者中出现 3 例剂量限制性毒性（DLT）：剂量递减并剔除本剂量及更高剂量"
    rec = three_plus_three(4).recommend("1NNN 2NNT 2NTT")
    with translation.override("zh-hans"):
        assert render(rec.reason) == ("已满足终止规则；最大耐受剂量（MTD）= 剂量 1：0/3 例DLT，"
                                      "是低于任何出现 ≥ 2 例DLT的剂量中的最高剂量")


def test_a_reason_is_the_english_text_and_keeps_its_id_through_pickle_json_and_asdict():
    rec = boin(target=0.3, doses=3).stop_at_n(6).recommend("1NNN 2NNT")
    assert isinstance(rec.reason, str) and rec.reason == str(rec.reason)
    for copy in (pickle.loads(pickle.dumps(rec.reason)), Msg.from_json(rec.reason.to_json()),
                 rec.to_dict()["reason"]):
        assert isinstance(copy, Msg) and copy == rec.reason and copy.msgid == rec.reason.msgid
        assert copy.params["why"].msgid == rec.reason.params["why"].msgid


def test_plain_text_is_shown_as_it_is():
    with translation.override("zh-hans"):
        assert render("a reason typed by a person") == "a reason typed by a person" and render(None) == ""


def test_a_packets_data_hashes_as_the_plain_english_text_did():
    """The SRC packet stores the reason and the 3+3 decision table in its hashed data: as messages they
    serialise to exactly the English strings, so the data hash of the same data is what it was."""
    from celltrial.core.canonical import content_hash, jsonable

    rec = boin(target=0.3, doses=3).stop_at_n(6).recommend("1NNN 2NNT")
    table = three_plus_three(4, "3+3B").decision_table()
    data = {"reason": rec.reason, "decision_table": table}
    plain = {"reason": str.__str__(rec.reason), "decision_table": [{k: str.__str__(v) for k, v in row.items()}
                                                                   for row in table]}
    assert any(isinstance(row["decision"], Msg) for row in table)
    assert content_hash(jsonable(data)) == content_hash(plain)

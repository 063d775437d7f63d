"""CTCAE v5.0 clinical terms graded by the investigator, with a grade *suggested* from findings.

The grade definitions are kept as data: English paraphrased from the CTCAE v5.0 rows (not the
NCI wording verbatim) and a Chinese rendering. A suggestion takes the highest grade among the
structured findings recorded on the AE form; the investigator confirms or overrides it, so every
result here has ``suggested=True``.

Provenance of the rows (domain note clinical.md §3.1):
- Infusion related reaction, Allergic reaction, Injection site reaction: [V] confirmed against a
  CTCAE transcription (the v6.0 rows keep the v5.0 wording; BMC Pharmacol Toxicol 2014;15:1
  Table 1 quotes the same IRR grades as "NCI-CTCAE").
- Seizure: [M→partly V] a public bilingual transcription of CTCAE seizure rows (GitHub, found by
  search) agrees on G1 "brief partial seizure; no loss of consciousness", G2 "brief generalized
  seizure", G3 "multiple seizures despite medical intervention" and "new onset seizures", G4
  "life-threatening; prolonged/repetitive". We follow the v5.0 wording of the domain note, where
  new-onset seizures may be partial or generalized. Verify against the NCI v5.0 xlsx before a
  regulatory use.
- Anaphylaxis: [M] NOT confirmed from a v5.0 transcription in the corpora searched. The Grade 3
  wording (symptomatic bronchospasm ± urticaria; parenteral intervention; allergy-related
  oedema/angioedema; hypotension) matches the NCI CTC v2.0 (1999) allergic reaction Grade 3 text
  it descends from. Kept as data (``verified=False``); a protocol may pass its own
  :class:`ClinicalTerm` to :func:`suggest_grade`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from celltrial.safety.ctcae.errors import CtcaeInputError
from celltrial.safety.ctcae.result import CTCAE_CITATION, GradeResult


@dataclass(frozen=True)
class GradeDefinition:
    en: str
    zh: str


@dataclass(frozen=True)
class Finding:
    """A structured observation on the AE form and the lowest grade it implies."""

    grade: int
    en: str
    zh: str


@dataclass(frozen=True)
class ClinicalTerm:
    key: str
    name: str
    soc: str
    grades: Mapping[int, GradeDefinition]  # grades without a definition ("-") are absent
    findings: Mapping[str, Finding]
    verified: bool
    provenance: str
    note: str = ""


_DEATH = GradeDefinition("Death", "死亡")
_LIFE_THREATENING = GradeDefinition(
    "Life-threatening consequences; urgent intervention indicated", "危及生命;需要紧急干预"
)
_COMMON_SEVERE = {
    "life_threatening": Finding(4, "life-threatening consequences", "危及生命"),
    "urgent_intervention": Finding(4, "urgent intervention indicated", "需要紧急干预"),
    "death": Finding(5, "death", "死亡"),
}


def _term(
    key: str,
    name: str,
    soc: str,
    grades: dict[int, GradeDefinition],
    findings: dict[str, Finding],
    *,
    verified: bool,
    provenance: str,
    note: str = "",
) -> ClinicalTerm:
    return ClinicalTerm(
        key=key,
        name=name,
        soc=soc,
        grades=MappingProxyType(grades),
        findings=MappingProxyType(findings),
        verified=verified,
        provenance=provenance,
        note=note,
    )


CLINICAL_TERMS: Mapping[str, ClinicalTerm] = MappingProxyType(
    {
        "infusion_related_reaction": _term(
            "infusion_related_reaction",
            "Infusion related reaction",
            "General disorders and administration site conditions",
            {
                1: GradeDefinition(
                    "Mild, transient reaction; no interruption of the infusion and no intervention",
                    "轻度、一过性反应;无需中断输注,无需干预",
                ),
                2: GradeDefinition(
                    "Interruption indicated but prompt response to symptomatic treatment "
                    "(e.g. antihistamines, NSAIDs, narcotics, IV fluids); prophylactic medication "
                    "indicated for ≤24 h",
                    "需中断输注,但对症治疗(如抗组胺药、NSAIDs、麻醉性镇痛药、静脉补液)后迅速缓解;需预防用药≤24小时",
                ),
                3: GradeDefinition(
                    "Prolonged (not rapidly responsive to symptomatic medication and/or brief "
                    "interruption); recurrence after initial improvement; hospitalisation "
                    "indicated for clinical sequelae",
                    "持续(对症治疗和/或短暂中断输注后未迅速缓解);初步好转后复发;因临床后遗症需住院",
                ),
                4: _LIFE_THREATENING,
                5: _DEATH,
            },
            {
                "mild_transient": Finding(1, "mild, transient reaction", "轻度、一过性反应"),
                "interruption_needed": Finding(2, "infusion interruption indicated", "需中断输注"),
                "responded_promptly": Finding(
                    2, "prompt response to symptomatic treatment", "对症治疗后迅速缓解"
                ),
                "prophylaxis_le_24h": Finding(
                    2, "prophylactic medication indicated for ≤24 h", "需预防用药≤24小时"
                ),
                "prolonged": Finding(
                    3, "prolonged; not rapidly responsive to treatment", "持续;治疗后未迅速缓解"
                ),
                "recurrence": Finding(3, "recurrence after initial improvement", "初步好转后复发"),
                "hospitalisation": Finding(
                    3, "hospitalisation indicated for clinical sequelae", "因临床后遗症需住院"
                ),
                **_COMMON_SEVERE,
            },
            verified=True,
            provenance="CTCAE v5.0 row; confirmed against a v6.0 transcription (unchanged wording)",
            note="Do not report both Infusion related reaction and Allergic reaction for one event.",
        ),
        "allergic_reaction": _term(
            "allergic_reaction",
            "Allergic reaction",
            "Immune system disorders",
            {
                1: GradeDefinition("Systemic intervention not indicated", "无需全身性干预"),
                2: GradeDefinition("Oral intervention indicated", "需口服药物干预"),
                3: GradeDefinition(
                    "Bronchospasm; hospitalisation indicated for clinical sequelae; intravenous "
                    "intervention indicated",
                    "支气管痉挛;因临床后遗症需住院;需静脉干预",
                ),
                4: _LIFE_THREATENING,
                5: _DEATH,
            },
            {
                "no_systemic_intervention": Finding(
                    1, "systemic intervention not indicated", "无需全身性干预"
                ),
                "oral_intervention": Finding(2, "oral intervention indicated", "需口服药物干预"),
                "bronchospasm": Finding(3, "bronchospasm", "支气管痉挛"),
                "hospitalisation": Finding(
                    3, "hospitalisation indicated for clinical sequelae", "因临床后遗症需住院"
                ),
                "iv_intervention": Finding(3, "intravenous intervention indicated", "需静脉干预"),
                **_COMMON_SEVERE,
            },
            verified=True,
            provenance="CTCAE v5.0 row; confirmed against a v6.0 transcription (unchanged wording)",
            note="Do not report both Allergic reaction and Infusion related reaction for one event.",
        ),
        "anaphylaxis": _term(
            "anaphylaxis",
            "Anaphylaxis",
            "Immune system disorders",
            {
                3: GradeDefinition(
                    "Symptomatic bronchospasm with or without urticaria; parenteral intervention "
                    "indicated; allergy-related oedema/angioedema; hypotension",
                    "症状性支气管痉挛,伴或不伴荨麻疹;需胃肠外干预;过敏相关水肿/血管性水肿;低血压",
                ),
                4: _LIFE_THREATENING,
                5: _DEATH,
            },
            {
                "symptomatic_bronchospasm": Finding(3, "symptomatic bronchospasm", "症状性支气管痉挛"),
                "parenteral_intervention": Finding(3, "parenteral intervention indicated", "需胃肠外干预"),
                "angioedema": Finding(3, "allergy-related oedema/angioedema", "过敏相关水肿/血管性水肿"),
                "hypotension": Finding(3, "hypotension", "低血压"),
                **_COMMON_SEVERE,
            },
            verified=False,
            provenance=(
                "[M] CTCAE v5.0 row not confirmed from a v5.0 transcription; Grade 3 wording "
                "matches NCI CTC v2.0 (1999) allergic reaction Grade 3; verify against the NCI xlsx"
            ),
            note="CTCAE defines no Grade 1 or 2: any anaphylaxis is at least Grade 3.",
        ),
        "injection_site_reaction": _term(
            "injection_site_reaction",
            "Injection site reaction",
            "General disorders and administration site conditions",
            {
                1: GradeDefinition(
                    "Tenderness with or without associated symptoms (e.g. warmth, erythema, itching)",
                    "压痛,伴或不伴相关症状(如发热感、红斑、瘙痒)",
                ),
                2: GradeDefinition("Pain; lipodystrophy; oedema; phlebitis", "疼痛;脂肪代谢障碍;水肿;静脉炎"),
                3: GradeDefinition(
                    "Ulceration or necrosis; severe tissue damage; operative intervention indicated",
                    "溃疡或坏死;严重组织损伤;需手术干预",
                ),
                4: GradeDefinition(
                    "Life-threatening consequences; urgent intervention indicated",
                    "危及生命;需要紧急干预",
                ),
                5: _DEATH,
            },
            {
                "tenderness": Finding(
                    1, "tenderness (± warmth, erythema, itching)", "压痛(±发热感、红斑、瘙痒)"
                ),
                "pain": Finding(2, "pain", "疼痛"),
                "lipodystrophy": Finding(2, "lipodystrophy", "脂肪代谢障碍"),
                "oedema": Finding(2, "oedema", "水肿"),
                "phlebitis": Finding(2, "phlebitis", "静脉炎"),
                "ulceration_or_necrosis": Finding(3, "ulceration or necrosis", "溃疡或坏死"),
                "severe_tissue_damage": Finding(3, "severe tissue damage", "严重组织损伤"),
                "operative_intervention": Finding(3, "operative intervention indicated", "需手术干预"),
                **_COMMON_SEVERE,
            },
            verified=True,
            provenance="CTCAE v5.0 row; confirmed against a v6.0 transcription (unchanged wording)",
        ),
        "seizure": _term(
            "seizure",
            "Seizure",
            "Nervous system disorders",
            {
                1: GradeDefinition(
                    "Brief partial seizure without loss of consciousness", "短暂部分性发作,无意识丧失"
                ),
                2: GradeDefinition("Brief generalised seizure", "短暂全面性发作"),
                3: GradeDefinition(
                    "New-onset seizures (partial or generalised); multiple seizures despite medical "
                    "intervention",
                    "新发癫痫发作(部分性或全面性);经药物干预仍多次发作",
                ),
                4: GradeDefinition(
                    "Life-threatening; prolonged repetitive seizures", "危及生命;持续反复发作"
                ),
                5: _DEATH,
            },
            {
                "brief_partial_no_loc": Finding(
                    1, "brief partial seizure, no loss of consciousness", "短暂部分性发作,无意识丧失"
                ),
                "brief_generalised": Finding(2, "brief generalised seizure", "短暂全面性发作"),
                "new_onset": Finding(3, "new-onset seizure (partial or generalised)", "新发癫痫发作"),
                "multiple_despite_intervention": Finding(
                    3, "multiple seizures despite medical intervention", "经药物干预仍多次发作"
                ),
                "prolonged_repetitive": Finding(4, "prolonged repetitive seizures", "持续反复发作"),
                **_COMMON_SEVERE,
            },
            verified=False,
            provenance=(
                "[M, partly confirmed] v5.0 wording per domain note; a public transcription agrees "
                "on the G1–G4 key phrases; verify against the NCI v5.0 xlsx"
            ),
            note=(
                "In this trial any seizure is a DLT (clinical.md §1.1); a seizure in a child "
                "without prior epilepsy is new-onset, i.e. Grade 3."
            ),
        ),
    }
)


def suggest_grade(term: str | ClinicalTerm, findings: Iterable[str]) -> GradeResult:
    """Suggest a CTCAE v5.0 grade from structured findings; the investigator confirms it.

    The suggestion is the highest grade implied by any finding. Unknown finding names raise
    :class:`CtcaeInputError` listing the accepted ones.
    """
    from celltrial.safety.ctcae.terms import resolve_clinical_term

    clinical = term if isinstance(term, ClinicalTerm) else resolve_clinical_term(term)
    names = tuple(dict.fromkeys(f.strip().lower().replace("-", "_") for f in findings))
    if not names:
        raise CtcaeInputError(
            f"{clinical.name}: give at least one finding; accepted: {', '.join(clinical.findings)}"
        )
    unknown = [n for n in names if n not in clinical.findings]
    if unknown:
        raise CtcaeInputError(
            f"{clinical.name}: unknown finding(s) {', '.join(unknown)}; accepted: "
            + ", ".join(clinical.findings)
        )
    grade = max(clinical.findings[n].grade for n in names)
    drivers = [clinical.findings[n].en for n in names if clinical.findings[n].grade == grade]
    criterion = (
        f"suggested from {', '.join(drivers)}: Grade {grade} "
        f"({clinical.grades[grade].en}); investigator to confirm"
    )
    return GradeResult(
        term=clinical.key,
        term_name=clinical.name,
        grade=grade,
        criterion=criterion,
        suggested=True,
        findings=names,
        source=f"{CTCAE_CITATION}, term '{clinical.name}' ({clinical.soc}); {clinical.provenance}",
    )

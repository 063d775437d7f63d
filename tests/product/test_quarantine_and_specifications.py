"""QA's disposition after a temperature excursion, loading a new release-specification version, and the rule
reasons in Chinese (brief items 3–4 of issue #9).

Declared rules: a shipment whose logger shows an excursion (consecutive readings above the ILLUSTRATIVE
−150 °C limit, rules/temperature.py) quarantines its units until QA signs "accept" or "reject" with a reason;
a rejected unit may only be destroyed or returned (docs/product.md). A release specification is data; a
malformed file is refused with ``file:line: field: message`` (rules/_loading.py); the latest version loaded
is the one in force for new lots.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from celltrial.accounts.signatures import SignatureRefused, signatures_for
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.product import services
from celltrial.product.demo import logger_csv
from celltrial.product.models import Shipment, Specification
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SPECS = Path(services.__file__).parent / "rules" / "specs"


@pytest.fixture
def quarantined(released_lot, actors, site):
    """A unit received at the site from a shipment whose logger was at −120 °C for 18 minutes."""
    unit = services.fill_units(actors["qa"], released_lot, count=1, filled_at=timezone.now() - dt.timedelta(hours=1))[0]
    shipment = services.ship_units(actors["qa"], [unit], destination_code=site.code, shipped_at=timezone.now())
    services.import_temperature_log(actors["pharmacist"], shipment,
                                    logger_csv(timezone.now() - dt.timedelta(hours=3), 180, warm_from=95, warm_to=112),
                                    file_name="LOG-1.csv")
    services.record_custody(actors["pharmacist"], unit, event="received", occurred_at=timezone.now())
    services.record_custody(actors["pharmacist"], unit, event="stored", occurred_at=timezone.now())
    unit.refresh_from_db()
    shipment.refresh_from_db()
    return unit, shipment


def test_an_excursion_quarantines_the_units_until_qa_decides(quarantined, actors, site, child):
    unit, shipment = quarantined
    assert shipment.has_excursion and shipment.disposition == Shipment.QUARANTINE
    with pytest.raises(ValidationFailed, match="quarantined until QA"):
        services.record_custody(actors["pharmacist"], unit, event="thawed", occurred_at=timezone.now())
    with pytest.raises(ValidationFailed, match="quarantined until QA"):
        services.allocate_unit(actors["pharmacist"], unit, subject_id=child.subject_id)
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject=child.subject_id)
    assert "The unit's shipment is quarantined or rejected after a temperature excursion." in [
        r["reason"] for r in check.reasons]


def test_only_trial_wide_qa_decides_with_a_reason_and_a_valid_password(quarantined, actors, product_people):
    from celltrial.accounts import permissions
    from celltrial.product.permissions import SHIPMENT_DISPOSITION

    _unit, shipment = quarantined
    with pytest.raises(AccessDenied):
        services.decide_shipment(actors["pharmacist"], shipment, decision="accept", reason="ok", password=PASSWORD)
    site_qa = permissions.actor_for(product_people["site_qa"], SHIPMENT_DISPOSITION, shipment.destination.code)
    with pytest.raises(AccessDenied):
        services.decide_shipment(site_qa, shipment, decision="accept", reason="ok", password=PASSWORD)
    with pytest.raises(ValidationFailed, match="Give the reason"):
        services.decide_shipment(actors["qa"], shipment, decision="accept", reason=" ", password=PASSWORD)
    with pytest.raises(SignatureRefused):
        services.decide_shipment(actors["qa"], shipment, decision="accept", reason="ok", password="wrong")
    shipment.refresh_from_db()
    assert shipment.disposition == Shipment.QUARANTINE and not signatures_for(shipment)


def test_accepted_units_may_be_used_again(quarantined, actors, child):
    unit, shipment = quarantined
    services.decide_shipment(actors["qa"], shipment, decision="accept", password=PASSWORD,
                             reason="18 min at −120 °C: within the stability data for the cryobag (report ST-07)")
    shipment.refresh_from_db()
    assert shipment.disposition == Shipment.ACCEPTED and shipment.disposition_by == actors["qa"].user
    (signature,) = signatures_for(shipment)
    assert signature.meaning == "approved"
    allocation = services.allocate_unit(actors["pharmacist"], unit, subject_id=child.subject_id)
    assert allocation.status == "allocated"
    with pytest.raises(ValidationFailed, match="no longer be replaced"):
        services.import_temperature_log(actors["pharmacist"], shipment, logger_csv(timezone.now(), 5),
                                        file_name="again.csv")
    with pytest.raises(ValidationFailed, match="not in quarantine"):
        services.decide_shipment(actors["qa"], shipment, decision="reject", reason="changed mind", password=PASSWORD)


def test_rejected_units_may_only_be_destroyed(quarantined, actors):
    unit, shipment = quarantined
    services.decide_shipment(actors["qa"], shipment, decision="reject", password=PASSWORD,
                             reason="excursion above the glass transition: viability not assured")
    with pytest.raises(ValidationFailed, match="only be destroyed or returned"):
        services.record_custody(actors["pharmacist"], unit, event="thawed", occurred_at=timezone.now())
    services.record_custody(actors["pharmacist"], unit, event="destroyed", occurred_at=timezone.now(),
                            notes="QA rejection after excursion")
    unit.refresh_from_db()
    assert unit.state == "destroyed"


def test_the_shipment_page_offers_qa_the_signed_decision(client, quarantined, product_people):
    _unit, shipment = quarantined
    client.force_login(product_people["pharmacist"])
    page = client.get(reverse("product_shipment", args=[shipment.code])).content.decode()
    assert "quarantined: awaiting QA" in page and 'id="decision-form"' not in page
    assert client.post(reverse("product_shipment_decision", args=[shipment.code]), {}).status_code == 403
    client.force_login(product_people["qa"])
    assert 'id="decision-form"' in client.get(reverse("product_shipment", args=[shipment.code])).content.decode()
    url = reverse("product_shipment_decision", args=[shipment.code])
    wrong = client.post(url, {"decision": "reject", "reason": "warm", "password": "nope"})
    assert wrong.status_code == 400 and "The password is not correct" in wrong.content.decode()
    done = client.post(url, {"decision": "reject", "reason": "warm", "password": PASSWORD})
    assert done.status_code == 302
    shipment.refresh_from_db()
    assert shipment.disposition == Shipment.REJECTED


# ---------------------------------------------------------------- a new specification version


def _v3(text: str | None = None) -> bytes:
    source = (SPECS / "hbmmsc-release-v2.yaml").read_text(encoding="utf-8")
    return (text or source.replace('version: "2"', 'version: "3"', 1)).encode()


def test_a_new_specification_version_is_in_force_for_new_lots(actors):
    from celltrial.audit.models import AuditEntry
    from celltrial.product.demo import eligible_donor, manufactured_lot

    services.load_shipped_specifications(actors["qa"])
    old_lot = manufactured_lot(actors["qa"], eligible_donor(actors["qa"], assessed=dt.date.today()),
                               start=dt.date.today() - dt.timedelta(days=40))
    spec = services.load_release_specification(actors["qa"], _v3(), file_name="hbmmsc-release-v3.yaml",
                                               reason="CC-2025-031: new version")
    assert spec.version_id.endswith("3") and services.in_force(Specification.RELEASE) == spec
    assert AuditEntry.objects.filter(object_type__endswith="specification", object_id=str(spec.pk),
                                     reason="CC-2025-031: new version").exists()
    new_lot = manufactured_lot(actors["qa"], eligible_donor(actors["qa"], assessed=dt.date.today()),
                               start=dt.date.today() - dt.timedelta(days=30))
    old_lot.refresh_from_db()
    assert new_lot.specification == spec and old_lot.specification != spec
    with pytest.raises(ValidationFailed, match="already loaded"):
        services.load_release_specification(actors["qa"], _v3(), file_name="again.yaml")
    changed = _v3().decode().replace("weight_cap_kg: 60", "weight_cap_kg: 50", 1).encode()
    with pytest.raises(ValidationFailed, match="different content"):
        services.load_release_specification(actors["qa"], changed, file_name="v3-changed.yaml")


def test_a_malformed_specification_is_refused_with_file_and_line(actors):
    text = _v3().decode()
    bad = text.replace("weight_cap_kg: 60", "wieght_cap_kg: 60", 1)
    line = next(i for i, row in enumerate(bad.splitlines(), start=1) if row.startswith("wieght_cap_kg"))
    with pytest.raises(ValidationFailed) as refused:
        services.load_release_specification(actors["qa"], bad.encode(), file_name="v3-typo.yaml")
    problems = refused.value.errors["file"]
    assert any(p.startswith(f"v3-typo.yaml:{line}:") and "wieght_cap_kg" in p for p in problems), problems
    with pytest.raises(ValidationFailed, match=r"yaml or \.json"):
        services.load_release_specification(actors["qa"], b"x", file_name="spec.txt")
    with pytest.raises(AccessDenied):
        services.load_release_specification(actors["pharmacist"], _v3(), file_name="v3.yaml")
    assert not Specification.objects.filter(version_id__endswith="3").exists()


def test_the_specifications_page_loads_a_version(client, product_people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(product_people["pharmacist"])
    assert client.get(reverse("product_specifications")).status_code == 200
    assert client.post(reverse("product_specifications"), {}).status_code == 403
    client.force_login(product_people["qa"])
    done = client.post(reverse("product_specifications"), {
        "file": SimpleUploadedFile("hbmmsc-release-v3.yaml", _v3()), "reason": "CC-2025-031"})
    assert done.status_code == 302
    page = client.get(reverse("product_specifications")).content.decode()
    assert "hbmmsc-release-v3.yaml" in page and "in force" in page


def test_the_load_specification_command(tmp_path, capsys, protocol):
    from celltrial.cli import main

    good = tmp_path / "v3.yaml"
    good.write_bytes(_v3())
    bad = tmp_path / "v3-bad.yaml"
    bad.write_bytes(_v3().replace(b"weight_cap_kg: 60", b"weight_cap_kg: -1"))
    assert main(["load-specification", str(bad)]) == 1
    assert "v3-bad.yaml:" in capsys.readouterr().err
    assert main(["load-specification", str(good), "--reason", "CC-1", "--json"]) == 0
    assert '"in_force": true' in capsys.readouterr().out


# ---------------------------------------------------------------- rule reasons in Chinese


def test_a_chinese_lot_page_shows_the_rule_reasons_in_chinese(client, product_people, actors):
    from celltrial.product.demo import PASSING_RESULTS, eligible_donor, manufactured_lot

    lot = manufactured_lot(actors["qa"], eligible_donor(actors["qa"], assessed=dt.date.today()),
                           start=dt.date.today() - dt.timedelta(days=40),
                           results={**PASSING_RESULTS, "viability_pct": ("65", "%", "trypan blue")})
    client.force_login(product_people["qa"])
    html = client.get(reverse("product_lot", args=[lot.lot_id]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    table = html.split('id="qc"')[1].split("</table>")[0]
    rows = [row for row in table.split("<tr") if "data-test=" in row]
    viability = next(row for row in rows if "viability_pct" in row)
    assert "viability_pct = 65 % 不符合" in viability  # "does not meet" in the room's catalog
    assert all("does not meet" not in row and " meets " not in row for row in rows)
    assert any("符合" in row for row in rows if "viability_pct" not in row)


def test_a_custody_refusal_is_given_in_chinese(unit_at_site, actors):
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        services.record_custody(actors["pharmacist"], unit_at_site, event="received", occurred_at=timezone.now())
    message = refused.value.errors["event"][0]
    assert "不能" in message and "cannot" not in message and "Allowed next" not in message


def test_every_rule_message_on_the_common_paths_has_a_chinese_translation(monkeypatch):
    """Every Msg the rules make while judging a passing and a failing lot, planning doses and refusing custody
    events (each refusal kind) has an entry in the room's catalog."""
    from celltrial.core import messages
    from celltrial.product.rules import custody
    from celltrial.product.rules.custody import CustodyEvent as Ev
    from celltrial.product.rules.custody import CustodyRefused, LedgerEntry
    from celltrial.product.rules.dose import check_tolerance
    from celltrial.product.rules.release import evaluate_release, load_results
    from celltrial.product.rules.specification import default_specification, load_specification

    made: list[str] = []
    original = messages.Msg.__new__

    def recording(cls, msgid, **params):
        made.append(msgid)
        return original(cls, msgid, **params)

    monkeypatch.setattr(messages.Msg, "__new__", recording)
    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    for spec, results in ((default_specification(), "release-results-pass.yaml"),
                          (load_specification(examples / "hbmmsc-release-v1.yaml"), "release-results-reject.json")):
        for outcome in evaluate_release(spec, load_results(examples / results)).outcomes:
            str(outcome.reason)
    for delivered in (1.0e7, 1.5e7, 1.3e7, 1.2e7):
        str(check_tolerance(1.25e7, delivered, 0.2).reason)
    t0 = timezone.now()
    stored = [LedgerEntry(Ev.STORED, t0)]
    thawed = [*stored, LedgerEntry(Ev.SHIPPED, t0), LedgerEntry(Ev.RECEIVED, t0), LedgerEntry(Ev.THAWED, t0)]
    attempts = [([], Ev.THAWED, t0, None), (stored, Ev.STORED, t0, None), (stored, Ev.THAWED, t0, None),
                (stored, Ev.SHIPPED, t0 - dt.timedelta(hours=1), None),
                (stored, Ev.SHIPPED, t0 + dt.timedelta(days=2), t0 + dt.timedelta(days=1)),
                (thawed, Ev.PREPARED, t0 + dt.timedelta(hours=9), None),
                ([*thawed, LedgerEntry(Ev.DESTROYED, t0)], Ev.STORED, t0, None)]
    for ledger, event, at, expires in attempts:
        with pytest.raises(CustodyRefused):
            custody.check_next(ledger, event, at, expires_at=expires)
    assert len(set(made)) >= 15
    with translation.override("zh-hans"):
        untranslated = sorted({m for m in made if translation.gettext(m) == m})
    assert untranslated == []

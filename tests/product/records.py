"""One of each product record at the test site, for the access matrix (tests/web/test_access_matrix.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import PASSWORD


def build_access_records(site: Any) -> dict[str, Any]:
    """A released lot with a unit shipped to ``site`` and received there, and a (refused) bedside check."""
    from celltrial.accounts.services import create_user
    from celltrial.core.actor import Actor
    from celltrial.product import services
    from celltrial.product.demo import eligible_donor, manufactured_lot

    system = Actor.system("test")
    qa = create_user(system, username="qa_records", password=PASSWORD, full_name="Records QA",
                     memberships=[(None, "qa", False)])
    qa_actor = Actor(user=qa, role="qa", site_code="")
    donor = eligible_donor(system, assessed=dt.date.today() - dt.timedelta(days=60))
    lot = manufactured_lot(system, donor, start=dt.date.today() - dt.timedelta(days=50))
    services.release_lot(qa_actor, lot, password=PASSWORD)
    unit = services.fill_units(system, lot, count=1, filled_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3))[0]
    shipment = services.ship_units(system, [unit], destination_code=site.code, shipped_at=dt.datetime.now(dt.UTC))
    services.record_custody(system, unit, event="received", occurred_at=dt.datetime.now(dt.UTC))
    check = services.bedside_check(system, site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject="ASD-01-0007-Q")
    batch = lot.batch
    return {
        "donor_id": donor.donor_id, "collection": batch.collection.code, "code": batch.code, "lot_id": lot.lot_id,
        "analyte": "cd105_pct", "unit_id": unit.unit_id, "shipment": shipment.code, "pk": check.pk, "what": "step",
    }


# url name -> the keyword arguments it takes, by record
URL_KWARGS = {
    "product_donor": ("donor_id",), "product_donor_marker": ("donor_id",), "product_collection_new": ("donor_id",),
    "product_batch_new": ("donor_id", "collection"), "product_batch": ("code",),
    "product_batch_record": ("code", "what"), "product_lot": ("lot_id",), "product_qc_result": ("lot_id",),
    "product_qc_correct": ("lot_id", "analyte"), "product_release": ("lot_id",), "product_coa": ("lot_id",),
    "product_fill": ("lot_id",), "product_ship": ("lot_id",), "product_shipment": ("shipment",),
    "product_temperature": ("shipment",), "product_unit": ("unit_id",), "product_custody": ("unit_id",),
    "product_allocate": ("unit_id",), "product_label": ("unit_id",), "product_chain": ("unit_id",),
    "product_chain_pdf": ("unit_id",), "product_bedside_check": ("pk",),
    "product_close_investigation": ("lot_id", "pk"), "product_allocation_cancel": ("unit_id",),
    "product_shipment_decision": ("shipment",),
}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name not in URL_KWARGS:
        return None
    kwargs = {k: records[k] for k in URL_KWARGS[name]}
    if "shipment" in kwargs:
        kwargs["code"] = kwargs.pop("shipment")
    return kwargs

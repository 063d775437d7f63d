"""Access expectations of the product room."""

from __future__ import annotations

from typing import Any

from tests.web.access._roles import BEDSIDE, PRODUCT_READERS

ORDER = 20

WEB = {
    # product room: these users hold their roles at the site; manufacturing writes need a trial-wide grant
    # (so no site role may make them: tests/product/test_product_pages.py checks trial-wide QA does).
    "product": ("get", PRODUCT_READERS),
    "product_donors": ("get", {"qa"}),
    "product_donor": ("get", PRODUCT_READERS),
    "product_donor_marker": ("post", set()),
    "product_collection_new": ("post", set()),
    "product_batch_new": ("post", set()),
    "product_batch": ("get", PRODUCT_READERS),
    "product_batch_record": ("post", set()),
    "product_lot": ("get", PRODUCT_READERS),
    "product_qc_result": ("post", set()),
    "product_qc_correct": ("get", {"qa"}),
    "product_release": ("post", set()),
    "product_coa": ("get", PRODUCT_READERS),
    "product_fill": ("post", set()),
    "product_ship": ("post", set()),
    "product_shipment": ("get", PRODUCT_READERS),
    "product_temperature": ("post", {"pharmacist"}),
    "product_unit": ("get", PRODUCT_READERS),
    "product_custody": ("post", {"pharmacist"}),
    "product_allocate": ("post", {"pharmacist"}),
    "product_allocation_cancel": ("post", {"pharmacist"}),
    "product_specifications": ("get", PRODUCT_READERS),
    # QA's e-signed decision after an excursion is the sponsor's, trial-wide (like a release): no site role.
    "product_shipment_decision": ("post", set()),
    "product_label": ("get", {"qa", "pharmacist"}),
    "product_chain": ("get", PRODUCT_READERS),
    "product_chain_pdf": ("get", PRODUCT_READERS),
    "product_bedside": ("get", BEDSIDE),
    "product_bedside_check": ("get", BEDSIDE),
    "product_close_investigation": ("post", set()),
    "product_recalls": ("get", {"qa"}),
    "product_notifications": ("get", {"qa", "pharmacist", "investigator", "medical_monitor"}),
}

API = {
    "/api/product/lots": PRODUCT_READERS,
    "/api/product/lots/{lot_id}": PRODUCT_READERS,
    "/api/product/units": PRODUCT_READERS,
    "/api/product/units/{unit_id}": PRODUCT_READERS,
    "/api/product/units/{unit_id}/chain": PRODUCT_READERS,
    "/api/product/units/{unit_id}/custody": PRODUCT_READERS,
    "/api/product/units/{unit_id}/bedside-checks": BEDSIDE,
}

API_POST: dict[str, set[str]] = {
    "/api/product/units/{unit_id}/allocation": {"pharmacist"},
    "/api/product/units/{unit_id}/allocation/cancel": {"pharmacist"},
}


def records(site: Any, built: dict[str, Any]) -> dict[str, Any]:
    from tests.product.records import build_access_records

    return build_access_records(site)


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    from tests.product.records import url_kwargs as product_kwargs

    return product_kwargs(name, records)

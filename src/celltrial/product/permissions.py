"""What each role may do in the product room (deny by default).

- Sponsor QC / QA (``qa``) keeps the manufacturing record: donors, collections, batches, QC results,
  lot release (e-signed, QA only), filling units, shipping, recalls, the disposition (accept or reject,
  e-signed) of a shipment's units after a temperature excursion.
- The site pharmacist (``pharmacist``) receives, stores, thaws and prepares units, allocates a unit to a
  participant's dose and may destroy or return a unit.
- At the bedside, the two-identifier check and the administration record are done by the pharmacist or
  by the investigator role. celltrial has no nurse role: the nurse who administers works under the
  principal investigator's delegation log, so a nurse is given the investigator role (or the pharmacist
  role where the cell-processing staff take the unit to the bedside).
- Reading the product and the chain of identity: QA, pharmacists, investigators, monitors, auditors,
  data managers and the medical monitor; a site role sees only its own site's units (and, through them,
  their lots, batches and donors).
"""

from __future__ import annotations

from celltrial.accounts.roles import Role

PRODUCT_VIEW = "product.view"
DONOR_MANAGE = "product.donor.manage"
MANUFACTURE_RECORD = "product.manufacture.record"
QC_RECORD = "product.qc.record"
LOT_RELEASE = "product.lot.release"
UNIT_FILL = "product.unit.fill"
CUSTODY_MANUFACTURER = "product.custody.manufacturer"
CUSTODY_SITE = "product.custody.site"
LABEL_PRINT = "product.label.print"
ALLOCATE = "product.allocate"
BEDSIDE = "product.bedside"
RECALL_START = "product.recall.start"
SHIPMENT_DISPOSITION = "product.shipment.disposition"
NOTIFICATIONS_VIEW = "product.notifications.view"

READERS = frozenset({Role.QA, Role.PHARMACIST, Role.INVESTIGATOR, Role.MONITOR, Role.AUDITOR, Role.DATA_MANAGER,
                     Role.MEDICAL_MONITOR})

PERMISSIONS: dict[str, frozenset[Role]] = {
    PRODUCT_VIEW: READERS,
    DONOR_MANAGE: frozenset({Role.QA}),
    MANUFACTURE_RECORD: frozenset({Role.QA}),
    QC_RECORD: frozenset({Role.QA}),
    LOT_RELEASE: frozenset({Role.QA}),
    UNIT_FILL: frozenset({Role.QA}),
    CUSTODY_MANUFACTURER: frozenset({Role.QA}),
    CUSTODY_SITE: frozenset({Role.PHARMACIST}),
    LABEL_PRINT: frozenset({Role.QA, Role.PHARMACIST}),
    ALLOCATE: frozenset({Role.PHARMACIST}),
    BEDSIDE: frozenset({Role.PHARMACIST, Role.INVESTIGATOR}),
    RECALL_START: frozenset({Role.QA}),
    # QA accepts or rejects (e-signed) the units of a shipment quarantined by a temperature excursion.
    SHIPMENT_DISPOSITION: frozenset({Role.QA}),
    NOTIFICATIONS_VIEW: frozenset({Role.QA, Role.PHARMACIST, Role.INVESTIGATOR, Role.MEDICAL_MONITOR}),
}

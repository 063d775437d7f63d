"""The product room: donors, manufacturing record, QC and release, units, labels, custody, bedside, trace and recall.

``product.rules`` is the pure part (no Django): release specifications, donor rules, culture arithmetic, dose and
volume, endotoxin, the custody state machine, temperature excursions, label content. See docs/product.md.
"""

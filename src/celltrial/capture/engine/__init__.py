"""The form engine's pure part (no Django): action tags, value checking against the data dictionary,
branching, calculated fields, partial dates and missing-data codes.

:func:`celltrial.capture.engine.values.clean` is the one entry point the services and the live page
evaluation share, so what the page shows while typing is what the server stores at save.
"""

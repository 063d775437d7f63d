"""The participants room's pure rules (no Django; an import-linter contract keeps it so).

- :mod:`.age`: calendar age from a date of birth (completed years and months);
- :mod:`.eligibility`: criterion-by-criterion evaluation of the protocol's logic, three-valued;
- :mod:`.windows`: visit target dates and windows relative to Day 0, and where a visit stands;
- :mod:`.consent`: whether consent and assent are complete, and what they gate;
- :mod:`.values`: screening-form values checked against the data dictionary;
- :mod:`.idcard`: the Chinese resident identity card number (GB 11643-1999);
- :mod:`.funnel`: the screening funnel, per site and overall.
"""

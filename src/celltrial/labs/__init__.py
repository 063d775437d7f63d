"""labs: lab panels, units, reference ranges, CTCAE grades, vitals."""

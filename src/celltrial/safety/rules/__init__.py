"""Pure safety rules (no Django): partial dates, expectedness against the RSI, DLT proposals, MedDRA files."""

"""capture instruments."""

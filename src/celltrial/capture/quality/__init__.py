"""Data quality: edit checks, queries, source-data verification, freeze and lock."""

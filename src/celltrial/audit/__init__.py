"""The append-only, hash-chained audit trail and the services every write of trial data goes through."""

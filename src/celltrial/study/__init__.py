"""The protocol: versions and amendments, sites, schedule of activities."""

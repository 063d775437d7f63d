"""Shipped protocol definitions (YAML + data dictionaries)."""

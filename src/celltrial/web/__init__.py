"""Base templates, navigation, the home page per role, protocol and audit-trail viewers."""

"""Users, roles, site memberships, API tokens and electronic signatures."""

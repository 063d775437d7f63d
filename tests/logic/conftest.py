"""The expression language is pure Python: its tests run without Django.

The shared tests/conftest.py has an autouse fixture that speeds up password
hashing through pytest-django's ``settings`` fixture.  These tests never hash a
password, so the fixture is replaced here by a no-op of the same name, which
keeps ``pytest -p no:django tests/logic`` working.
"""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    return None

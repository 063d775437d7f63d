"""Browser fixtures, registered for the whole suite by tests/conftest.py (so a journey outside tests/browser
shares the one Chromium of its process). Browser journeys: Playwright driving Debian's Chromium (/usr/bin/chromium), never a downloaded build."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; the Django ORM calls made by fixtures are
# still plain synchronous code, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (scripts/ensure-browser-deps.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")  # a tablet in landscape
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in as ``username`` through the login page (a fresh session: earlier cookies are dropped).

    The last page's requests finish first: a response still on its way (an icon, a script) would set
    the previous person's session cookie again over the new one."""
    if page.url.startswith("http"):
        page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("#login-submit")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser journey fails, show what its page showed: the address and the visible text in the
    report (CI keeps only the printed output), and a screenshot under var/screenshots/failed-<test>.png."""
    report = yield
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        try:
            text = page.inner_text("body", timeout=2000)
            report.sections.append(("page at failure", f"{page.url}\n{text[:4000]}"))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"failed-{item.name[:80]}.png"), full_page=True, timeout=5000)
        except Exception as exc:  # a closed page must not hide the test's own failure
            report.sections.append(("page at failure", f"(could not read the page: {exc})"))
    return report

"""Every page on a 390 × 844 phone, in Chinese, for every role that reaches it (DESIGN.md "Interfaces").

On each page: nothing is wider than the screen (a wide table scrolls inside its own card, its first
column fixed), no table cell is squeezed to a character per line, and no request leaves the
platform (no CDN). A screenshot of each page is kept in var/screenshots/phone-zh-<page>.png.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
VIEWERS = {"qa", "pharmacist", "investigator", "coordinator", "rater", "medical_monitor", "src_member",
           "data_manager", "monitor", "biostatistician", "auditor", "admin"}
AUDIT_READERS = {"auditor", "data_manager", "monitor", "qa", "admin", "investigator"}
SIGNERS = {"qa", "investigator"}
EDITORS = {"admin", "data_manager"}

# Measured in the page: how much wider than the screen it is, and table cells too narrow for their text.
MEASURE = """() => {
  const squeezed = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const text = cell.innerText.trim();
    if (text.length < 2 || cell.offsetParent === null) continue;
    const style = getComputedStyle(cell);
    const size = parseFloat(style.fontSize);
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    // Narrower than three characters while its text takes more than one line: a character per line.
    if (inner < 3 * size && lines > 1) squeezed.push(text.slice(0, 30) + ' (' + Math.round(inner) + 'px)');
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          lang: document.documentElement.lang, squeezed};
}"""


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True,
                                  device_scale_factor=1)
    page = context.new_page()
    origin = urlsplit(live_server.url).netloc
    outside: list[str] = []

    def refuse_outside(route):
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != origin:
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", refuse_outside)
    page.outside_requests = outside
    yield page
    context.close()


class Walk:
    """Visits pages, checks each one, and keeps one screenshot per page name."""

    def __init__(self, page, base: str, screenshot):
        self.page, self.base, self.screenshot = page, base, screenshot
        self.visited: list[str] = []
        self.shots: set[str] = set()

    def login(self, username: str) -> None:
        self.page.context.clear_cookies()
        self.visit("/accounts/login/", "login", status=200)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("#login-submit")
        assert "/accounts/login/" not in self.page.url, f"{username} could not log in"

    def visit(self, path: str, name: str, *, status: int = 200, chinese: bool = True, ready: str = "") -> None:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status == status, (path, response and response.status)
        self.page.wait_for_load_state("load")
        if ready:
            self.page.wait_for_selector(ready, timeout=15_000)
        self.check(name, chinese=chinese)

    def check(self, name: str, *, chinese: bool = True) -> None:
        m = self.page.evaluate(MEASURE)
        where = f"{name} ({self.page.url})"
        # A page without a viewport of the device's width is laid out at 980 px and shown shrunk.
        assert m["innerWidth"] == PHONE["width"], f"{where} is laid out {m['innerWidth']}px wide"
        assert m["scrollWidth"] <= m["innerWidth"], f"{where} is {m['scrollWidth']}px wide on a {m['innerWidth']}px phone"
        assert m["squeezed"] == [], f"{where}: cells squeezed to a character per line: {m['squeezed']}"
        if chinese:
            assert m["lang"] == "zh-hans", where
        assert self.page.outside_requests == [], f"{where} asked another origin: {self.page.outside_requests}"
        self.visited.append(name)
        if name not in self.shots:
            self.shots.add(name)
            self.screenshot(self.page, f"phone-zh-{name}")


def test_every_page_fits_a_phone_in_chinese(live_server, audit_purge_on_teardown, phone, screenshot, users, site):
    walk = Walk(phone, live_server.url, screenshot)
    walk.visit("/accounts/login/", "login")
    assert "登录" in phone.inner_text("h1")

    for role in [r for r in users]:
        walk.login(role)
        walk.check(f"home-{role}")
        assert phone.locator(f"section.role-panel[data-role={role}]").count() == 1
        assert "退出登录" in phone.inner_text("header.top")
        if role in VIEWERS:
            walk.visit("/protocol/", "protocol")
            grid = phone.locator("#schedule-grid")
            assert grid.locator("tbody th").first.evaluate("el => getComputedStyle(el).position") == "sticky"
            # The schedule scrolls inside its card, and its first column stays in view while it does.
            wrapper = grid.locator("xpath=..")
            assert wrapper.evaluate("el => el.scrollWidth > el.clientWidth")
            first = grid.locator("tbody th").first
            left = first.bounding_box()["x"]
            wrapper.evaluate("el => { el.scrollLeft = 600; }")
            assert abs(first.bounding_box()["x"] - left) < 2
            walk.visit("/protocol/v1/", "protocol-version")
            walk.visit("/sites/", "sites")
            walk.visit(f"/sites/{site.code}/", "site-detail" if role not in SIGNERS | EDITORS else
                       ("site-sign" if role in SIGNERS else "site-edit"))
            if role in SIGNERS:
                assert phone.locator("form[action$='/sign/'] #id_password").is_visible()
            if role in EDITORS:
                assert phone.locator("form[action$='/edit/'] #id_principal_investigator").is_visible()
        else:
            walk.visit("/protocol/", "forbidden", status=403)
            assert "无权访问" in phone.inner_text("h1")
        if role in AUDIT_READERS:
            walk.visit("/audit/", "audit")
            walk.visit("/audit/?action=create&object_type=study", "audit-filtered")
        elif role == "coordinator":
            walk.visit("/audit/", "forbidden", status=403)
        walk.visit("/no-such-page/", "not-found", status=404)
        assert "找不到页面" in phone.inner_text("h1")

    walk.login("admin")
    walk.visit(f"/sites/{site.code}/", "site-edit")
    phone.fill("#id_principal_investigator", "王医生（主要研究者）")
    phone.fill("#id_reason", "授权日志更新")
    with phone.expect_navigation():
        phone.click("form[action$='/edit/'] button[type=submit]")
    walk.check("site-edited")
    assert phone.inner_text("#site-pi") == "王医生（主要研究者）"
    walk.visit("/audit/?object_type=study.site", "audit-site")

    walk.visit("/sites/%00/", "bad-request", status=400)
    walk.visit("/api/docs", "api-docs", ready="#swagger-ui .opblock")
    assert "API 文档" in phone.inner_text("header.docs-top")
    assert phone.locator("#swagger-ui .opblock").count() >= 6

    assert len(walk.visited) > 80
    assert {"login", "protocol", "protocol-version", "sites", "site-detail", "site-sign", "site-edit", "audit",
            "forbidden", "not-found", "bad-request", "api-docs"} <= walk.shots

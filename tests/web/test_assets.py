"""No CDN (DESIGN.md "Interfaces": hospital networks have no internet): every script, stylesheet, icon,
image and CSS ``url(...)`` of every page is served by the platform itself, and each one answers 200."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from celltrial.accounts.roles import Role

CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'");\s]+)""")


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and "src" in a:
            self.found.append(("script", a["src"]))
        elif tag == "link" and "href" in a:
            self.found.append((f"link {a.get('rel', '')}", a["href"]))
        elif tag in {"img", "source", "iframe", "audio", "video"} and a.get("src"):
            self.found.append((tag, a["src"]))
        if "style" in a:
            self.found += [("inline style", u) for _q, u in CSS_URL.findall(a["style"])]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += [("style", u) for _q, u in CSS_URL.findall(data)]


def assets_of(html: str) -> list[tuple[str, str]]:
    parser = _Assets()
    parser.feed(html)
    return parser.found


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith("//")


def _check_page(client, address: str, seen: dict[str, int]) -> list[str]:
    """Every asset of the page at ``address``; a stylesheet's own url()s and @imports too."""
    response = client.get(address)
    assert response.status_code in (200, 400, 403, 404), (address, response.status_code)
    problems = []
    queue = [(kind, urljoin(address, url)) for kind, url in assets_of(response.content.decode())]
    while queue:
        kind, url = queue.pop()
        if url.startswith("data:"):
            continue
        if not _same_origin(url):
            problems.append(f"{address}: {kind} from another origin: {url}")
            continue
        path = urlsplit(url).path
        if path not in seen:
            asset = client.get(path)
            seen[path] = asset.status_code
            if asset.status_code == 200 and path.endswith(".css"):
                css = b"".join(asset.streaming_content if asset.streaming else [asset.content]).decode()
                queue += [("css url()", urljoin(path, u)) for _q, u in CSS_URL.findall(css)]
                queue += [("css @import", urljoin(path, u)) for u in CSS_IMPORT.findall(css)]
        if seen[path] != 200:
            problems.append(f"{address}: {kind} {url} answers {seen[path]}")
    return problems


def _pages(site_code: str) -> list[str]:
    return [reverse("home"), reverse("protocol"), reverse("protocol_version", args=[1]), reverse("sites"),
            reverse("site_detail", args=[site_code]), reverse("audit"), "/no-such-page/", "/sites/%00/"]


def test_the_parser_finds_every_kind_of_asset():
    html = """<link rel="stylesheet" href="https://cdn.example/x.css"><script src="//cdn.example/h.js"></script>
    <img src="/static/a.png"><div style="background: url('/static/b.png')"></div>
    <style>p { background: url(https://fonts.example/c.woff2) }</style>"""
    urls = [u for _k, u in assets_of(html)]
    assert urls == ["https://cdn.example/x.css", "//cdn.example/h.js", "/static/a.png", "/static/b.png",
                    "https://fonts.example/c.woff2"]
    assert [u for u in urls if not _same_origin(u)] == [urls[0], urls[1], urls[4]]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_page_of_every_role_loads_only_its_own_assets(role, users, site, client):
    client.force_login(users[role])
    seen: dict[str, int] = {}
    problems = [p for address in _pages(site.code) for p in _check_page(client, address, seen)]
    assert problems == []
    assert "/static/django_htmx/htmx-2.min.js" in seen and "/static/web/celltrial.css" in seen


def test_login_and_api_docs_load_only_their_own_assets(client, db):
    seen: dict[str, int] = {}
    problems = _check_page(client, reverse("login"), seen) + _check_page(client, "/api/docs", seen)
    assert problems == []
    assert any(path.startswith("/static/ninja/swagger-ui") for path in seen)


def test_api_docs_ask_no_outside_validator(client, db):
    """Swagger UI's default would fetch a badge from an outside validator for every schema it shows."""
    import json

    html = client.get("/api/docs").content.decode()
    settings_json = re.search(r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S)
    assert settings_json is not None
    assert json.loads(settings_json.group(1)).get("validatorUrl", "missing") is None


def test_the_stylesheets_name_no_remote_font():
    """The platform's own CSS uses the device's fonts (system-ui, then the CJK fonts a device has)."""
    from pathlib import Path

    from django.contrib.staticfiles import finders

    sheets = sorted(Path(finders.find("web/celltrial.css")).parent.glob("*.css"))
    assert {p.name for p in sheets} >= {"celltrial.css", "api-docs.css"}
    for sheet in sheets:
        css = sheet.read_text(encoding="utf-8")
        assert "@font-face" not in css and "@import" not in css, sheet.name
        assert not re.search(r"https?://|//[a-z]", css), sheet.name
        families = re.findall(r"font(?:-family)?\s*:\s*([^;}]+)", css)
        assert families and all("system-ui" in f or "monospace" in f or f.strip() == "inherit" for f in families), (
            sheet.name, families)

"""The advisor page at / and its files under /ui/: types, caching, 404s, the spec's list of
files, relative links behind a path prefix, open when /v1 needs a token, and the wheel."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import flask
import pytest
from flask.testing import FlaskClient
from support.api import ROOT, assert_problem, bundled_catalog, make_app, spec_dict
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from service.api.page import ASSETS, IMMUTABLE, MERMAID_VERSION, WEB_DIR

TOKEN = "t0ken-for-tests-0123456789"
MERMAID = f"mermaid-{MERMAID_VERSION}.min.js"
MERMAID_SHA256 = "581ed7d74bd9048d0e3a91363927d72ef22942d7722546b27f7cc29e35390eb8"
# Files in service/web that are not served: notes for people, and the page (served at /).
NOT_ASSETS = {"index.html", "vendor/README.md", "vendor/mermaid-LICENSE.txt"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and not value.startswith(("#", "data:")):
                self.links.append(value)


def _links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.links


def test_the_page_is_html_that_loads_only_relative_local_files(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    page = response.get_data(as_text=True)
    assert "http://" not in page and "https://" not in page  # no CDN
    links = _links(page)
    assert {"ui/style.css", "ui/app.js", "./", "docs"} <= set(links)
    assert not [link for link in links if link.startswith("/")], links
    # No inline script: the Content-Security-Policy allows none.
    assert re.findall(r"<script(?![^>]*\ssrc=)", page) == []


def test_the_page_and_its_files_revalidate_with_an_etag(client: FlaskClient) -> None:
    for path in ("/", "/ui/app.js", f"/ui/{MERMAID}"):
        first = client.get(path)
        etag = first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.data == b""
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("asset", sorted(ASSETS))
def test_each_file_is_served_with_its_type_and_caching(client: FlaskClient, asset: str) -> None:
    response = client.get(f"/ui/{asset}")
    assert response.status_code == 200
    assert response.data == (WEB_DIR / ASSETS[asset]).read_bytes()
    kind = "text/css" if asset.endswith(".css") else "text/javascript"
    assert response.content_type == f"{kind}; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if asset in IMMUTABLE:
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    else:
        assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/ui/nope.js",
        "/ui/index.html",
        "/ui/README.md",
        "/ui/vendor/mermaid-11.17.2.min.js",
        "/ui/mermaid.min.js",
        "/ui/..%2Fapi%2Fpage.py",
        "/index.html",
        "/ui/",
    ],
)
def test_anything_else_is_a_404_problem(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(path), 404)


def test_a_wrong_method_is_a_405_problem(client: FlaskClient) -> None:
    assert_problem(client.post("/", json={}), 405)
    assert_problem(client.delete("/ui/app.js"), 405)


def test_every_file_in_web_is_served_and_the_spec_lists_exactly_those() -> None:
    files = {
        p.relative_to(WEB_DIR).as_posix() for p in WEB_DIR.rglob("*") if p.is_file()
    } - NOT_ASSETS
    assert set(ASSETS.values()) == files
    enum = spec_dict()["paths"]["/ui/{asset}"]["get"]["parameters"][0]["schema"]["enum"]
    assert sorted(enum) == sorted(ASSETS)
    assert spec_dict()["paths"]["/"]["get"]["security"] == []
    assert spec_dict()["paths"]["/ui/{asset}"]["get"]["security"] == []


def test_the_vendored_mermaid_is_the_pinned_release_the_diagram_tests_use() -> None:
    data = (WEB_DIR / "vendor" / MERMAID).read_bytes()
    assert hashlib.sha256(data).hexdigest() == MERMAID_SHA256
    readme = (WEB_DIR / "vendor" / "README.md").read_text(encoding="utf-8")
    assert MERMAID_SHA256 in readme and MERMAID in readme and "MIT" in readme
    assert f'"{MERMAID}"' in (WEB_DIR / "diagram.js").read_text(encoding="utf-8")
    node_tools = (ROOT / "tests" / "node" / "package.json").read_text(encoding="utf-8")
    assert f'"mermaid": "{MERMAID_VERSION}"' in node_tools


# An absolute path in a script ("/v1/...", '/ui/...') would leave a path prefix behind.
ABSOLUTE = re.compile(r"""["'`]/(?:v1|ui|docs|openapi)""")
IMPORT = re.compile(r"""(?:import|from)\s*["'](\.[^"']+)["']""")


def test_scripts_use_only_relative_paths() -> None:
    for name in ASSETS:
        if name.endswith(".js") and name not in IMMUTABLE:
            text = (WEB_DIR / name).read_text(encoding="utf-8")
            assert not ABSOLUTE.search(text), name
            # The SVG namespace is a name, not an address the page loads.
            text = text.replace('"http://www.w3.org/2000/svg"', "")
            assert "http://" not in text and "https://" not in text, name
            for module in IMPORT.findall(text):
                assert module.removeprefix("./") in ASSETS, (name, module)


def test_under_a_path_prefix_every_link_and_import_resolves() -> None:
    app = make_app()
    root = flask.Flask("root")
    client = Client(DispatcherMiddleware(root, {"/netadvisor": app.wsgi_app}))
    base = "http://localhost/netadvisor/"
    page = client.get("/netadvisor/")
    assert page.status_code == 200
    seen: set[str] = set()
    pending = [urljoin(base, link) for link in _links(page.get_data(as_text=True))]
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        assert url.startswith(base), url
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200, url
        if url.endswith(".js"):
            text = response.get_data(as_text=True)
            pending += [urljoin(url, module) for module in IMPORT.findall(text)]
    modules = {name for name in ASSETS if name.endswith(".js") and name not in IMMUTABLE}
    assert {f"{base}ui/{name}" for name in modules} <= seen
    # The API the scripts call relatively is there under the prefix too.
    assert client.get("/netadvisor/v1/trees").status_code == 200


def test_the_page_is_open_when_the_api_needs_a_token() -> None:
    client = make_app(API_TOKENS=TOKEN).test_client()
    assert client.get("/").status_code == 200
    assert client.get("/ui/app.js").status_code == 200
    assert_problem(client.get("/v1/trees"), 401)


def test_no_bundled_tree_asks_a_question_the_page_keeps_for_itself() -> None:
    # The page's URL holds tree, version, ask and price.<name> beside the answers.
    catalog = bundled_catalog()
    for versions in catalog.versions_by_tree.values():
        for tree in versions:
            assert not {"tree", "version", "ask"} & set(tree.questions), tree.id
            assert not [q for q in tree.questions if q.startswith("price.")]


def test_the_wheel_carries_the_page(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("netadvisor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for relative in [*ASSETS.values(), *NOT_ASSETS]:
        assert f"service/web/{relative}" in names, relative

"""The advisor page in a real browser (Playwright driving Debian's chromium) against
`netadvisor serve` on loopback: every bundled tree clicked through to a recommendation,
facts pasted, Back, what-if, price overrides, shared URLs, copy as curl, a token, a path
prefix, and axe-core with no violations.

Set NETADVISOR_UPDATE_SCREENSHOT=1 to write docs/img/advisor-result.png from a real run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import playwright.sync_api as playwright_api
import pytest
from playwright.sync_api import Browser, Page, expect
from support.api import ROOT, bundled_catalog
from support.server import Server, serve

from service.engine.evaluate import parse_text_answers

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("NETADVISOR_CHROMIUM", "/usr/bin/chromium")

AXE = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
FIXTURES = ROOT / "tests" / "fixtures" / "kubectl"
SCREENSHOT = ROOT / "docs" / "img" / "advisor-result.png"
TOKEN = "browser-test-token-0123456789"
CATALOG = bundled_catalog()
RESERVED = {"tree", "version", "ask"}

# One service-mesh result with a cost chart (the recommendation and two priced alternatives).
MESH = (
    "/?tree=service-mesh&platform=aws&microservices=40&mtls_required=true"
    "&advanced_traffic=true&observability_in_place=true&operations_capacity=true"
    "&priority=features&pods=400&ask=required"
)
# A service-type result on AWS: one ALB behind a shared Gateway.
GATEWAY = (
    "/?tree=service-type&platform=aws&consumers=external&environment=production"
    "&load_balancer_available=true&protocol=http&external_services=5&ask=required"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("page")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with playwright_api.sync_playwright() as p:
        # A missing browser fails with the command that installs it; nothing is skipped.
        assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: run scripts/install-browser"
        launched = p.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    yield page
    context.close()
    # A refused script (CSP), a failed module or an uncaught error shows up here.
    assert errors == []


def open_page(page: Page, server: Server, path: str, view: str) -> None:
    page.goto(server.base + path)
    expect(page.locator(f"main[data-view={view}]")).to_be_attached()


def api_result(url: str) -> dict[str, Any]:
    """What the engine says for the state in a page URL (the page must show the same)."""
    pairs = dict(parse_qsl(urlsplit(url).query))
    tree = CATALOG.get(pairs["tree"], pairs.get("version"))
    answers = {k: v for k, v in pairs.items() if k not in RESERVED and "." not in k}
    pricing = {k[6:]: float(v) for k, v in pairs.items() if k.startswith("price.")}
    result = CATALOG.evaluate(
        tree.id,
        parse_text_answers(tree, answers),
        version=tree.version,
        pricing=pricing or None,
    )
    body: dict[str, Any] = result.to_dict()
    return body


def answer_current_question(page: Page) -> None:
    """Keep the preselected default, else the first option, else a fitting value."""
    form = page.locator("form.question")
    radios = form.locator("input[type=radio]")
    if radios.count():
        if not form.locator("input[type=radio]:checked").count():
            radios.first.check()
    else:
        field = form.locator("#answer-value")
        if not field.input_value():
            minimum = field.get_attribute("min")
            kind = field.get_attribute("type")
            field.fill(minimum if minimum else "1" if kind == "number" else "6.1")
    form.get_by_role("button", name="Next").click()


def click_through(page: Page, limit: int = 60) -> int:
    """Answer question after question until the result shows; the number answered."""
    for answered in range(limit):
        view = page.locator("main:not([aria-busy=true])[data-view]")
        expect(view).to_be_attached()
        if view.get_attribute("data-view") == "result":
            return answered
        prompt = page.locator("#question-prompt").inner_text()
        answer_current_question(page)
        page.wait_for_function(MOVED_ON, arg=prompt, timeout=10000)
    raise AssertionError(f"no recommendation after {limit} answers")


# The page showed the result or another question; an answer refused stays and says why.
MOVED_ON = """prompt => {
  const main = document.getElementById("main");
  if (main.getAttribute("aria-busy") === "true") return false;
  const error = document.getElementById("answer-error")?.textContent;
  if (error) throw new Error(`answer refused: ${error}`);
  const shown = document.getElementById("question-prompt");
  return main.dataset.view === "result" || (shown && shown.textContent !== prompt);
}"""


def shown_title(page: Page) -> str:
    return page.locator("#result-title").inner_text()


def every_tree_version() -> list[tuple[str, str, bool]]:
    return [
        (tree.id, tree.version, tree.version == CATALOG.get(tree.id).version)
        for versions in CATALOG.versions_by_tree.values()
        for tree in versions
    ]


@pytest.mark.parametrize(
    ("tree_id", "version", "default"),
    every_tree_version(),
    ids=[f"{t}-{v}" for t, v, _ in every_tree_version()],
)
def test_each_tree_and_version_clicks_through_to_the_engines_recommendation(
    page: Page, server: Server, tree_id: str, version: str, default: bool
) -> None:
    open_page(page, server, "/", "start")
    title = CATALOG.get(tree_id).title
    page.get_by_role("link", name=title).click()
    expect(page.locator("main[data-view=question]")).to_be_attached()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    select = page.get_by_label("Version")
    if not default:
        expect(select.locator("option", has_text=f"{version} (deprecated)")).to_be_attached()
        select.select_option(version)
        expect(page.locator(".tree-meta .badge.deprecated")).to_be_visible()
    answered = click_through(page)
    assert answered >= 1
    assert f"version={version}" in page.url
    expected = api_result(page.url)
    assert expected["status"] == "complete"
    assert shown_title(page) == expected["recommendation"]["title"]
    # The diagram is drawn by the bundled Mermaid with the path highlighted.
    expect(page.locator(".diagram svg g.chosen").first).to_be_attached(timeout=30000)


def test_the_start_page_lists_every_tree_with_deprecated_versions_marked(
    page: Page, server: Server
) -> None:
    open_page(page, server, "/", "start")
    cards = page.locator(".card")
    expect(cards).to_have_count(len(CATALOG.tree_ids))
    for tree_id in CATALOG.tree_ids:
        tree = CATALOG.get(tree_id)
        card = cards.filter(has=page.get_by_role("link", name=tree.title))
        expect(card).to_contain_text(tree.description[:60])
        deprecated = [t for t in CATALOG.versions_by_tree[tree_id] if t.status == "deprecated"]
        expect(card.locator(".badge.deprecated")).to_have_count(len(deprecated))


def test_help_options_and_defaults_are_shown_and_defaults_can_answer_the_rest(
    page: Page, server: Server
) -> None:
    open_page(page, server, "/?tree=service-type&platform=aws&consumers=external", "question")
    expect(page.locator("#question-prompt")).to_have_text(
        "Is this a development/test or a production environment?"
    )
    page.get_by_role("radio", name="Production").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#question-prompt")).to_contain_text("LoadBalancer Services")
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Next").click()
    # ask=all: a question with a default is offered, its default preselected and marked.
    expect(page.locator("#question-prompt")).to_have_text(
        "How many availability zones do the nodes span?"
    )
    expect(page.locator("#question-help")).to_contain_text("public IPv4 address per zone")
    expect(page.locator("#answer-value")).to_have_value("3")
    expect(page.locator("#answer-hint")).to_contain_text("default 3")
    page.get_by_role("button", name="Use the defaults for the rest").click()
    expect(page.locator("#question-prompt")).to_have_text("Which protocol do clients speak?")
    assert "ask=required" in page.url
    expect(page.get_by_role("button", name="Use the defaults for the rest")).to_have_count(0)
    page.get_by_role("radio", name="HTTP or HTTPS").check()
    page.get_by_role("button", name="Next").click()
    page.locator("#answer-value").fill("5")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("main[data-view=result]")).to_be_attached()
    expect(page.locator(".why .badge.default").first).to_be_visible()
    assert shown_title(page) == api_result(page.url)["recommendation"]["title"]


def test_back_takes_back_the_last_answer_and_the_browser_history_works(
    page: Page, server: Server
) -> None:
    open_page(page, server, "/?tree=service-type", "question")
    page.get_by_role("radio", name="Google Cloud (GKE)").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#question-prompt")).to_have_text("Who calls the service?")
    page.get_by_role("radio", name="Clients outside the cluster").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#question-prompt")).to_contain_text("production environment")
    page.get_by_role("button", name="Back").click()
    expect(page.locator("#question-prompt")).to_have_text("Who calls the service?")
    # The answer taken back is offered again, and the URL no longer holds it.
    expect(page.get_by_role("radio", name="Clients outside the cluster")).to_be_checked()
    assert "consumers=" not in page.url and "platform=gcp" in page.url
    page.go_back()
    expect(page.locator("#question-prompt")).to_contain_text("production environment")
    page.go_back()
    expect(page.locator("#question-prompt")).to_have_text("Who calls the service?")
    # From a result reached with the defaults, Back returns to the questions they answered.
    open_page(page, server, GATEWAY, "result")
    page.get_by_role("button", name="Back").click()
    expect(page.locator("main[data-view=question]")).to_be_attached()
    assert "ask=required" not in page.url


def test_pasted_kubectl_json_fills_answers_that_are_shown_as_from_the_cluster(
    page: Page, server: Server
) -> None:
    open_page(page, server, "/?tree=cni", "question")
    page.get_by_text("Fill answers from your cluster").click()
    page.get_by_label("kubectl JSON output or an error message").fill(
        (FIXTURES / "eks.json").read_text(encoding="utf-8")
    )
    page.get_by_role("button", name="Fill answers from this").click()
    expect(page.locator(".from-cluster")).to_contain_text("spec.providerID = aws:///")
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query["platform"] == "aws" and query["current_cni"] == "aws-vpc-cni"
    expect(page.locator(".so-far .badge.cluster").first).to_be_attached()
    click_through(page)
    why = page.locator(".why li", has=page.locator(".badge.cluster"))
    expect(why.first).to_be_visible()
    expect(page.locator(".why")).to_contain_text("Node/ip-10-0-1-5.ec2.internal")
    assert shown_title(page) == api_result(page.url)["recommendation"]["title"]


def test_a_pasted_error_message_fills_the_error_class(page: Page, server: Server) -> None:
    open_page(
        page, server, "/?tree=network-troubleshooting&symptom=service-unreachable", "question"
    )
    page.get_by_text("Fill answers from your cluster").click()
    page.get_by_label("kubectl JSON output or an error message").fill(
        "curl: (28) Failed to connect to web.shop.svc.cluster.local port 80: i/o timeout"
    )
    page.get_by_role("button", name="Fill answers from this").click()
    expect(page.locator(".from-cluster")).to_contain_text("error_class")
    assert "error_class=timeout" in page.url


def test_a_shared_url_reopens_the_same_result(browser: Browser, page: Page, server: Server) -> None:
    open_page(page, server, MESH, "result")
    expect(page.locator("svg.cost-chart")).to_be_visible()
    shared = page.locator("#share-url").input_value()
    assert shared == page.url
    seen = {
        "title": shown_title(page),
        "why": page.locator(".why").inner_text(),
        "costs": page.locator("section.costs .total").inner_text(),
        "alternatives": page.locator(".alternatives").inner_text(),
    }
    other = browser.new_context()
    try:
        fresh = other.new_page()
        fresh.goto(shared)
        expect(fresh.locator("main[data-view=result]")).to_be_attached()
        assert fresh.locator("#result-title").inner_text() == seen["title"]
        assert fresh.locator(".why").inner_text() == seen["why"]
        assert fresh.locator("section.costs .total").inner_text() == seen["costs"]
        assert fresh.locator(".alternatives").inner_text() == seen["alternatives"]
    finally:
        other.close()
    expected = api_result(shared)
    assert seen["title"] == expected["recommendation"]["title"]


def test_a_price_override_changes_the_cost_and_travels_in_the_url(
    page: Page, server: Server
) -> None:
    open_page(page, server, GATEWAY, "result")
    total = page.locator("section.costs .total")
    expect(total).to_have_text("$28.18 a month")
    page.get_by_text("Prices used").click()
    price = page.get_by_label("AWS Application Load Balancer in us-east-1", exact=False)
    expect(page.locator(f"#{price.get_attribute('aria-describedby')}")).to_contain_text(
        "USD per Application Load Balancer per month"
    )
    price.fill("100")
    page.get_by_role("button", name="Apply prices").click()
    expect(total).to_have_text("$111.75 a month")
    assert "price.aws_alb_month=100" in page.url
    assert api_result(page.url)["costs"]["total"]["low"] == 111.75
    page.reload()
    expect(page.locator("section.costs .total")).to_have_text("$111.75 a month")


def test_the_diagram_highlights_the_path_and_can_show_only_the_path(
    page: Page, server: Server
) -> None:
    open_page(page, server, GATEWAY, "result")
    drawing = page.locator(".diagram svg[role=img]")
    expect(drawing.locator("g.chosen").first).to_be_attached(timeout=30000)
    expect(drawing.locator("g.taken").first).to_be_attached()
    whole = drawing.locator("g.node").count()
    page.get_by_role("button", name="Only the path").click()
    expect(page.get_by_role("button", name="Only the path")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.wait_for_function(
        "n => document.querySelectorAll('.diagram svg g.node').length < n", arg=whole
    )
    expect(drawing.locator("g.chosen").first).to_be_attached()


def test_a_what_if_answer_is_one_click_away(page: Page, server: Server) -> None:
    open_page(page, server, GATEWAY, "result")
    choice = page.locator(".what-if-choice", has_text="UDP")
    promised = choice.locator("strong").inner_text()
    choice.click()
    expect(page.locator("#result-title")).to_have_text(promised)
    assert "protocol=udp" in page.url


def test_the_result_copies_as_curl_and_as_a_snippet(browser: Browser, server: Server) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        open_page(page, server, GATEWAY, "result")
        expect(page.locator(".commands pre").first).to_be_visible()
        page.get_by_role("button", name="Copy as curl").click()
        expect(page.locator("#status")).to_have_text("Copied to the clipboard.")
        curl = page.evaluate("navigator.clipboard.readText()")
        assert curl.startswith("curl -sS -X POST")
        if shutil.which("curl") and shutil.which("bash"):
            done = subprocess.run(
                ["bash", "-c", curl], capture_output=True, text=True, timeout=30, check=True
            )
            assert json.loads(done.stdout)["recommendation"]["title"] == shown_title(page)
        page.get_by_role("button", name="Copy for Slack / Markdown").click()
        snippet = page.evaluate("navigator.clipboard.readText()")
        assert shown_title(page) in snippet and page.url in snippet and "$28.18" in snippet
        page.get_by_role("button", name="Copy: command 1,").click()
        assert page.evaluate("navigator.clipboard.readText()") == "kubectl get gatewayclass"
    finally:
        context.close()


def test_a_token_is_asked_for_when_the_api_needs_one(browser: Browser, tmp_path: Path) -> None:
    with serve(tmp_path, env={"NETADVISOR_API_TOKENS": TOKEN}, workers=1) as guarded:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(guarded.base + "/")
            dialog = page.get_by_role("dialog", name="API token needed")
            expect(dialog).to_be_visible()
            if AXE.is_file():
                assert _axe(page) == []
            page.get_by_label("Bearer token").fill("wrong-token-0123456789")
            page.get_by_role("button", name="Use this token").click()
            expect(dialog).to_contain_text("did not accept")
            page.get_by_label("Bearer token").fill(TOKEN)
            page.get_by_role("button", name="Use this token").click()
            expect(page.locator("main[data-view=start]")).to_be_attached()
            assert page.evaluate("sessionStorage.getItem('netadvisor.token')") == TOKEN
            assert page.evaluate("localStorage.length") == 0
            # Kept for the tab: the next page asks no more.
            page.goto(guarded.base + GATEWAY)
            expect(page.locator("main[data-view=result]")).to_be_attached()
            expect(page.locator(".diagram svg").first).to_be_attached(timeout=30000)
            assert not dialog.is_visible()
        finally:
            context.close()


def test_the_page_works_behind_a_path_prefix(page: Page, server: Server) -> None:
    # A reverse proxy that serves the whole service under /advisor/.
    prefix = f"{server.base}/advisor/"
    requested: list[str] = []

    def proxy(route: Any) -> None:
        url = route.request.url
        requested.append(url)
        route.fulfill(response=route.fetch(url=server.base + "/" + url.removeprefix(prefix)))

    page.route(f"{prefix}**", proxy)
    page.goto(prefix + GATEWAY.removeprefix("/"))
    expect(page.locator("main[data-view=result]")).to_be_attached()
    expect(page.locator(".diagram svg").first).to_be_attached(timeout=30000)
    visited = [url for url in requested if "/v1/" in url or "/ui/" in url]
    assert len(visited) >= 5
    assert all(url.startswith(prefix) for url in visited)


def _axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    return violations


def test_axe_finds_no_violations_on_any_view(page: Page, server: Server) -> None:
    # A missing tool fails with the command that installs it; nothing is skipped.
    assert AXE.is_file(), "axe-core is not installed: run `make node-tools`"
    open_page(page, server, "/", "start")
    assert _axe(page) == []
    open_page(page, server, "/?tree=service-type&platform=aws", "question")
    page.get_by_text("Fill answers from your cluster").click()
    page.get_by_text("Answers so far").click()
    assert _axe(page) == []
    open_page(page, server, "/?tree=cni&version=1.0.0", "question")
    assert _axe(page) == []
    open_page(page, server, MESH, "result")
    expect(page.locator(".diagram svg").first).to_be_attached(timeout=30000)
    page.get_by_text("Prices used").click()
    assert _axe(page) == []


def test_a_screenshot_of_a_result(page: Page, server: Server, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1100, "height": 1500})
    open_page(page, server, MESH, "result")
    expect(page.locator(".diagram svg").first).to_be_attached(timeout=30000)
    page.evaluate("window.scrollTo(0, 0)")
    target = tmp_path / "advisor-result.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 20000
    if os.environ.get("NETADVISOR_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, SCREENSHOT)


def test_answers_reach_the_page_as_typed_by_a_person_with_only_the_keyboard(
    page: Page, server: Server
) -> None:
    open_page(page, server, "/?tree=service-type&platform=aws", "question")
    page.locator("#question-prompt").wait_for()
    # Focus starts on the first option after each step; arrows choose and Enter submits.
    page.get_by_role("radio", name="Only other workloads in the cluster").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Clients outside the cluster")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator("#question-prompt")).to_contain_text("production environment")
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("answer-")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#question-prompt")).to_contain_text("LoadBalancer Services")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        data: bytes = response.read()
        return data


def test_the_served_page_is_the_one_in_the_package(server: Server) -> None:
    assert _get(server.base + "/") == (ROOT / "service" / "web" / "index.html").read_bytes()

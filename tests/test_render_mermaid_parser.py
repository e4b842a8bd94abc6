"""Every diagram the renderer writes, read by Mermaid's own parser (needs Node.js and mermaid).

Set NETADVISOR_MERMAID_MODULES to a directory holding node_modules/mermaid and
node_modules/jsdom (`npm install mermaid@11 jsdom@25`) to run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.render_checks import STOPS, TREES

from service.engine.evaluate import evaluate_tree
from service.render.mermaid import render_mermaid

# Mermaid's own parser and jsdom, installed by `make node-tools` into tests/node.
MODULES = os.environ.get("NETADVISOR_MERMAID_MODULES") or str(Path(__file__).parent / "node")
NODE = shutil.which("node")

PARSE = """
import { JSDOM } from "jsdom";
import fs from "node:fs";
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });
let failed = 0;
for (const f of process.argv.slice(2)) {
  try { await mermaid.parse(fs.readFileSync(f, "utf8")); }
  catch (e) { failed++; console.log(f, String(e.message || e).slice(0, 300)); }
}
process.exit(failed ? 1 : 0);
"""

# Every diagram of every tree through the real parser: in `make test`, not `make check`.
pytestmark = pytest.mark.slow


def test_mermaid_parses_every_diagram() -> None:
    # A missing tool fails with the command that installs it; nothing is skipped.
    if not (NODE and (Path(MODULES) / "node_modules" / "mermaid").is_dir()):
        pytest.fail("Mermaid's parser is not installed: run `make node-tools` (needs node and npm)")
    script = Path(MODULES) / "netadvisor_parse.mjs"
    script.write_text(PARSE)
    out = Path(MODULES) / "netadvisor_diagrams"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    files = []
    for tree in TREES:
        path = out / f"{tree.id}-{tree.version}.mmd"
        path.write_text(render_mermaid(tree))
        files.append(str(path))
    for stop in STOPS:
        path = out / f"{stop}.mmd"
        path.write_text(render_mermaid(stop.tree, evaluate_tree(stop.tree, stop.answers)))
        files.append(str(path))
    broken = out / "broken.mmd"
    broken.write_text('flowchart TD\n    a{"x"y"}\n')
    # The parser must reject a broken diagram, or passing proves nothing.
    check = subprocess.run(
        [NODE, str(script), str(broken)], capture_output=True, text=True, cwd=MODULES, timeout=120
    )
    assert check.returncode == 1
    run = subprocess.run(
        [NODE, str(script), *files], capture_output=True, text=True, cwd=MODULES, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr

"""Every console example in README.md and docs/*.md, run and compared with what it shows.

A ```console block holds commands (`$ ...`, continued by a trailing backslash) each with
the output it prints. They run in the repository root against a real server (localhost:8000
in the text is the test server's port) and the project's own `netadvisor`. A block after
`<!-- kubectl: NAME -->` gets a kubectl that prints tests/fixtures/kubectl/NAME.json, since
no cluster runs here. Values that differ on every run (ids, digests, times) are masked.

    python -m tests.support.docs_examples --update [--only README.md]   # rewrite the outputs
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "kubectl"
BLOCK = re.compile(r"^(?:<!-- kubectl: ([a-z0-9-]+) -->\n)?```console\n(.*?)^```$", re.S | re.M)
SHOWN_HOST = "localhost:8000"
# Generated pages have no examples to run.
SKIP = {"sources.md"}

_MASKS = [
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),
    (re.compile(r"\bdigest [0-9a-f]{12}\b"), "digest <digest>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"), "<time>"),
    (re.compile(r'("duration_ms":\s*)[0-9.]+'), r"\1<ms>"),
    (re.compile(r"(Date: ).*"), r"\1<date>"),
]


def doc_files() -> list[Path]:
    return [
        ROOT / "README.md",
        *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in SKIP),
    ]


@dataclass(frozen=True)
class Example:
    path: Path
    line: int
    command: str
    shown: str
    fixture: str | None

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _split(body: str) -> Iterator[tuple[int, str, str]]:
    """(line offset, command, output) of each command in a block's text."""
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        start = i
        command = [lines[i][2:]]
        while command[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            command.append(lines[i])
        i += 1
        output = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        yield start, "\n".join(command), "\n".join(output)


def examples(path: Path) -> list[Example]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        first_line = text.count("\n", 0, match.start(2)) + 1
        for offset, command, shown in _split(match.group(2)):
            found.append(Example(path, first_line + offset, command, shown, match.group(1)))
    return found


def normalise(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _fake_kubectl(directory: Path, fixture: str) -> None:
    script = directory / "kubectl"
    source = FIXTURES / f"{fixture}.json"
    script.write_text(
        "#!/bin/sh\n"
        '[ "$1" = get ] || { echo "only kubectl get is faked here" >&2; exit 1; }\n'
        f"cat {source}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def run(example: Example, port: int) -> str:
    """What the example's command prints now (stdout and stderr, as a terminal shows)."""
    command = example.command.replace(SHOWN_HOST, f"127.0.0.1:{port}")
    with tempfile.TemporaryDirectory() as tmp:
        path = [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
        if example.fixture:
            _fake_kubectl(Path(tmp), example.fixture)
            path.insert(0, tmp)
        env = {**os.environ, "PATH": os.pathsep.join(path), "COLUMNS": "100"}
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    return (done.stdout + done.stderr).replace(f"127.0.0.1:{port}", SHOWN_HOST)


def update(port: int, only: Path | None = None) -> int:
    """Rewrite every example's output in place with what it prints now."""
    changed = 0
    for path in doc_files():
        if only is not None and path.resolve() != only.resolve():
            continue
        text = path.read_text(encoding="utf-8")
        out: list[str] = []
        last = 0
        for match in BLOCK.finditer(text):
            out.append(text[last : match.start(2)])
            body = []
            for _, command, shown in _split(match.group(2)):
                example = Example(path, 0, command, shown, match.group(1))
                actual = run(example, port).rstrip("\n")
                changed += normalise(actual) != normalise(shown)
                body.append(f"$ {command}\n{actual}\n" if actual else f"$ {command}\n")
            out.append("".join(body))
            last = match.end(2)
        out.append(text[last:])
        path.write_text("".join(out), encoding="utf-8")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the shown outputs")
    parser.add_argument("--only", type=Path, default=None, help="one page instead of all")
    args = parser.parse_args()
    from tests.support.server import serve

    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server:
        if args.update:
            print(f"{update(server.port, args.only)} outputs changed")
            return 0
        failed = 0
        for path in doc_files():
            if args.only is not None and path.resolve() != args.only.resolve():
                continue
            for example in examples(path):
                if normalise(run(example, server.port)) != normalise(example.shown):
                    print(f"differs: {example.name}: {example.command[:80]}")
                    failed += 1
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

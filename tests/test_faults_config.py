"""Bad settings and files stop `serve` and `check` with one clean message; answers stay bounded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.server import free_port

from service.engine import Catalog, InvalidAnswers
from service.engine.conditions import parse_version
from service.engine.model import MAX_INTEGER_ANSWER, QuestionNode

# Real processes or every stop of every tree: in `make test`, not the quick `make check`.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
ROOT = HERE.parent
TREES = HERE / "trees"
EXAMPLE = TREES / "example" / "1.0.0.yaml"


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NETADVISOR_", "GUNICORN_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # The test trees: the bundled ones change under other work and are not the point here.
    env["NETADVISOR_TREES_DIR"] = str(TREES)
    env.update(settings)
    return env


def _serve(**settings: str) -> subprocess.CompletedProcess[str]:
    """`netadvisor serve` that must refuse to start (a timeout means it served)."""
    port = free_port()
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "1"],
        env=_env(**settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _check(*args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "service.cli", "check", str(TREES), *args]
    if user is not None:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("setpriv (util-linux) is needed to drop privileges for this check")
        command = [setpriv, f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(
        command, env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def _refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    assert "Traceback" not in said, said
    for word in words:
        assert word in said, said
    return said


@pytest.mark.parametrize("value", ["", " ", "[]", '[""]', "null"])
def test_set_but_empty_tokens_refuse_to_start(value: str) -> None:
    said = _refused(_serve(NETADVISOR_API_TOKENS=value), "NETADVISOR_API_TOKENS is set")
    assert "unset it to run without authentication" in said


def test_an_empty_token_file_refuses_to_start(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("\n \n")
    said = _refused(_serve(NETADVISOR_API_TOKENS_FILE=str(tokens)), "NETADVISOR_API_TOKENS_FILE")
    assert "holds no token" in said


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan"])
def test_a_bad_token_reload_interval_is_named(tmp_path: Path, value: str) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("a-token-long-enough-1234\n")
    done = _serve(
        NETADVISOR_API_TOKENS_FILE=str(tokens), NETADVISOR_API_TOKENS_RELOAD_SECONDS=value
    )
    _refused(done, "NETADVISOR_API_TOKENS_RELOAD_SECONDS=", "from 1 to 86400")


def test_a_pricing_file_setting_that_names_no_file_is_named(tmp_path: Path) -> None:
    # The file "5" does not exist.
    done = _serve(NETADVISOR_PRICING_FILE="5")
    _refused(done, "5: cannot read the pricing file", "NETADVISOR_PRICING_FILE")


def test_the_app_factory_reads_a_numeric_pricing_file_setting(tmp_path: Path) -> None:
    code = "from service.serving import create_app; create_app()"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(NETADVISOR_PRICING_FILE="5"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "TypeError" not in done.stderr
    assert "cannot read the pricing file" in done.stderr


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "prices:\n  lb_month_low: .nan\n",
            "line 2: cannot read the pricing file: .nan is not",
        ),
        (
            "prices:\n  lb_month_low: .inf\n",
            "line 2: cannot read the pricing file: .inf is not",
        ),
        ("prices:\n  lb_month_low: 1\n  lb_month_low: 2\n", "duplicate key 'lb_month_low'"),
        ("prices:\n  lb_month_low: &p 1\n  lb_month_high: *p\n", "anchors"),
        ("prices:\n  lb_month_low: !!float 1\n", "tags"),
        ("prices: {lb_month_low: 18446744073709551615}\n", "over the limit"),
        ("trees: [example]\n", "trees: expected a mapping"),
    ],
)
def test_a_bad_pricing_file_is_refused_by_check(tmp_path: Path, text: str, words: str) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(text)
    _refused(_check("--pricing-file", str(prices)), "prices.yaml", words)


def test_a_huge_pricing_file_is_refused_quickly(tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    with prices.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    started = time.perf_counter()
    done = _check("--pricing-file", str(prices))
    _refused(done, "the limit is 524288 bytes")
    assert time.perf_counter() - started < 10  # the process start; the refusal is instant


def _overlay(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text()
    assert old in text
    (tmp_path / "overlay" / "example").mkdir(parents=True)
    (tmp_path / "overlay" / "example" / "1.0.0.yaml").write_text(text.replace(old, new))
    return tmp_path / "overlay"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("as_of: 2026-11-27", "as_of: 2026-13-45", "1.0.0.yaml: as_of: '2026-13-45' is not a date"),
        ("    max: 10000\n", "    max: " + "9" * 5000 + "\n", "line 38: 999999999999..."),
        ("    max: 10000\n", "    max: 18446744073709551615\n", "is over the limit"),
        ("title: Expose a service\n", "title: a\ntitle: b\n", "line 4: duplicate key 'title'"),
        (
            "    format: version              # a string compared as a version: 5.10 > 5.9\n"
            '    default: "6.1"\n',
            "    pattern: '(a+)+$'\n    default: aa\n",
            "the pattern of question 'kernel' is refused",
        ),
    ],
)
def test_a_bad_overlay_is_refused_by_check(tmp_path: Path, old: str, new: str, words: str) -> None:
    _refused(_check("--overlay", str(_overlay(tmp_path, old, new))), words)


def test_an_unreadable_overlay_directory_is_refused_by_check() -> None:
    # Not under tmp_path: pytest makes that 0700 for root, so nobody could not reach it.
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"netadvisor-unreadable-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    (base / "example").mkdir(parents=True)
    try:
        shutil.copy(EXAMPLE, base / "example" / "1.0.0.yaml")
        base.chmod(0o755)
        (base / "example").chmod(0)
        user = 65534 if os.geteuid() == 0 else None  # root reads everything: run as nobody
        _refused(_check("--overlay", str(base), user=user), "cannot list the directory")
    finally:
        (base / "example").chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("6.1.109-118.189.amzn2023.x86_64", (6, 1, 109)),
        ("5.15.0-1057-aws", (5, 15, 0)),
        ("4.18.0-553.el8_10.x86_64", (4, 18, 0)),
        ("5.10", (5, 10, 0)),
        ("\uff15.10", None),  # full-width 5
        ("5.\u0661\u0660", None),  # Arabic-Indic 10
        ("5.10-rc1", None),
        ("5.10.0 and more", None),
    ],
)
def test_version_answers_take_kernel_strings_and_only_ascii_digits(
    text: str, version: tuple[int, int, int] | None
) -> None:
    assert parse_version(text) == version


def _kernel_catalog(tmp_path: Path) -> Catalog:
    text = (
        EXAMPLE.read_text()
        .replace("        next: internal\n", "        next: kernel-check\n", 1)
        .replace(
            "  internal:\n",
            "  kernel-check:\n    question: kernel\n    branches:\n"
            '      - when: "< 5.10"\n        reason: old\n        next: internal\n'
            '      - when: ">= 5.10"\n        reason: new\n        next: internal\n'
            "  internal:\n",
        )
    )
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "1.0.0.yaml").write_text(text)
    return Catalog.load(tmp_path)


def test_kernel_strings_branch_numerically_and_unicode_digits_are_refused(
    tmp_path: Path,
) -> None:
    catalog = _kernel_catalog(tmp_path)
    node = catalog.get("example").nodes["kernel-check"]
    assert isinstance(node, QuestionNode)
    question = node.question
    for answer, label in [
        ("6.1.109-118.189.amzn2023.x86_64", ">= 5.10"),
        ("5.15.0-1057-aws", ">= 5.10"),
        ("4.18.0-553.el8_10.x86_64", "< 5.10"),
        ("5.9", "< 5.10"),
    ]:
        assert node.select(question.coerce(answer)).label == label
    catalog.evaluate("example", {"external": False, "kernel": "5.15.0-1057-aws"})
    with pytest.raises(InvalidAnswers, match="is not a version"):
        catalog.evaluate("example", {"external": False, "kernel": "\uff15.10"})


def test_integer_answers_without_a_max_are_capped(tmp_path: Path) -> None:
    (tmp_path / "example").mkdir()
    text = EXAMPLE.read_text().replace("    max: 10000\n", "")
    (tmp_path / "example" / "1.0.0.yaml").write_text(text)
    catalog = Catalog.load(tmp_path)
    answers = {"external": True, "protocol": "tcp"}
    catalog.evaluate("example", {**answers, "services": MAX_INTEGER_ANSWER})
    with pytest.raises(InvalidAnswers, match=f"above the maximum of {MAX_INTEGER_ANSWER}"):
        catalog.evaluate("example", {**answers, "services": 18446744073709551615})

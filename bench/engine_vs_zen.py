"""Engine speed: our complete CNI evaluation with to_dict() vs zen-engine's decision table.

Both engines get the same answer sets (one per path through the tree, so every leaf and
rule is hit) in the same process; the measurements alternate between them, round after
round, and the per-call medians over the rounds are compared.

    python -m bench.engine_vs_zen            # full run, writes bench/results/engine_vs_zen.*
    python -m bench.engine_vs_zen --smoke    # seconds; proves the script works
    python -m bench.engine_vs_zen --profile  # also a pyinstrument profile of our call
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import zen

from bench import common
from bench.jdm import decision_table, path_answers, probe_answers
from service.engine import Catalog

TARGET_US = 20.0
TARGET_RATIO = 20.0


def _timed(
    fn: Callable[[dict[str, object]], object], answer_sets: Sequence[dict[str, object]], calls: int
) -> float:
    """Mean microseconds per call over `calls` calls cycling through the answer sets."""
    n = len(answer_sets)
    batch = [answer_sets[i % n] for i in range(calls)]
    start = time.perf_counter_ns()
    for answers in batch:
        fn(answers)
    return (time.perf_counter_ns() - start) / calls / 1000


def contestants(
    catalog: Catalog, tree_id: str
) -> tuple[dict[str, Callable[[dict[str, object]], object]], dict[str, Any]]:
    """The calls measured, by name, and the table zen evaluates."""
    tree = catalog.get(tree_id)
    jdm = decision_table(tree)
    decision = zen.ZenEngine().create_decision(json.dumps(jdm))
    trace = {"trace": True}
    evaluate = catalog.evaluate

    def ours(answers: dict[str, object]) -> object:
        return evaluate(tree_id, answers).to_dict()

    def ours_json(answers: dict[str, object]) -> object:
        return orjson.dumps(evaluate(tree_id, answers).to_dict())

    def ours_no_dict(answers: dict[str, object]) -> object:
        return evaluate(tree_id, answers)

    def zen_trace(answers: dict[str, object]) -> object:
        return decision.evaluate(answers, trace)

    def zen_plain(answers: dict[str, object]) -> object:
        return decision.evaluate(answers)

    return {
        "ours: evaluate + to_dict": ours,
        "zen: decision table, trace on": zen_trace,
        "ours: evaluate only": ours_no_dict,
        "ours: evaluate + to_dict + orjson": ours_json,
        "zen: decision table, trace off": zen_plain,
    }, jdm


def check_equivalent(
    catalog: Catalog,
    tree_id: str,
    jdm: dict[str, Any],
    answer_sets: Sequence[tuple[dict[str, object], str]],
) -> int:
    """Both engines reach the same recommendation on every path and on complete answers over
    the whole domain, or the figures mean nothing. Returns how many answer sets agreed."""
    decision = zen.ZenEngine().create_decision(json.dumps(jdm))
    tree = catalog.get(tree_id)
    checks: list[tuple[dict[str, object], str | None]] = list(answer_sets)
    checks += [(a, None) for a in probe_answers(tree)]
    for answers, expected in checks:
        ours = catalog.evaluate(tree_id, answers).recommendation_id
        theirs = decision.evaluate(answers, {"trace": True})["result"].get("recommendation")
        if ours != theirs or (expected is not None and ours != expected):
            raise SystemExit(
                f"engines disagree on {answers}: ours {ours}, zen {theirs}, "
                f"path leads to {expected}"
            )
    return len(checks)


def profile(
    catalog: Catalog,
    tree_id: str,
    answer_sets: Sequence[dict[str, object]],
    calls: int,
    out: Path | None,
) -> str:
    """Where our evaluation spends its time, by function (pyinstrument, 10 us sampling)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.00001)
    profiler.start()
    for i in range(calls):
        catalog.evaluate(tree_id, answer_sets[i % len(answer_sets)]).to_dict()
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    if out is not None:
        (out / "engine_profile.txt").write_text(text)
    return text


def run(args: Any) -> dict[str, Any]:
    catalog = Catalog.load(args.trees)
    tree = catalog.get(args.tree)
    sets = path_answers(tree)
    fns, jdm = contestants(catalog, args.tree)
    agreed = check_equivalent(catalog, args.tree, jdm, sets)
    answer_sets = [a for a, _ in sets]
    rounds, calls = (3, 300) if args.smoke else (args.rounds, args.calls)
    names = list(fns)
    for name in names:  # warm caches and zen's lazy compilation before measuring
        _timed(fns[name], answer_sets, max(calls // 10, 20))
    per_round: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            gc.collect()
            per_round[name].append(_timed(fns[name], answer_sets, calls))
    stats = {n: common.summary(v) for n, v in per_round.items()}
    ours = stats["ours: evaluate + to_dict"]["median"]
    zen_trace = stats["zen: decision table, trace on"]["median"]
    ratio = zen_trace / ours
    # The ratio per round too: both sides of one round ran under the same machine load.
    round_ratios = [
        z / o
        for z, o in zip(
            per_round["zen: decision table, trace on"],
            per_round["ours: evaluate + to_dict"],
            strict=True,
        )
    ]
    return {
        "benchmark": "engine_vs_zen",
        "smoke": bool(args.smoke),
        "machine": common.machine(),
        "tree": {
            "id": tree.id,
            "version": tree.version,
            "digest": tree.digest,
            "questions": list(tree.questions),
            "paths": len(sets),
        },
        "zen_engine": _zen_version(),
        "zen_table_rules": len(jdm["nodes"][1]["content"]["rules"]),
        "answer_sets_both_engines_agreed_on": agreed,
        "rounds": rounds,
        "calls_per_round": calls,
        "us_per_call": stats,
        "ratio_zen_trace_over_ours": ratio,
        "ratio_per_round": common.summary(round_ratios),
        "targets": {"ours_median_us_below": TARGET_US, "ratio_at_least": TARGET_RATIO},
        "met": {"ours_below_20us": ours < TARGET_US, "ratio_at_least_20": ratio >= TARGET_RATIO},
    }


def _zen_version() -> str:
    from importlib.metadata import version

    return version("zen-engine")


def markdown(data: dict[str, Any]) -> str:
    tree = data["tree"]
    rows = [
        (name, f"{s['median']:.2f}", f"{s['min']:.2f}", f"{s['max']:.2f}")
        for name, s in data["us_per_call"].items()
    ]
    met = data["met"]
    lines = [
        f"### Engine: `{tree['id']}` {tree['version']} vs zen-engine {data['zen_engine']}",
        "",
        f"{data['machine']['date']}, {data['machine']['cpu']}, "
        f"{data['machine']['usable_cores']} usable cores, Python {data['machine']['python']}; "
        f"{data['rounds']} alternated rounds x {data['calls_per_round']} calls, cycling through "
        f"{tree['paths']} answer sets (one per path; zen's table has {data['zen_table_rules']} "
        "rules, first hit).",
        "",
        common.table(("call", "median us/call", "min", "max"), rows),
        "",
        f"- zen with trace / ours: **{data['ratio_zen_trace_over_ours']:.1f}x** "
        f"(per-round ratios {data['ratio_per_round']['min']:.1f}x to "
        f"{data['ratio_per_round']['max']:.1f}x); goal >= {TARGET_RATIO:.0f}x: "
        f"{'met' if met['ratio_at_least_20'] else 'MISSED'}",
        f"- ours per complete evaluation incl. to_dict: "
        f"**{data['us_per_call']['ours: evaluate + to_dict']['median']:.2f} us**; "
        f"goal < {TARGET_US:.0f} us: {'met' if met['ours_below_20us'] else 'MISSED'}",
    ]
    if data["smoke"]:
        lines.append("- smoke run: too short for the figures to mean anything")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--trees", type=Path, default=None, help="tree directory (default: bundled)")
    p.add_argument("--tree", default="cni")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--calls", type=int, default=5000, help="calls per contestant per round")
    p.add_argument(
        "--profile", action="store_true", help="also profile our evaluation with pyinstrument"
    )
    args = p.parse_args(argv)
    out = common.out_dir(args)
    data = run(args)
    common.write_results(out, "engine_vs_zen", data, markdown(data))
    if args.profile:
        sets = [a for a, _ in path_answers(Catalog.load(args.trees).get(args.tree))]
        print(
            profile(Catalog.load(args.trees), args.tree, sets, 2000 if args.smoke else 200_000, out)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

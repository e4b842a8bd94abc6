"""Scale: load-and-check time, memory and evaluation time of generated trees of 10 to 10,000
nodes, evaluation time against path length, and 1,000 trees loaded at once; plotted to PNG.

    python -m bench.scale           # full run, writes bench/results/scale.* and scale_*.png
    python -m bench.scale --smoke   # seconds; proves the script works
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import common, gentree
from service.engine import (
    MAX_FILE_BYTES,
    Catalog,
    compile_tree,
    read_tree_file,
    set_max_file_bytes,
)

SIZES = (10, 30, 100, 300, 1000, 3000, 10000)
COMB_LENGTH = 200
PATH_LENGTHS = (1, 2, 5, 10, 20, 50, 100, 200)
MANY = 1000
MANY_NODES = 63
PRODUCTION_CAP = MAX_FILE_BYTES


def _load_time(directory: Path, budget: float) -> float:
    """Median seconds of Catalog.load over up to 5 loads within `budget` seconds."""
    times: list[float] = []
    spent = 0.0
    while len(times) < 5 and (not times or spent < budget):
        gc.collect()
        start = time.perf_counter()
        Catalog.load(directory)
        took = time.perf_counter() - start
        times.append(took)
        spent += took
    return statistics.median(times)


def _parse_time(path: Path, budget: float) -> tuple[float, float]:
    """Median seconds to read and parse the YAML, and to compile and check it, for one file."""
    parse: list[float] = []
    build: list[float] = []
    while len(parse) < 3 and (not parse or sum(parse) + sum(build) < budget):
        start = time.perf_counter()
        raw = read_tree_file(path)
        parsed = time.perf_counter()
        compile_tree(raw, str(path))
        parse.append(parsed - start)
        build.append(time.perf_counter() - parsed)
    return statistics.median(parse), statistics.median(build)


def _retained(directory: Path) -> tuple[int, int, Catalog]:
    """Bytes still allocated once the catalog is built (what serving keeps), and the peak."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    catalog = Catalog.load(directory)
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current - before, peak - before, catalog


def _eval_time(
    catalog: Catalog,
    tree_id: str,
    answer_sets: Sequence[dict[str, object]],
    rounds: int,
    calls: int,
    *,
    to_dict: bool = True,
) -> float:
    """Median over rounds of microseconds per evaluate + to_dict (or evaluate alone)."""
    evaluate = catalog.evaluate
    per_round = []
    for _ in range(rounds):
        batch = [answer_sets[i % len(answer_sets)] for i in range(calls)]
        start = time.perf_counter_ns()
        if to_dict:
            for answers in batch:
                evaluate(tree_id, answers).to_dict()
        else:
            for answers in batch:
                evaluate(tree_id, answers)
        per_round.append((time.perf_counter_ns() - start) / calls / 1000)
    return statistics.median(per_round)


def _answers(
    shape: str, tree: dict[str, Any], rng: random.Random, count: int
) -> list[dict[str, object]]:
    """Random complete paths: every level answered (both shapes ask every question on a path)."""
    out: list[dict[str, object]] = []
    for _ in range(count):
        if shape == "balanced":
            out.append({q["id"]: rng.random() < 0.5 for q in tree["questions"]})
        else:
            out.append({q["id"]: rng.choice(q["options"])["id"] for q in tree["questions"]})
    return out


def _shape_runs(
    work: Path, sizes: Sequence[int], rounds: int, calls: int, budget: float
) -> list[dict[str, Any]]:
    rng = random.Random(7)
    builders: dict[str, Callable[[str, int], dict[str, Any]]] = {
        "balanced": gentree.balanced,
        "wide": gentree.wide,
    }
    rows = []
    for shape, build in builders.items():
        for size in sizes:
            tree = build(f"{shape}-{size}", size)
            directory = work / f"{shape}-{size}"
            path = gentree.write(tree, directory)
            parse_s, compile_s = _parse_time(path, budget)
            load_s = _load_time(directory, budget)
            retained, peak, catalog = _retained(directory)
            sets = _answers(shape, tree, rng, 50)
            compiled = catalog.get(tree["id"])
            assert all(catalog.evaluate(tree["id"], a).complete for a in sets)
            rows.append(
                {
                    "shape": shape,
                    "nodes": gentree.node_count(tree),
                    "questions": len(tree["questions"]),
                    "path_length": len(tree["questions"]),
                    "file_bytes": path.stat().st_size,
                    "over_production_cap": path.stat().st_size > PRODUCTION_CAP,
                    "load_and_check_ms": load_s * 1000,
                    "yaml_parse_ms": parse_s * 1000,
                    "compile_and_check_ms": compile_s * 1000,
                    "retained_kib": retained / 1024,
                    "peak_kib": peak / 1024,
                    "eval_us": _eval_time(catalog, compiled.id, sets, rounds, calls),
                    "eval_only_us": _eval_time(
                        catalog, compiled.id, sets, rounds, calls, to_dict=False
                    ),
                    "what_if_entries": statistics.median(
                        len(catalog.evaluate(compiled.id, a).what_if()) for a in sets
                    ),
                }
            )
            print(
                f"  {shape:8s} {rows[-1]['nodes']:6d} nodes: load {load_s * 1000:9.1f} ms, "
                f"retained {retained / 1024:8.0f} KiB, eval {rows[-1]['eval_us']:6.2f} us"
            )
    return rows


def _comb_runs(
    work: Path, length: int, path_lengths: Sequence[int], rounds: int, calls: int
) -> list[dict[str, Any]]:
    tree = gentree.comb("comb", length)
    directory = work / "comb"
    gentree.write(tree, directory)
    catalog = Catalog.load(directory)
    rows = []
    for k in path_lengths:
        answers: dict[str, object] = {f"q{i}": False for i in range(k - 1)}
        answers[f"q{k - 1}"] = True
        result = catalog.evaluate("comb", answers)
        assert result.complete and len(result.steps) == k
        rows.append(
            {
                "path_length": k,
                "eval_us": _eval_time(catalog, "comb", [answers], rounds, calls),
                "eval_only_us": _eval_time(
                    catalog, "comb", [answers], rounds, calls, to_dict=False
                ),
            }
        )
    return rows


def _many(work: Path, count: int, rounds: int, calls: int) -> dict[str, Any]:
    """`count` trees of MANY_NODES nodes in one catalog vs the same tree alone."""
    directory = work / "many"
    for i in range(count):
        gentree.write(gentree.balanced(f"t{i:04d}", MANY_NODES), directory)
    gc.collect()
    start = time.perf_counter()
    Catalog.load(directory)
    load_s = time.perf_counter() - start
    retained, peak, catalog = _retained(directory)
    single_dir = work / "single"
    gentree.write(gentree.balanced("t0000", MANY_NODES), single_dir)
    single = Catalog.load(single_dir)
    tree = gentree.balanced("t0000", MANY_NODES)
    sets = _answers("balanced", tree, random.Random(3), 50)
    last = f"t{count - 1:04d}"
    return {
        "trees": count,
        "nodes_each": MANY_NODES,
        "load_and_check_s": load_s,
        "load_ms_per_tree": load_s * 1000 / count,
        "retained_mib": retained / 2**20,
        "retained_kib_per_tree": retained / 1024 / count,
        "peak_mib": peak / 2**20,
        "eval_us_in_big_catalog": _eval_time(catalog, last, sets, rounds, calls),
        "eval_us_alone": _eval_time(single, "t0000", sets, rounds, calls),
    }


def plot(data: dict[str, Any], out: Path) -> list[str]:
    """Three PNGs: load time, memory, evaluation time (against size and path length)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shapes = {
        "balanced": ("tab:blue", "balanced binary (path = log2 size)"),
        "wide": ("tab:orange", "wide enum, 3 levels (path = 3)"),
    }
    rows = data["shapes"]
    files = []

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for shape, (color, label) in shapes.items():
        pts = [r for r in rows if r["shape"] == shape]
        xs = [r["nodes"] for r in pts]
        ax.plot(
            xs,
            [r["load_and_check_ms"] for r in pts],
            "o-",
            color=color,
            label=f"{label}: load + check",
        )
        ax.plot(
            xs,
            [r["yaml_parse_ms"] for r in pts],
            "x--",
            color=color,
            alpha=0.6,
            label=f"{label}: YAML parse alone",
        )
    over = [r for r in rows if r["over_production_cap"]]
    if over:
        ax.scatter(
            [r["nodes"] for r in over],
            [r["load_and_check_ms"] for r in over],
            s=160,
            facecolors="none",
            edgecolors="red",
            label=f"file over the {PRODUCTION_CAP // 1024} KiB loader cap",
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="nodes in the tree",
        ylabel="ms (median)",
        title="Load and check one tree file",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "scale_load.png", dpi=110)
    plt.close(fig)
    files.append("scale_load.png")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for shape, (color, label) in shapes.items():
        pts = [r for r in rows if r["shape"] == shape]
        xs = [r["nodes"] for r in pts]
        ax.plot(xs, [r["retained_kib"] for r in pts], "o-", color=color, label=f"{label}: retained")
        ax.plot(
            xs,
            [r["peak_kib"] for r in pts],
            "x--",
            color=color,
            alpha=0.6,
            label=f"{label}: peak while loading",
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="nodes in the tree",
        ylabel="KiB (tracemalloc)",
        title="Memory of one loaded tree",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "scale_memory.png", dpi=110)
    plt.close(fig)
    files.append("scale_memory.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for shape, (color, label) in shapes.items():
        pts = [r for r in rows if r["shape"] == shape]
        left.plot(
            [r["nodes"] for r in pts],
            [r["eval_us"] for r in pts],
            "o-",
            color=color,
            label=f"{label}: evaluate + to_dict",
        )
        left.plot(
            [r["nodes"] for r in pts],
            [r["eval_only_us"] for r in pts],
            "x--",
            color=color,
            alpha=0.6,
            label=f"{label}: evaluate alone",
        )
    left.set(
        xscale="log",
        xlabel="nodes in the tree",
        ylabel="us per evaluate + to_dict",
        title="Evaluation vs tree size",
    )
    left.set_ylim(bottom=0)
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7)
    comb = data["comb"]
    right.plot(
        [r["path_length"] for r in comb],
        [r["eval_us"] for r in comb],
        "o-",
        color="tab:green",
        label=f"one {data['comb_nodes']}-node tree: evaluate + to_dict",
    )
    right.plot(
        [r["path_length"] for r in comb],
        [r["eval_only_us"] for r in comb],
        "x--",
        color="tab:green",
        alpha=0.6,
        label="evaluate alone",
    )
    right.set(
        xlabel="questions on the path",
        ylabel="us per evaluate + to_dict",
        title="Evaluation vs path length",
    )
    right.set_ylim(bottom=0)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "scale_eval.png", dpi=110)
    plt.close(fig)
    files.append("scale_eval.png")
    return files


def markdown(data: dict[str, Any]) -> str:
    rows = [
        (
            r["shape"],
            r["nodes"],
            r["path_length"],
            f"{r['file_bytes'] / 1024:.0f}" + (" (over cap)" if r["over_production_cap"] else ""),
            f"{r['load_and_check_ms']:.1f}",
            f"{r['yaml_parse_ms']:.1f}",
            f"{r['retained_kib']:.0f}",
            f"{r['eval_only_us']:.2f}",
            f"{r['eval_us']:.2f}",
            f"{r['what_if_entries']:g}",
        )
        for r in data["shapes"]
    ]
    comb = " / ".join(
        f"{r['path_length']}: {r['eval_only_us']:.1f}, {r['eval_us']:.1f}" for r in data["comb"]
    )
    many = data["many"]
    m = data["machine"]
    lines = [
        "### Scale",
        "",
        f"{m['date']}, {m['cpu']}, {m['usable_cores']} usable cores, Python {m['python']}. "
        f"Generated trees; the loader's {PRODUCTION_CAP // 1024} KiB file cap is lifted for the "
        "largest ones (marked).",
        "",
        common.table(
            (
                "shape",
                "nodes",
                "path",
                "file KiB",
                "load+check ms",
                "YAML parse ms",
                "retained KiB",
                "evaluate us",
                "+ to_dict us",
                "what_if entries",
            ),
            rows,
        ),
        "",
        f"- Evaluation vs path length on one {data['comb_nodes']}-node tree "
        f"(questions on the path: us for evaluate, for evaluate + to_dict): {comb}",
        f"- {many['trees']:,} trees of {many['nodes_each']} nodes in one catalog: loaded and "
        f"checked in {many['load_and_check_s']:.1f} s ({many['load_ms_per_tree']:.1f} ms per "
        f"tree), {many['retained_mib']:.1f} MiB retained ({many['retained_kib_per_tree']:.0f} "
        f"KiB per tree); evaluation {many['eval_us_in_big_catalog']:.2f} us there vs "
        f"{many['eval_us_alone']:.2f} us with the tree alone",
    ]
    if data["smoke"]:
        lines.append("- smoke run: too short for the figures to mean anything")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    out = common.out_dir(args)
    if args.smoke:
        sizes, lengths, comb_length, many, rounds, calls, budget = (
            (10, 100),
            (1, 5),
            5,
            20,
            2,
            200,
            0.2,
        )
    else:
        sizes, lengths, comb_length, many, rounds, calls, budget = (
            SIZES,
            PATH_LENGTHS,
            COMB_LENGTH,
            MANY,
            5,
            4000,
            5.0,
        )
    # The cap guards the service against hostile files; the benchmark wants big honest ones.
    set_max_file_bytes(64 * 2**20)
    with tempfile.TemporaryDirectory(prefix="netadvisor-scale-") as tmp:
        work = Path(tmp)
        data: dict[str, Any] = {
            "benchmark": "scale",
            "smoke": bool(args.smoke),
            "machine": common.machine(),
            "production_cap_bytes": PRODUCTION_CAP,
            "shapes": _shape_runs(work, sizes, rounds, calls, budget),
            "comb_nodes": 2 * comb_length + 1,
            "comb": _comb_runs(work, comb_length, lengths, rounds, calls),
            "many": _many(work, many, rounds, calls),
        }
    if out is not None:
        data["plots"] = plot(data, out)
    common.write_results(out, "scale", data, markdown(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

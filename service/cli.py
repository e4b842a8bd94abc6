"""The `netadvisor` command: check and test trees, evaluate one, or serve the API."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .commands import (
    cmd_ask,
    cmd_check,
    cmd_evaluate,
    cmd_facts,
    cmd_serve,
    cmd_sources,
    cmd_test,
)
from .engine import EngineError, TreeCheckError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netadvisor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def trees_options(p: argparse.ArgumentParser, positional: bool = True) -> None:
        if positional:
            p.add_argument(
                "trees",
                nargs="?",
                type=Path,
                default=None,
                help="directory of trees (default: the bundled trees)",
            )
        else:
            p.add_argument(
                "--trees",
                type=Path,
                default=None,
                help="directory of trees (default: the bundled trees)",
            )
        p.add_argument(
            "--overlay",
            type=Path,
            action="append",
            help="directory of trees layered over the others (repeatable)",
        )
        p.add_argument(
            "--pricing-file", type=Path, default=None, help="YAML file of deployment prices"
        )

    def facts_options(p: argparse.ArgumentParser, positional: bool = False) -> None:
        kwargs: dict[str, Any] = {
            "default": None,
            "metavar": "FILE",
            "help": "kubectl get ... -o json output, from a file or - for stdin",
        }
        if positional:
            p.add_argument("facts", nargs="?", **kwargs)
        else:
            p.add_argument("--facts", **kwargs)
        p.add_argument(
            "--kubectl",
            action="store_true",
            help="run read-only kubectl get with the current context instead",
        )
        p.add_argument(
            "--service",
            metavar="NAMESPACE/NAME",
            default=None,
            help="with --kubectl: also read this Service, its EndpointSlices and Pods",
        )
        p.add_argument("--error", default=None, help="the error text a user saw")

    p = sub.add_parser("check", help="load and check trees")
    trees_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("test", help="run the trees' own test cases with branch coverage")
    trees_options(p)
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("evaluate", help="evaluate one tree with answers")
    p.add_argument("tree", help="the tree id, e.g. cni (netadvisor check lists them)")
    p.add_argument(
        "--answer",
        "-a",
        action="append",
        default=[],
        metavar="ID=VALUE",
        help="one answer, e.g. -a network_policy=yes (repeatable)",
    )
    p.add_argument(
        "--price",
        action="append",
        default=[],
        metavar="NAME=USD",
        help="override one of the tree's prices for this evaluation (repeatable)",
    )
    p.add_argument("--version", default=None, help="pin a tree version (default: the current)")
    p.add_argument(
        "--format",
        choices=["json", "text", "markdown"],
        default="text",
        help="output: text for people, json as the API answers, markdown for chat",
    )
    p.add_argument(
        "--ask",
        choices=["required", "all"],
        default="required",
        help="all: stop at questions that have a default too, as a full interview does",
    )
    facts_options(p)
    trees_options(p, positional=False)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("ask", help="answer a tree's questions one at a time in the terminal")
    p.add_argument("tree", help="the tree id, e.g. cni (netadvisor check lists them)")
    p.add_argument("--version", default=None, help="pin a tree version (default: the current)")
    trees_options(p, positional=False)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("facts", help="derive answers from kubectl JSON and an error text")
    facts_options(p, positional=True)
    p.add_argument(
        "--format", choices=["text", "json"], default="text", help="output: text or json"
    )
    p.set_defaults(func=cmd_facts)

    p = sub.add_parser(
        "sources", help="list every figure and sourced claim of a tree version, with as_of"
    )
    p.add_argument("tree", nargs="?", default=None, help="the tree id (or --all)")
    p.add_argument("--all", action="store_true", help="every tree's default version")
    p.add_argument("--version", default=None, help="a version other than the default")
    p.add_argument(
        "--format", choices=["markdown", "json"], default="markdown", help="output format"
    )
    trees_options(p, positional=False)
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("serve", help="run the REST API under gunicorn")
    p.add_argument(
        "--host",
        default=os.environ.get("NETADVISOR_HOST", "127.0.0.1"),
        help="address to listen on (default 127.0.0.1, or NETADVISOR_HOST)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("NETADVISOR_PORT", "8000")),
        help="port to listen on (default 8000, or NETADVISOR_PORT)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn worker processes (default: from the CPU budget, or NETADVISOR_WORKERS)",
    )
    trees_options(p, positional=False)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`netadvisor ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except TreeCheckError as exc:
        print(f"netadvisor: {exc}", file=sys.stderr)
        return 1
    except EngineError as exc:
        print(f"netadvisor: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())

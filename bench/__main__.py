"""Run every benchmark in turn: `python -m bench [--smoke]` (each also runs on its own)."""

from __future__ import annotations

import sys

from bench import engine_vs_zen, facts_scale, http_vs_echo, scale, startup, wsgi_profile

ALL = (engine_vs_zen, wsgi_profile, http_vs_echo, startup, scale, facts_scale)


def main(argv: list[str]) -> int:
    for module in ALL:
        print(f"== {module.__name__}", flush=True)
        code = module.main(argv)
        if code:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

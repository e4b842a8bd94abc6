"""Batch: many evaluations in one call, in order; an item that cannot be evaluated fails alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from service.engine import EngineError, Result

from .bodies import load_batch
from .direct import JSON, DirectRoute, Headers
from .errors import problem_for
from .evaluate import decision_ids, run
from .io import read_body_with_facts
from .metrics import count_evaluations

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

RULE = "/v1/evaluations"


class Batch(DirectRoute):
    """`POST /v1/evaluations`: each item evaluated as evaluate would, in order."""

    rule = RULE
    __slots__ = ()

    def answer(self, environ: WSGIEnvironment, param: str) -> tuple[bytes, Headers]:
        config = self.config
        body = read_body_with_facts(environ, config.max_body_bytes, config.facts_max_bytes)
        items = load_batch(body, config.batch_max_items)
        snapshot = self.trees.current
        catalog, bodies, sink = snapshot.catalog, snapshot.bodies, config.decisions
        # Each evaluation's body goes in as the JSON it was encoded to (kept for reuse).
        results: list[dict[str, Any] | orjson.Fragment] = []
        evaluated: list[Result] = []
        reused = 0
        for (tree_id, version, request), decision_id in zip(
            items, decision_ids(len(items)), strict=True
        ):
            try:
                done = run(
                    catalog.get(tree_id, version), request, environ, sink, bodies, decision_id
                )
            except EngineError as exc:
                results.append({"problem": problem_for(exc)})
            else:
                results.append(orjson.Fragment(done.json()))
                evaluated.append(done.result)
                reused += done.reused
        count_evaluations(evaluated, reused=reused)
        return orjson.dumps({"results": results}), [("Content-Type", JSON)]

"""schemathesis against the app in process: every operation, positive and negative data,
every check, zero failures.

Two runs: the spec exactly as the app serves it, and the same spec narrowed to the ids the
loaded trees really have, so generated requests reach evaluations instead of stopping
at 404 (unknown tree) or 422 (unknown question).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from support.api import QUIET, spec_dict

from service.engine import Catalog
from service.serving import create_app

# Exhaustive or tool-driven: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow

# The bundled trees: the spec's examples are taken from them.
APP = create_app({"TESTING": True, **QUIET})

# Which answers fit depends on the tree named in the path, which a static schema cannot
# say: well-formed answers that a tree does not ask for are a 422, as the spec documents.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
# Invalid data may also be refused for its size before its shape is read (413, documented).
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]


def _config(mode: str, examples: int) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "generation": {"mode": mode, "max-examples": examples, "deterministic": True},
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ACCEPTED},
                "negative_data_rejection": {"expected-statuses": REJECTED},
            },
        }
    )


def _narrowed_spec() -> dict[str, Any]:
    catalog: Catalog = APP.extensions["netadvisor.trees"].current.catalog
    trees = [t for versions in catalog.versions_by_tree.values() for t in versions]
    spec = copy.deepcopy(spec_dict())
    components = spec["components"]
    components["parameters"]["TreeId"]["schema"] = {"enum": sorted(catalog.tree_ids)}
    components["parameters"]["Version"]["schema"] = {"enum": sorted({t.version for t in trees})}
    questions = sorted({q for t in trees for q in t.questions})
    components["schemas"]["Answers"]["propertyNames"] = {"enum": questions}
    prices = sorted({p for t in trees for p in t.pricing})
    components["schemas"]["Pricing"]["propertyNames"] = {"enum": prices}
    return spec


served = schemathesis.openapi.from_wsgi("/openapi.yaml", APP, config=_config("all", 60))
narrowed = schemathesis.openapi.from_dict(_narrowed_spec(), config=_config("positive", 60))
narrowed = narrowed.include(path_regex="^/v1/")
narrowed.app = APP

SETTINGS = settings(suppress_health_check=list(HealthCheck), deadline=None)


@served.parametrize()
@SETTINGS
def test_the_served_spec(case: schemathesis.Case) -> None:
    case.call_and_validate()


@narrowed.parametrize()
@SETTINGS
def test_real_tree_ids_and_questions(case: schemathesis.Case) -> None:
    case.call_and_validate(app=APP)

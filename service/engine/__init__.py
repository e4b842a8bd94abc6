"""The decision engine: load, check, compile and evaluate decision trees (no HTTP here)."""

from __future__ import annotations

from .audit import audit
from .catalog import Catalog, VersionOutcome, bundled_trees_dir, compare_versions
from .compiler import compile_tree
from .conditions import Version, format_version, parse_version
from .errors import (
    EngineError,
    InvalidAnswers,
    InvalidInput,
    InvalidPricing,
    Problem,
    TreeCheckError,
    UnknownTree,
    UnknownVersion,
)
from .evaluate import check_answers, evaluate_tree, parse_text_answers
from .kinds import MAX_INTEGER_ANSWER, VERSION_FORM, Kind, Option, whole_numbers
from .loader import MAX_FILE_BYTES, read_tree_file, set_max_file_bytes
from .model import Branch, Leaf, Node, Question, QuestionNode, Recommendation
from .result import Result, Step
from .templates import format_value
from .testing import TreeReport, run_tree_tests
from .tree import Tree

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_INTEGER_ANSWER",
    "VERSION_FORM",
    "Branch",
    "Catalog",
    "EngineError",
    "InvalidAnswers",
    "InvalidInput",
    "InvalidPricing",
    "Kind",
    "Leaf",
    "Node",
    "Option",
    "Problem",
    "Question",
    "QuestionNode",
    "Recommendation",
    "Result",
    "Step",
    "Tree",
    "TreeCheckError",
    "TreeReport",
    "UnknownTree",
    "UnknownVersion",
    "Version",
    "VersionOutcome",
    "audit",
    "bundled_trees_dir",
    "check_answers",
    "compare_versions",
    "compile_tree",
    "evaluate_tree",
    "format_value",
    "format_version",
    "parse_text_answers",
    "parse_version",
    "read_tree_file",
    "run_tree_tests",
    "set_max_file_bytes",
    "whole_numbers",
]

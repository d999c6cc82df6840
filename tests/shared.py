"""The one way tests reach ../shared (corpus, GitHub's descriptions, payloads).

CI always has ../shared beside the checkout; a machine with only the project
does not, and the tests that need it skip saying why.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ACTIONBOT_SHARED", ROOT.parent / "shared")).resolve()

Parser = Callable[[str, str], dict[str, Any]]  # (notes file, OWNER/NAME) -> `actionbot parse --format json`


def shared_path(*parts: str) -> Path:
    """Path inside ../shared, or skip the calling test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs ../shared beside the checkout (CI has it)")
    return path


def has_shared(*parts: str) -> bool:
    return SHARED.joinpath(*parts).exists()


@functools.cache
def score_module() -> ModuleType:
    """../shared/corpus/score.py as a module (its repositories, its scoring), loaded once."""
    path = shared_path("corpus", "score.py")
    spec = importlib.util.spec_from_file_location("actionbot_corpus_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score(parse: Parser, *argv: str) -> tuple[dict[str, float], str]:
    """score.py's figures (its last line) with `parse` as the parser, in this process.

    score.py runs `actionbot parse --format json` once per file as a process;
    `parse` gives the same JSON without a process start per file. Everything
    else (matching items to labels, the metrics) is score.py's own code.
    """
    module: Any = score_module()  # score.py, typed by nobody

    def run_parser(cmd: list[str], checkout: str, path: str, repo: str) -> dict[str, Any]:
        try:
            return parse(path, repo)
        except Exception as exc:  # score.py counts a parser failure as an error of that file
            return {"error": f"{type(exc).__name__}: {exc}"}

    out = io.StringIO()
    saved = module.run_parser, sys.argv
    module.run_parser, sys.argv = run_parser, [str(module.__file__), "--checkout", str(ROOT), *argv]
    try:
        with contextlib.redirect_stdout(out):
            assert module.main() == 0, out.getvalue()
    finally:
        module.run_parser, sys.argv = saved
    last = out.getvalue().strip().splitlines()[-1]
    return {k: float(v) for k, v in (kv.split("=") for kv in last.split())}, last

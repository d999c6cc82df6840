"""The one way tests reach ../shared (corpus, GitHub's descriptions, payloads).

CI always has ../shared beside the checkout; a machine with only the project
does not, and the tests that need it skip saying why.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ACTIONBOT_SHARED", ROOT.parent / "shared")).resolve()


def shared_path(*parts: str) -> Path:
    """Path inside ../shared, or skip the calling test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs ../shared beside the checkout (CI has it)")
    return path


def has_shared(*parts: str) -> bool:
    return SHARED.joinpath(*parts).exists()

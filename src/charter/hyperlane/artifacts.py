"""Hyperlane's contracts, as `tools/hyperlane_artifacts.py` extracted them at setup.

They come only from the pinned `@hyperlane-xyz/core` npm package (nothing of
Hyperlane's is committed): ``.build/hyperlane/<Name>.json`` in the checkout,
or the directory named by ``CHARTER_HYPERLANE_ARTIFACTS``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from ..exceptions import CharterError

_CHECKOUT = Path(__file__).resolve().parents[3] / ".build" / "hyperlane"


class HyperlaneArtifactsMissing(CharterError):
    """Hyperlane's contracts were not extracted (run `make setup`)."""


def artifacts_dir() -> Path:
    return Path(os.environ.get("CHARTER_HYPERLANE_ARTIFACTS") or _CHECKOUT)


@cache
def artifact(name: str) -> dict[str, Any]:
    """{"abi", "bytecode", "version", "source"} of Hyperlane's contract `name`."""
    path = artifacts_dir() / f"{name}.json"
    if not path.exists():
        raise HyperlaneArtifactsMissing(
            f"Hyperlane's {name} is not in {path.parent}: run `make setup` (it installs @hyperlane-xyz/core from "
            "npm and extracts its contracts), or point CHARTER_HYPERLANE_ARTIFACTS at the extracted folder"
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


__all__ = ["HyperlaneArtifactsMissing", "artifact", "artifacts_dir"]

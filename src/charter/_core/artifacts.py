"""Contract artifacts (ABI and init code) shipped as package data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from hexbytes import HexBytes

from ..exceptions import CharterError


@cache
def load_artifact(name: str) -> dict[str, Any]:
    """The artifact of contract `name`: ``{"abi": [...], "bytecode": "0x..."}``."""
    try:
        text = resources.files("charter").joinpath("abi").joinpath(f"{name}.json").read_text()
    except FileNotFoundError:
        raise CharterError(
            f"no artifact for contract {name!r} in the charter package; "
            "reinstall charter or run `make artifacts` in a checkout"
        ) from None
    artifact: dict[str, Any] = json.loads(text)
    return artifact


def abi(name: str) -> list[dict[str, Any]]:
    """The ABI of contract `name`."""
    result: list[dict[str, Any]] = load_artifact(name)["abi"]
    return result


def init_code(name: str) -> HexBytes:
    """The creation bytecode of contract `name`, without constructor arguments."""
    return HexBytes(load_artifact(name)["bytecode"])

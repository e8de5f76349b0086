"""The SDK's layers import downwards only; the base (``charter._core``) imports no layer.

Static checks over the AST of every module of ``src/charter`` (imports inside
functions and ``TYPE_CHECKING`` blocks included, and ``import_module`` /
``__import__`` calls with a literal name), then the registries that replace
the imports the base used to make: each layer registers its revert table into
``charter._core.revert``, ape support its signer adapter into
``charter._core.signers``, and both work whichever module is imported first.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from charter._core import revert
from charter._core.revert import RevertContext, map_revert, register_reverts, registered_layers
from charter.exceptions import ContractRevert, OrderExists, OutOfScope, Unauthorized, UnknownAgent

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "charter"

BASE = ("_core", "exceptions")
"""What ``charter._core`` may import of the package: itself and the exceptions."""

RANKS: dict[str, int] = {
    # the base: plumbing and errors
    "_core": 0,
    "exceptions": 0,
    "deployments": 0,  # the public face of _core.deployments (package data)
    # the protocol layers, each above the ones it builds on
    "registry": 1,
    "accounts": 2,
    "sessions": 3,  # grants execute through accounts
    "intents": 4,  # orders opened through accounts and sessions
    "hyperlane": 5,  # settles intents over Hyperlane
    "trust": 5,  # ERC-8004 reputation and validation; feedback backed by settled intents
    "client": 6,  # Charter: the protocol layers of one chain, together
    "processes": 7,  # relayer, solver, their store and loop: drive intents and hyperlane
    # the edges
    "agents": 8,  # charter mcp and paid APIs: the SDK for agent runtimes
    "cli": 8,
    "console": 8,  # charter console: the principal's web application
    "ape_extras": 8,
    "devchain": 8,
    "demo": 8,
    "demo_intents": 8,
    "demo_agents": 8,
    # the package itself: the public names, and the imports that register the layers
    "": 9,
}
"""A module may import modules of its own rank or lower, never higher."""

ALLOWED_UP = {("cli", "", "__version__")}
"""Upward imports that are no dependency: the CLI prints the package's version."""


def _modules() -> dict[str, Path]:
    """Every module of the package, by dotted name (packages by their own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str | None, int]]:
    """``(imported module, name taken from it or None, line)`` for every import in `path`, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, str | None, int]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if submodule in MODULES:  # `from . import errors`: the submodule itself
                    found.append((submodule, None, node.lineno))
                else:
                    found.append((module, alias.name, node.lineno))
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append((first.value, None, node.lineno))
    return [(module, what, line) for module, what, line in found if module.split(".")[0] == "charter"]


def _layer(module: str) -> str:
    """The layer of a module of the package: its first name under ``charter`` ("" for the package)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_has_a_layer() -> None:
    unknown = sorted({_layer(name) for name in MODULES} - RANKS.keys())
    assert not unknown, f"modules of no known layer: {unknown}; give them a rank in RANKS"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if _layer(name) == "_core"))
def test_the_base_imports_no_layer(name: str) -> None:
    wrong = [f"line {line}: {module}" for module, _, line in _imports(name, MODULES[name])
             if _layer(module) not in BASE]
    assert not wrong, f"{name} imports a layer (register into _core from the layer instead): {wrong}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_layer_imports_a_higher_one(name: str) -> None:
    layer = _layer(name)
    wrong = [
        f"line {line}: {module} ({_layer(module) or 'charter'}, rank {RANKS[_layer(module)]})"
        for module, what, line in _imports(name, MODULES[name])
        if RANKS[_layer(module)] > RANKS[layer] and (layer, _layer(module), what) not in ALLOWED_UP
    ]
    assert not wrong, f"{name} ({layer}, rank {RANKS[layer]}) imports a higher layer: {wrong}"


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The check itself: an import in a function, a relative one and an import_module call are all seen."""
    source = tmp_path / "revert.py"
    source.write_text(
        "from importlib import import_module\n"
        "def _layers():\n"
        "    from ..sessions import errors\n"
        "    import charter.ape_extras\n"
        "    return import_module('charter.intents.errors')\n"
    )
    seen = {module for module, _, _ in _imports("charter._core.revert", source)}
    assert seen == {"charter.sessions.errors", "charter.ape_extras", "charter.intents.errors"}


# ---------------------------------------------------------------- what registers from above


LAYER_REASONS = {
    "registry": ("registry: unknown agent", "UnknownAgent"),
    "accounts": ("account: not the owner", "Unauthorized"),
    "sessions": ("sessions: call 2 argument 1", "OutOfScope"),
    "intents": ("intents: order exists", "OrderExists"),
    "trust": ("reputation: receipt used", "ReceiptUsed"),
}

_PROBE = """
import json, sys
exec(sys.argv[1])
from charter._core.revert import map_revert, registered_layers
print(json.dumps({"layers": sorted(registered_layers()),
                  "mapped": {r: type(map_revert(r)).__name__ for r in json.loads(sys.argv[2])}}))
"""


@pytest.mark.parametrize(
    "first",
    [
        "from charter.sessions import Sessions",
        "from charter.registry.client import Registry",
        "import charter._core.revert",
        "from charter.exceptions import CharterError",
        "from charter.processes.store import Store",
    ],
)
def test_every_layer_maps_its_reverts_whichever_module_is_imported_first(first: str) -> None:
    """In a fresh interpreter: importing one module alone registers every layer's reasons."""
    reasons = [reason for reason, _ in LAYER_REASONS.values()]
    out = subprocess.run([sys.executable, "-c", _PROBE, first, json.dumps(reasons)],
                         capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout)
    assert result["layers"] == sorted(LAYER_REASONS)
    assert result["mapped"] == {reason: cls for reason, cls in LAYER_REASONS.values()}


def test_layers_register_their_tables() -> None:
    assert set(registered_layers()) >= set(LAYER_REASONS)
    assert isinstance(map_revert("registry: unknown agent"), UnknownAgent)
    assert isinstance(map_revert("account: not the owner"), Unauthorized)
    assert isinstance(map_revert("intents: order exists", RevertContext(order_id="0x12")), OrderExists)
    error = map_revert("sessions: call 2 argument 1")
    assert isinstance(error, OutOfScope) and error.call == 2 and error.argument == 1
    assert revert.REVERTS is revert.reverts() and "sessions: expired" in revert.REVERTS


def test_register_reverts_adds_replaces_and_refuses_a_reason_of_another_layer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(revert, "_TABLES", dict(revert._TABLES))
    monkeypatch.setattr(revert, "_JOINED", None)

    def message(ctx: RevertContext) -> str:
        return "the widget refused; ask its owner"

    def numbered(reason: str, ctx: RevertContext) -> ContractRevert | None:
        return Unauthorized("widget call refused; try another", reason) if reason.startswith("widget: call ") else None

    assert type(map_revert("widget: refused")) is ContractRevert  # unknown until registered
    register_reverts("widget", {"widget: refused": (OutOfScope, message)}, [numbered])
    assert "widget" in registered_layers()
    assert isinstance(map_revert("widget: refused"), OutOfScope)
    assert isinstance(map_revert("widget: call 4"), Unauthorized)
    register_reverts("widget", {"widget: refused again": (OutOfScope, message)})  # a reload replaces
    assert type(map_revert("widget: refused")) is ContractRevert
    assert type(map_revert("widget: call 4")) is ContractRevert
    with pytest.raises(ValueError, match="'registry' already maps"):
        register_reverts("gadget", {"registry: unknown agent": (OutOfScope, message)})
    assert "gadget" not in registered_layers()

"""tools/test_groups.py: `make test`'s two side-by-side groups cover every test folder once."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("test_groups", ROOT / "tools" / "test_groups.py")
assert _spec is not None and _spec.loader is not None
groups = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(groups)


def _test_folders() -> set[str]:
    return {f"tests/{p.parent.relative_to(ROOT / 'tests').parts[0]}" for p in (ROOT / "tests").rglob("test_*.py")
            if p.parent != ROOT / "tests"}


def test_every_test_folder_is_in_exactly_one_group():
    boa, rest = groups.commands(["-p", "no:cacheprovider"])
    in_boa = {a for a in boa if a.startswith("tests/")}
    ignored = {rest[i + 1] for i, a in enumerate(rest) if a == "--ignore"}
    assert in_boa == set(groups.IN_PROCESS) and ignored == set(groups.IN_PROCESS) | {"tests/fork"}
    folders = _test_folders()
    assert set(groups.IN_PROCESS) <= folders and "tests/sdk" in folders and "tests/docs" in folders
    # the rest runs `tests` minus the ignored folders: each folder lands in one group, fork in its own run
    for folder in folders:
        assert (folder in in_boa) + (folder not in ignored) + (folder == "tests/fork") == 1, folder


def test_arguments_reach_both_groups():
    boa, rest = groups.commands(["-x", "-k", "grant"])
    assert boa[:2] == rest[:2] == ["ape", "test"]
    assert boa[-3:] == rest[-3:] == ["-x", "-k", "grant"]

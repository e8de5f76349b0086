"""`make docs`'s site builds (mkdocs --strict, offline) and its generated references match the code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from charter.cli import cli

from .docblocks import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import docs_hooks  # noqa: E402 - tools/ is no package


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return out


def _visible(group: click.Group, prefix: str) -> list[str]:
    names = []
    for name, command in group.commands.items():
        if command.hidden:
            continue
        names.append(f"{prefix}-{name}")
        if isinstance(command, click.Group):
            names += _visible(command, f"{prefix}-{name}")
    return names


def test_cli_reference_lists_every_visible_command(site: Path):
    html = (site / "reference" / "cli.html").read_text()
    headings = set(re.findall(r'<h[2-6] id="(charter[a-z-]*)"', html))
    expected = {"charter", *_visible(cli, "charter")}
    assert headings == expected
    assert "--valid-for" in html and "--token-budget" in html  # options are listed too


def test_gas_reference_shows_every_measure(site: Path):
    html = (site / "reference" / "gas.html").read_text()
    data = json.loads(docs_hooks.GAS_JSON.read_text())
    assert docs_hooks.GAS_MARKER not in html
    for name, gas in data["gas"].items():
        assert f"<code>{name}</code></td>\n<td style=\"text-align: right;\">{gas:,}</td>" in html, name


def test_gas_tables_mark_missed_targets():
    data = {"gas": {"a.op": 1200, "b.op": 50}, "targets": [
        {"check": "a.op", "limit": 1000, "measured": 1200, "met": False},
        {"check": "a.op - b.op", "limit": 2000, "measured": 1150, "met": True}],
        "sizes": {"X": {"runtime": 10, "init": 12, "margin": 24566}}, "relay": {"relay.fill_to_settled_s": 2.15}}
    tables = docs_hooks.gas_tables(data)
    assert "| `a.op` | 1,200 | ≤ 1,000 | **no** |" in tables
    assert "| `a.op - b.op` | 1,150 | ≤ 2,000 | yes |" in tables
    assert "| `a.op` | 1,200 | ≤ 1,000 |" in tables and "| `b.op` | 50 |  |" in tables
    assert "| `X` | 10 | 12 | 24,566 |" in tables and "| `relay.fill_to_settled_s` | 2.15 |" in tables


def test_sdk_reference_is_generated_from_docstrings(site: Path):
    html = (site / "reference" / "sdk.html").read_text()
    for name in ("charter.registry.client.Registry", "charter.sessions.builder.GrantBuilder",
                 "charter.processes.relayer.Relayer", "charter.devchain.local_anvil"):
        assert f'id="{name}"' in html, name
    assert "Start a fresh anvil on 127.0.0.1" in html  # a docstring, rendered
    assert not re.search(r":(class|meth|mod|data|func):<code>", html)  # Sphinx roles shown as plain code


def test_sphinx_roles_are_dropped():
    html = "Raises :class:<code>~charter.exceptions.NotDeployed</code>; see :meth:<code>Accounts.deploy</code>."
    assert docs_hooks.without_sphinx_roles(html) == "Raises <code>NotDeployed</code>; see <code>Accounts.deploy</code>."


def test_site_fetches_nothing(site: Path):
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page
        assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', text), page


def test_links_out_of_docs_become_paths():
    md = "[IAgentRegistry](../interfaces/IAgentRegistry.vyi), [sessions](sessions.md), [up](../sessions.md)"
    assert docs_hooks.outside_links_as_paths(md, "registry.md") == (
        "IAgentRegistry (`interfaces/IAgentRegistry.vyi`), [sessions](sessions.md), up (`sessions.md`)")
    assert docs_hooks.outside_links_as_paths("[up](../sessions.md)", "concepts/x.md") == "[up](../sessions.md)"

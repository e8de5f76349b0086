"""MkDocs hooks of the documentation site (``mkdocs.yml``: ``hooks: [tools/docs_hooks.py]``).

- The gas reference (``docs/reference/gas.md``) is generated at build time
  from ``benchmarks/results/gas.json``: the line ``<!-- charter:gas-tables -->``
  is replaced by its tables, so the page always shows the committed figures.
- The SDK's docstrings use Sphinx roles (``:class:`~charter.x.Y```); in the
  rendered reference the role's name is dropped and ``~`` keeps the last
  component, as Sphinx shows them.
- Links from a page to files of the repository outside ``docs/`` (contracts,
  interfaces, tests) cannot be pages of the site: they are shown as the
  file's path in code, so the strict build does not flag them and the reader
  still sees which file is meant.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GAS_JSON = ROOT / "benchmarks" / "results" / "gas.json"
GAS_MARKER = "<!-- charter:gas-tables -->"

_SPHINX_ROLE = re.compile(r":(?:class|meth|mod|data|func|attr|exc|obj):<code>(~?)([^<]+)</code>")
_OUTSIDE_LINK = re.compile(r"\[([^\]]+)\]\(((?:\.\./)+)([^)#\s]+)(#[^)\s]*)?\)")


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def gas_tables(data: dict[str, Any]) -> str:
    """The gas reference's tables (Markdown) from the parsed ``gas.json``.

    Three tables: the cost targets (``targets``: check, measured, limit, met),
    every measured operation (``gas``, with its target where a target checks
    that operation alone) and the contract sizes (``sizes``); the relayer's
    figures (``relay``) follow when present.
    """
    limits = {t["check"]: t for t in data.get("targets", [])}
    out: list[str] = []
    out += ["## Targets", "", "| check | measured | target | met |", "|---|---:|---:|:---:|"]
    for t in data.get("targets", []):
        out.append(f"| `{t['check']}` | {_number(t['measured'])} | ≤ {_number(t['limit'])} | "
                   f"{'yes' if t['met'] else '**no**'} |")
    out += ["", "## Operations", "", "Full transaction gas, as measured.", "",
            "| operation | gas | target |", "|---|---:|---:|"]
    for name, gas in sorted(data.get("gas", {}).items()):
        target = limits.get(name)
        out.append(f"| `{name}` | {_number(gas)} | {'≤ ' + _number(target['limit']) if target else ''} |")
    sizes = data.get("sizes", {})
    if sizes:
        out += ["", "## Contract sizes", "", "Bytes; the margin is what is left under EIP-170's 24,576-byte limit.",
                "", "| contract | runtime | init code | margin |", "|---|---:|---:|---:|"]
        for name, size in sorted(sizes.items()):
            out.append(f"| `{name}` | {_number(size['runtime'])} | {_number(size['init'])} | "
                       f"{_number(size['margin'])} |")
    relay = data.get("relay", {})
    if relay:
        out += ["", "## Relayer", "", "| measure | value |", "|---|---:|"]
        out += [f"| `{name}` | {_number(value)} |" for name, value in sorted(relay.items())]
    return "\n".join(out) + "\n"


def outside_links_as_paths(markdown: str, page_src: str) -> str:
    """Links that climb out of ``docs/`` become the repository path in code (``contracts/X.vy``)."""

    def replace(match: re.Match[str]) -> str:
        text, ups, target = match.group(1), match.group(2), match.group(3)
        path = posixpath.normpath(posixpath.join("docs", posixpath.dirname(page_src), ups + target))
        if path.startswith("docs/") or path.startswith(".."):
            return match.group(0)  # a page of the site (or not in the repository: left to the build)
        return text if text.strip("`") == path else f"{text} (`{path}`)"

    return _OUTSIDE_LINK.sub(replace, markdown)


def without_sphinx_roles(html: str) -> str:
    """``:class:<code>~a.b.C</code>`` as rendered from a docstring becomes ``<code>C</code>``."""
    return _SPHINX_ROLE.sub(lambda m: f"<code>{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}</code>",
                            html)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any, **kwargs: Any) -> str:
    if page.file.src_uri == "reference/gas.md":
        if GAS_MARKER not in markdown:
            raise ValueError(f"docs/reference/gas.md lost its {GAS_MARKER} line")
        markdown = markdown.replace(GAS_MARKER, gas_tables(json.loads(GAS_JSON.read_text())))
    return outside_links_as_paths(markdown, page.file.src_uri)


def on_page_content(html: str, page: Any, config: Any, files: Any, **kwargs: Any) -> str:
    return without_sphinx_roles(html)

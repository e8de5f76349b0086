"""docs/trust.md's "From the command line" runs as written: its blocks, extracted with the page's
other sections left out, run against a fresh anvil (the convention of ``docblocks.py``)."""

from __future__ import annotations

import re
from pathlib import Path

from .docblocks import ROOT, Run, run_document

SECTION = "## From the command line"


def test_trust_page_command_line_runs_as_written(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "trust.md").read_text()
    start = text.index(SECTION)
    end = re.compile(r"^## ", re.MULTILINE).search(text, start + len(SECTION))
    page = tmp_path / "trust-cli.md"
    page.write_text(text[start:end.start() if end else len(text)])
    work = tmp_path / "work"
    work.mkdir()

    def check(run: Run) -> None:
        assert run.bash >= 4 and run.substitutions >= 1
        out = "".join(run.output)
        assert "recorded the order's receipt first" in out and "receipt-backed feedback 92.5 on agent 2" in out
        assert "receipt-backed feedback 80 on agent 1" in out and "refused with exit code 3" in out
        assert "settled volume │ 1,000,000,000,000,000 native" in out
        assert "revoked ERC-8004 feedback 1" in out and "answered request" in out
        assert "charter:fill:31337:0x" in out

    run_document(page, work, check)

"""The ABI + init code shipped in src/charter/abi are exactly what contracts/
compiles to; otherwise the SDK would deploy (and compute CREATE2 addresses
for) bytes that differ from the reviewed source."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_artifacts_match_the_sources():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_artifacts.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

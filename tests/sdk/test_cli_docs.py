"""docs/cli.md's worked example runs as written: its ```bash blocks, in order, in one shell, against anvil."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from eth_typing import ChecksumAddress

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "cli.md"


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def test_the_worked_example_runs_as_written(
    rpc_url: str, manifest_path: Path, registry_address: ChecksumAddress, tmp_path: Path
) -> None:
    blocks = bash_blocks(DOC.read_text())
    assert len(blocks) >= 7  # set-up, agent, account, grant, session, revocation, intent
    script = "set -euo pipefail\n" + "\n".join(blocks)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "CHARTER_RPC": rpc_url,
        "CHARTER_MANIFEST": str(manifest_path),
    })
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    assert "error:" not in done.stderr and "Traceback" not in done.stderr
    out = done.stdout
    assert "is now a Charter account (EIP-7702)" in out
    assert "send ETH to 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC, up to 5,000 wei per call" in out
    assert "relayed 1 call(s)" in out and "renounced by its session key" in out
    last = json.loads(out[out.rindex("\n{") + 1 :])  # the last command: intent status order.json --json
    assert last["status"] == "SETTLED"
    for name in ("grant.json", "request.json", "second.json", "order.json"):
        assert (tmp_path / name).is_file(), name

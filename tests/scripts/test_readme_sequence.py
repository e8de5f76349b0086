"""The two local-node modes of docs/ape.md.

The README's ape sequence (its ```bash block under "With ape") is the
persistent mode: tests/docs/test_code_blocks.py runs it as written, one
`ape run` process per line against one anvil, state surviving from each
command to the next. Here: that block is the persistent mode (it exports
APE_FOUNDRY_HOST and every line runs on the local network), and the one-shot
mode really starts and stops an anvil per `ape run`.
"""

from __future__ import annotations

import shlex
import subprocess

from ape_helpers import ROOT, ape_env

from charter.deployments import CONTRACTS


def _readme_ape_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### With ape"):]
    body = section[section.index("```bash\n") + len("```bash\n"):]
    body = body[: body.index("```")]
    return [line.split("#")[0].strip() for line in body.replace("\\\n", " ").splitlines() if line.strip()]


def test_the_readme_ape_sequence_is_the_persistent_mode():
    lines = _readme_ape_block()
    assert lines[0] == "export APE_FOUNDRY_HOST=http://127.0.0.1:8545"
    commands = [shlex.split(line) for line in lines[1:]]
    assert len(commands) >= 10
    for args in commands:
        assert args[:2] == ["ape", "run"], args
        assert args[-2:] == ["--network", "ethereum:local:foundry"], args


def test_one_shot_mode_starts_and_stops_its_own_anvil(tmp_path):
    """Without APE_FOUNDRY_HOST (`foundry.host: auto`), each `ape run` starts an anvil on a random port and
    stops it: the second deployment finds a fresh chain again."""
    env = {k: v for k, v in ape_env("unused").items() if k != "APE_FOUNDRY_HOST"}
    for _ in range(2):
        out = subprocess.run(["ape", "run", "deploy", "--network", "ethereum:local:foundry"], check=False, cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=300)
        text = out.stdout + out.stderr
        assert out.returncode == 0, text
        assert "Starting 'anvil' process" in text and "Stopping 'anvil' process" in text, text
        assert f"{len(CONTRACTS)} deployed, 0 already there" in out.stdout, text

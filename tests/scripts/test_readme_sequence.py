"""The README's ape sequence, run as written: one `ape run` process per line against one
anvil that stays up throughout (the persistent mode of docs/console.md), state
surviving from each command to the next.

The sequence is the ```bash block below (the coordinator pastes it into
README.md). Its first two lines start the node and export APE_FOUNDRY_HOST:
the test starts that node itself, on a free port, and substitutes the port
for 8545 (other processes on this machine may hold 8545). The scripts run from
the project root, as `ape run` needs; the order file goes to a temporary
directory instead of the checkout (the only other substitution).
"""

from __future__ import annotations

import re
import shlex
import subprocess

from ape_helpers import ROOT, ape_env
from web3 import Web3

from charter.deployments import CONTRACTS
from charter.devchain import local_anvil

SEQUENCE = """\
anvil --port 8545 &
export APE_FOUNDRY_HOST=http://127.0.0.1:8545
ape run deploy --network ethereum:local:foundry
ape run register --uri ipfs://bafkrei-agent-card --meta role=market-maker --network ethereum:local:foundry
ape run agent show 1 --network ethereum:local:foundry
ape run account upgrade --network ethereum:local:foundry
ape run grant --agent 1 --key 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --allow 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --native-budget 1000000000000000 --valid-for 1h --on-chain --network ethereum:local:foundry
ape run sessions --network ethereum:local:foundry
ape run revoke --all --network ethereum:local:foundry
ape run intent open --input native:1000000000000000 --output native:1000000000000000 --agent 1 --out order.json --network ethereum:local:foundry
ape run intent fill order.json --sender TEST::1 --network ethereum:local:foundry
ape run intent status order.json --network ethereum:local:foundry
ape run agent pause 1 --network ethereum:local:foundry
"""  # noqa: E501 - the README's lines, as they are
"""The block for README.md (```bash)."""


def _lines() -> list[str]:
    return [line for line in SEQUENCE.splitlines() if line.strip()]


def test_the_sequence_is_the_persistent_mode():
    lines = _lines()
    assert lines[0] == "anvil --port 8545 &"
    assert lines[1] == "export APE_FOUNDRY_HOST=http://127.0.0.1:8545"
    assert all(line.startswith("ape run ") and line.endswith("--network ethereum:local:foundry") for line in lines[2:])


def test_readme_ape_sequence_runs_as_written(tmp_path):
    lines = _lines()
    with local_anvil() as chain:
        port = chain.url.rsplit(":", 1)[1]
        exported = lines[1].replace("8545", port)
        url = exported.split("=", 1)[1]
        assert url == chain.url
        env = ape_env(url)
        outputs = []
        order_file = str(tmp_path / "order.json")
        for line in lines[2:]:
            args = [order_file if arg == "order.json" else arg for arg in shlex.split(line)]
            out = subprocess.run(args, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            text = out.stdout + out.stderr
            assert out.returncode == 0, f"{line}\n{text}"
            assert "Traceback" not in text and "Starting 'anvil' process" not in text, f"{line}\n{text}"
            outputs.append(out.stdout)
        w3 = chain.w3
        deploy, register, show, upgrade, grant, sessions, revoke, opened, filled, status, pause = outputs
        assert f"{len(CONTRACTS)} deployed, 0 already there" in deploy
        assert f"registered agent 1 on chain {w3.eth.chain_id}" in register
        assert "ipfs://bafkrei-agent-card" in show and "status: Active" in show  # state survived the process
        principal = Web3.to_checksum_address(w3.eth.accounts[0])
        assert f"{principal} is now a Charter account (EIP-7702)" in upgrade
        assert w3.eth.get_code(principal).hex().startswith("ef0100")
        assert "issued on-chain" in grant
        grant_hash = re.search(r"0x[0-9a-f]{64}", sessions)
        assert grant_hash and "active" in sessions
        assert "epoch now 1" in revoke
        order_id = re.search(r"order (0x[0-9a-f]{64})", opened)
        assert order_id and (tmp_path / "order.json").is_file()
        assert f"order {order_id.group(1)} filled" in filled
        assert "(origin): SETTLED" in status
        assert "agent 1: paused" in pause
        # the addresses the sequence names are anvil's development accounts 1 and 2
        assert Web3.to_checksum_address(w3.eth.accounts[1]) == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        assert Web3.to_checksum_address(w3.eth.accounts[2]) == "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


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

"""The ape scripts (`ape run deploy|register|agent`) against one anvil.

Each script runs in its own `ape run` process, attached to a shared anvil
through APE_FOUNDRY_HOST, the way a user runs them against a node.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from web3 import Web3

from charter._core.artifacts import abi
from charter.deployments import CONTRACTS, create2_address
from charter.devchain import local_anvil

ROOT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).parent / "ape")


@pytest.fixture(scope="module")
def chain():
    with local_anvil() as running:
        yield running


@pytest.fixture(scope="module")
def ape_run(chain, tmp_path_factory):
    manifest = tmp_path_factory.mktemp("scripts") / "manifest.json"
    env = {
        **os.environ,
        "APE_FOUNDRY_HOST": chain.url,
        "CHARTER_MANIFEST": str(manifest),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [APE, "run", *args, "--network", "ethereum:local:foundry"],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    run.manifest = manifest  # type: ignore[attr-defined]
    return run


def _registry(chain):
    w3 = chain.w3
    return w3.eth.contract(address=create2_address("AgentRegistry"), abi=abi("AgentRegistry"))


def test_deploy_is_deterministic_recorded_and_idempotent(chain, ape_run):
    first = ape_run("deploy")
    assert first.returncode == 0, first.stdout + first.stderr
    recorded = json.loads(ape_run.manifest.read_text())
    for name in CONTRACTS:
        address = create2_address(name)
        assert f"{name}: deployed at {address}" in first.stdout
        assert len(chain.w3.eth.get_code(address)) > 0
        assert recorded["chains"][str(chain.w3.eth.chain_id)][name]["address"] == address

    again = ape_run("deploy")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"already at {create2_address('SessionManager')}" in again.stdout
    assert f"0 deployed, {len(CONTRACTS)} already there" in again.stdout


def test_register_show_pause_resume_retire(chain, ape_run):
    registry = _registry(chain)
    before = registry.functions.totalSupply().call()
    out = ape_run("register", "--uri", "ipfs://script-card", "--meta", "role=scripted")
    assert out.returncode == 0, out.stdout + out.stderr
    agent_id = before + 1
    assert f"registered agent {agent_id} on chain {chain.w3.eth.chain_id}" in out.stdout
    assert registry.functions.tokenURI(agent_id).call() == "ipfs://script-card"
    assert registry.functions.getMetadata(agent_id, "role").call() == b"scripted"
    test_account_0 = Web3.to_checksum_address(chain.w3.eth.accounts[0])
    assert registry.functions.ownerOf(agent_id).call() == test_account_0

    shown = ape_run("agent", "show", str(agent_id))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "ipfs://script-card" in shown.stdout
    assert "active" in shown.stdout.lower()

    for verb, status in (("pause", 1), ("resume", 0), ("retire", 2)):
        out = ape_run("agent", verb, str(agent_id))
        assert out.returncode == 0, out.stdout + out.stderr
        assert registry.functions.statusOf(agent_id).call() == status


def test_script_errors_are_one_line_without_traceback(chain, ape_run):
    ape_run("deploy")
    out = ape_run("agent", "pause", "999999")
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "UnknownAgent" in text
    assert "Traceback" not in text

    bad = ape_run("register", "--meta", "no-equals-sign")
    assert bad.returncode != 0
    assert "KEY=VALUE" in bad.stdout + bad.stderr
    assert "Traceback" not in bad.stdout + bad.stderr


def test_grant_sessions_revoke_scripts(chain, ape_run):
    from eth_account import Account

    from charter import Call, Charter, LocalSigner, NodeSigner, SignedGrant
    from charter._core.artifacts import init_code
    from charter.deployments import Manifest

    assert ape_run("deploy").returncode == 0
    w3 = chain.w3
    owner = Web3.to_checksum_address(w3.eth.accounts[0])  # ape's test account 0
    registry = _registry(chain)
    assert ape_run("register").returncode == 0
    agent_id = registry.functions.totalSupply().call()
    charter = Charter.connect(w3, signer=NodeSigner(w3, owner), manifest=Manifest.load(ape_run.manifest))
    account = charter.accounts.deploy(owner, salt=11)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": owner, "data": init_code("DemoToken")})
    )
    token = w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))
    token.functions.mint(account, 100).transact({"from": owner})
    key = LocalSigner(Account.create())
    w3.eth.send_transaction({"from": owner, "to": key.address, "value": 10**17})
    bob = Web3.to_checksum_address(w3.eth.accounts[2])

    allow = f"{token.address}:transfer(address to,uint256 amount):to={bob}"
    out = ape_run("grant", "--account", account, "--agent", str(agent_id), "--key", key.address,
                  "--allow", allow, "--token-budget", f"{token.address}:60", "--valid-for", "1h", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout[out.stdout.index("{"):])
    signed = SignedGrant.model_validate(data["signed_grant"])
    assert "0x" + signed.hash.hex() == data["grant_hash"] and not data["issued_on_chain"]
    charter.sessions.execute(signed, Call.to(token.address, "transfer(address,uint256)", bob, 25), key=key)
    assert token.functions.balanceOf(bob).call() == 25

    listed = ape_run("sessions", account)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert data["grant_hash"] in listed.stdout and "active" in listed.stdout
    assert f"35 of {token.address} left" in listed.stdout

    revoked = ape_run("revoke", data["grant_hash"], "--account", account)
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert charter.sessions.state(signed).status.name == "REVOKED"

    issued = ape_run("grant", "--account", account, "--agent", str(agent_id), "--key", key.address,
                     "--allow", allow, "--valid-for", "30m", "--on-chain")
    assert issued.returncode == 0 and "issued on-chain" in issued.stdout, issued.stdout + issued.stderr
    everything = ape_run("revoke", "--all", "--account", account)
    assert everything.returncode == 0 and "epoch now 1" in everything.stdout, everything.stdout + everything.stderr

    both = ape_run("revoke")
    assert both.returncode != 0 and "GRANT_HASH or --all" in both.stdout + both.stderr
    assert "Traceback" not in both.stdout + both.stderr


def test_grant_script_refuses_a_standing_allowance_over_an_unbounded_token(chain, ape_run):
    """`ape run grant` refuses, as the SDK and the CLI do, a grant whose allowed target holds an
    allowance from the account over a watched token it neither budgets nor guards; --guard lets it through."""
    from eth_account import Account

    from charter import Call, Charter, NodeSigner
    from charter._core.artifacts import init_code
    from charter.deployments import Manifest

    assert ape_run("deploy").returncode == 0
    w3 = chain.w3
    owner = Web3.to_checksum_address(w3.eth.accounts[0])  # ape's test account 0
    assert ape_run("register").returncode == 0
    agent_id = _registry(chain).functions.totalSupply().call()
    charter = Charter.connect(w3, signer=NodeSigner(w3, owner), manifest=Manifest.load(ape_run.manifest))
    account = charter.accounts.deploy(owner, salt=12)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": owner, "data": init_code("DemoToken")})
    )
    token = receipt["contractAddress"]
    router = Account.create().address
    approve = Call.to(token, "approve(address,uint256)", router, 2**256 - 1)
    charter.accounts.execute(account, approve.target, approve.data)

    spec = ("grant", "--account", account, "--agent", str(agent_id), "--key", Account.create().address,
            "--allow", f"{router}:swap(uint256 amount)", "--watch", token, "--valid-for", "1h")
    refused = ape_run(*spec)
    text = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Traceback" not in text, text
    (line,) = [line for line in text.splitlines() if "standing allowance" in line]
    assert token in line and router in line and f"--guard {token}" in line and "charter account exec" in line

    guarded = ape_run(*spec, "--guard", token)
    assert guarded.returncode == 0, guarded.stdout + guarded.stderr
    assert f"token {token} guarded: may not leave the account" in guarded.stdout

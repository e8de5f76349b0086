"""The `charter` command line, run in-process with click's CliRunner against anvil."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from charter import AgentStatus, LocalSigner, NodeSigner, Registry
from charter.cli import cli
from charter.deployments import CONTRACTS, create2_address

from .conftest import dev_key

Invoke = Callable[..., Result]


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart by default


@pytest.fixture
def invoke(rpc_url: str, manifest_path: Path, registry_address: ChecksumAddress) -> Invoke:
    """Run `charter ARGS` as alice (key in $CHARTER_PRIVATE_KEY) against ape's anvil."""
    runner = _runner()

    def run(*args: str, key: str | None = dev_key(1), **env: str | None) -> Result:
        environment: dict[str, str | None] = {
            "CHARTER_RPC": rpc_url,
            "CHARTER_MANIFEST": str(manifest_path),
            "CHARTER_PRIVATE_KEY": key,
            **env,
        }
        return runner.invoke(cli, list(args), env=environment, catch_exceptions=False)

    return run


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.stdout


def _json(result: Result) -> Any:
    return json.loads(_ok(result))


def _refused(result: Result, code: int = 1) -> str:
    """A failure: exit `code` (1: an error; 3: refused by a contract) and exactly one
    `error: ...` line on stderr, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def test_deploy_reports_the_existing_deployment(
    invoke: Invoke, registry_address: ChecksumAddress, dev_accounts: list[str], tmp_path: Path, w3: Any
) -> None:
    path = tmp_path / "cli-manifest.json"
    data = _json(invoke("--json", "--unlocked", dev_accounts[0], "--manifest", str(path), "deploy"))
    chain_id = int(w3.eth.chain_id)
    assert data["chain_id"] == chain_id
    assert [c["name"] for c in data["contracts"]] == list(CONTRACTS)
    assert data["contracts"][0] == {"name": "AgentRegistry", "address": registry_address, "deployed": False,
                                    "transaction": None, "block": None, "gas_used": None}
    assert all(c["address"] == create2_address(c["name"]) and not c["deployed"] for c in data["contracts"])
    assert json.loads(path.read_text())["chains"][str(chain_id)]["AgentRegistry"]["address"] == registry_address
    table = _ok(invoke("--unlocked", dev_accounts[0], "deploy"))
    assert registry_address in table and "already deployed" in table


def test_deploy_records_the_chosen_evm_version(
    invoke: Invoke, registry_address: ChecksumAddress, dev_accounts: list[str], tmp_path: Path, w3: Any
) -> None:
    path = tmp_path / "cancun-manifest.json"
    data = _json(invoke("--json", "--unlocked", dev_accounts[0], "--manifest", str(path), "deploy",
                        "--evm-version", "cancun"))
    assert data["evm_version"] == "cancun"
    # vyper 0.4.3 emits the same bytes for cancun and prague: the same addresses, already there
    assert all(c["address"] == create2_address(c["name"], evm_version="cancun") for c in data["contracts"])
    entry = json.loads(path.read_text())["chains"][str(int(w3.eth.chain_id))]["AgentRegistry"]
    assert entry["address"] == registry_address and entry["evm_version"] == "cancun"
    refused = invoke("--unlocked", dev_accounts[0], "--manifest", str(path), "deploy", "--evm-version", "shanghai")
    assert refused.exit_code == 2 and "shanghai" in refused.stderr and "Traceback" not in refused.stderr


def test_register_then_show(invoke: Invoke, registry: Registry, alice: LocalSigner) -> None:
    data = _json(invoke("register", "--uri", "ipfs://cli-card", "--meta", "role=market-maker",
                        "--meta-hex", "raw=0x00ff", "--json"))
    agent_id = data["agent_id"]
    assert data["action"] == "register" and data["owner"] == alice.address
    assert data["tx_hash"].startswith("0x") and data["gas_used"] > 0
    assert registry.owner_of(agent_id) == alice.address
    assert registry.uri(agent_id) == "ipfs://cli-card"
    assert registry.get_metadata(agent_id, "role") == b"market-maker"
    assert registry.get_metadata(agent_id, "raw") == b"\x00\xff"

    table = _ok(invoke("agent", "show", str(agent_id), "--meta", "role", "--meta", "raw"))
    for fragment in (f"Agent {agent_id}", "Active", alice.address, "ipfs://cli-card",
                     "owner default", "market-maker", "0x00ff", registry.address):
        assert fragment in table

    shown = _json(invoke("--json", "agent", "show", str(agent_id), "--meta", "role"))
    expected = registry.agent(agent_id).model_dump(mode="json")
    assert {k: shown[k] for k in expected if k != "block"} == {k: v for k, v in expected.items() if k != "block"}
    assert shown["active"] is True and shown["status"] == "ACTIVE"
    assert shown["metadata"] == {"role": "0x" + b"market-maker".hex()}


def test_register_plain_text_output(invoke: Invoke, registry: Registry) -> None:
    out = _ok(invoke("register"))
    assert out.startswith("registered agent ") and "tx 0x" in out
    agent_id = int(out.split()[2])
    assert registry.uri(agent_id) == ""


def test_show_by_wallet(
    invoke: Invoke, registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]
) -> None:
    wallet = new_wallet()
    line = _refused(invoke("agent", "show", "--wallet", wallet.address))
    assert "no agent has proved" in line and wallet.address in line
    registry.set_agent_wallet(agent_id, wallet)
    shown = _json(invoke("agent", "show", "--wallet", wallet.address.lower(), "--json"))
    assert shown["agent_id"] == agent_id
    assert shown["wallet"] == wallet.address and shown["wallet_verified"] is True
    assert "(proved)" in _ok(invoke("agent", "show", str(agent_id)))


def test_show_needs_exactly_one_of_id_and_wallet(invoke: Invoke, agent_id: int, alice: LocalSigner) -> None:
    assert "either an AGENT_ID or --wallet" in _refused(invoke("agent", "show"))
    assert "either an AGENT_ID or --wallet" in _refused(
        invoke("agent", "show", str(agent_id), "--wallet", alice.address)
    )


def test_pause_resume_retire(invoke: Invoke, registry: Registry, agent_id: int) -> None:
    out = _ok(invoke("agent", "pause", str(agent_id)))
    assert f"agent {agent_id} paused, now Paused" in out
    assert registry.status(agent_id) is AgentStatus.PAUSED

    data = _json(invoke("agent", "resume", str(agent_id), "--json"))
    assert data["action"] == "resume" and data["status"] == "ACTIVE" and data["agent_id"] == agent_id
    assert registry.status(agent_id) is AgentStatus.ACTIVE

    data = _json(invoke("--json", "agent", "retire", str(agent_id)))
    assert data["status"] == "RETIRED"
    assert registry.status(agent_id) is AgentStatus.RETIRED


def test_set_uri_and_metadata(invoke: Invoke, registry: Registry, agent_id: int) -> None:
    assert "URI set" in _ok(invoke("agent", "set-uri", str(agent_id), "https://example.org/v2.json"))
    assert registry.uri(agent_id) == "https://example.org/v2.json"

    _ok(invoke("agent", "set-metadata", str(agent_id), "endpoint", "https://a2a.example"))
    assert registry.get_metadata(agent_id, "endpoint") == b"https://a2a.example"
    data = _json(invoke("agent", "set-metadata", str(agent_id), "blob", "0xdeadbeef", "--hex", "--json"))
    assert data["key"] == "blob" and data["value"] == "0xdeadbeef"
    assert registry.get_metadata(agent_id, "blob") == bytes.fromhex("deadbeef")

    assert _ok(invoke("agent", "get-metadata", str(agent_id), "endpoint")).strip() == "https://a2a.example"
    assert _ok(invoke("agent", "get-metadata", str(agent_id), "blob")).strip() == "0xdeadbeef"
    assert _json(invoke("agent", "get-metadata", str(agent_id), "blob", "--json"))["value"] == "0xdeadbeef"


def test_unlocked_account_sends(invoke: Invoke, registry: Registry, bob: NodeSigner) -> None:
    data = _json(invoke("--unlocked", bob.address, "--json", "register", key=None))
    assert registry.owner_of(data["agent_id"]) == bob.address == data["owner"]


# ---------------------------------------------------------------- failures


def test_contract_refusals_are_one_line(invoke: Invoke, registry: Registry, agent_id: int) -> None:
    _ok(invoke("agent", "pause", str(agent_id)))
    line = _refused(invoke("agent", "pause", str(agent_id)), 3)
    assert line.startswith(f"error: AgentNotActive: agent {agent_id} cannot be paused")

    line = _refused(invoke("agent", "pause", "999999", "--json"), 3)
    assert line.startswith("error: UnknownAgent: agent 999999 does not exist")

    line = _refused(invoke("agent", "set-metadata", str(agent_id), "agentWallet", "x"), 3)
    assert line.startswith("error: ReservedMetadataKey:")


def test_stranger_is_refused(invoke: Invoke, agent_id: int, mallory: LocalSigner) -> None:
    line = _refused(invoke("agent", "retire", str(agent_id), key=dev_key(3)), 3)
    assert line.startswith("error: Unauthorized:") and mallory.address in line


def test_invalid_input_is_one_line(invoke: Invoke, agent_id: int) -> None:
    assert "keys must be 1 to 64 bytes" in _refused(invoke("agent", "set-metadata", str(agent_id), "", "v"))
    assert "at most 20,480" in _refused(invoke("agent", "set-uri", str(agent_id), "x" * 20_481))
    assert "not KEY=VALUE" in _refused(invoke("register", "--meta", "novalue"))
    assert "not hex bytes" in _refused(invoke("agent", "set-metadata", str(agent_id), "k", "zz", "--hex"))
    assert "not a valid address" in _refused(invoke("agent", "show", "--wallet", "0x1234"))


def test_writes_need_an_account(invoke: Invoke, agent_id: int) -> None:
    line = _refused(invoke("agent", "pause", str(agent_id), key=None))
    assert "CHARTER_PRIVATE_KEY" in line and "--unlocked" in line
    # Reads do not.
    _ok(invoke("agent", "show", str(agent_id), key=None))


def test_bad_private_key_is_not_echoed(invoke: Invoke, agent_id: int) -> None:
    secret = "0x" + "ab" * 31  # 31 bytes: not a key
    line = _refused(invoke("agent", "pause", str(agent_id), key=secret))
    assert "not a valid private key" in line and secret not in line and "ab" * 31 not in line


def test_private_key_is_never_an_argument(invoke: Invoke, agent_id: int) -> None:
    key = dev_key(1)
    result = invoke("--private-key", key, "agent", "pause", str(agent_id), key=None)
    assert result.exit_code == 2
    assert "CHARTER_PRIVATE_KEY" in result.stderr
    assert key not in result.stderr + result.stdout


def test_unreachable_rpc(invoke: Invoke) -> None:
    line = _refused(invoke("--rpc", "http://127.0.0.1:1", "agent", "show", "1"))
    assert line == (
        "error: cannot reach the node at http://127.0.0.1:1; start it (for a local chain: "
        "`anvil`) or point --rpc / $CHARTER_RPC at a running node"
    )
    line = _refused(invoke("agent", "show", "1", CHARTER_RPC="ws://127.0.0.1:1"))
    assert "not an http(s) URL" in line


def test_not_deployed_on_a_chain_without_the_registry(invoke: Invoke, tmp_path: Path) -> None:
    from charter.deployments import Manifest
    from charter.devchain import local_anvil

    empty = Manifest(path=tmp_path / "none.json")  # a manifest naming no deployment (a missing one is refused)
    empty.save()
    with local_anvil(chain_id=1) as chain:
        line = _refused(invoke("agent", "show", "1", CHARTER_RPC=chain.url, CHARTER_MANIFEST=str(empty.path)))
    assert "AgentRegistry is not deployed on chain 1" in line and "charter deploy" in line


def test_help_and_version(invoke: Invoke) -> None:
    out = _ok(invoke("--help"))
    assert "deploy" in out and "register" in out and "agent" in out
    assert "--private-key" not in out
    assert "0.1.0" in _ok(invoke("--version"))


# ---------------------------------------------------------------- sessions and accounts


@pytest.fixture
def principal_key(w3: Any, dev_accounts: list[ChecksumAddress]) -> str:
    """A fresh, funded EOA key for the session commands."""
    from eth_account import Account

    key = Account.create().key.to_0x_hex()
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": dev_accounts[0], "to": Account.from_key(key).address, "value": 10**18})
    )
    return key


@pytest.fixture
def token(w3: Any, dev_accounts: list[ChecksumAddress]) -> Any:
    from charter._core.artifacts import abi, init_code

    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": dev_accounts[0], "data": init_code("DemoToken")})
    )
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))


def test_account_upgrade_show_address_and_deploy(invoke: Invoke, principal_key: str) -> None:
    from eth_account import Account

    me = Account.from_key(principal_key).address
    assert "is now a Charter account" in _ok(invoke("account", "upgrade", key=principal_key))
    shown = _json(invoke("account", "show", "--json", key=principal_key))
    assert shown["kind"] == "EIP7702" and shown["owner"] == me and shown["epoch"] == 0
    predicted = _ok(invoke("account", "address", me, "--salt", "3")).strip()
    deployed = _json(invoke("--json", "account", "deploy", "--salt", "3", key=principal_key))
    assert deployed["account"] == predicted
    assert _json(invoke("account", "show", predicted, "--json"))["kind"] == "DEPLOYED"
    line = _refused(invoke("account", "show", "0x000000000000000000000000000000000000dEaD"))
    assert "not a Charter account" in line
    assert "not --unlocked" in _refused(invoke("--unlocked", me, "account", "upgrade"))


def test_grant_use_list_and_revoke(
    invoke: Invoke,
    principal_key: str,
    token: Any,
    w3: Any,
    dev_accounts: list[ChecksumAddress],
    tmp_path: Path,
    registry: Registry,
    charter: Any,
) -> None:
    from eth_account import Account

    from charter import Call, Charter, SignedGrant

    me = Account.from_key(principal_key).address
    _ok(invoke("account", "upgrade", key=principal_key))
    agent_id = _json(invoke("register", "--json", key=principal_key))["agent_id"]
    token.functions.mint(me, 1_000).transact({"from": dev_accounts[0]})
    agent_key = LocalSigner(Account.create())
    bob = dev_accounts[2]
    out = tmp_path / "grant.json"
    allow = f"{token.address}:transfer(address to,uint256 amount):to={bob},amount<=50"
    text = _ok(invoke("grant", "--agent", str(agent_id), "--key", agent_key.address, "--allow", allow,
                      "--token-budget", f"{token.address}:80/1d", "--max-calls", "5", "--valid-for", "1h",
                      "--out", str(out), key=principal_key))
    assert "signed off-chain" in text and "amount <= 50 raw units" in text and "every 1 day" in text
    assert f"to == {bob}" in text and "transfer(address to, uint256 amount)" in text
    signed = SignedGrant.from_json(out.read_text())
    grant_hash = "0x" + signed.hash.hex()
    assert grant_hash in text

    # The agent uses it through the SDK (it pays no gas: relayed by a dev account).
    sessions = Charter.connect(w3, signer=NodeSigner(w3, dev_accounts[0]), manifest=charter.manifest).sessions
    sessions.relay(
        sessions.sign_request(signed, Call.to(token.address, "transfer(address,uint256)", bob, 30), key=agent_key)
    )
    listed = _json(invoke("sessions", "--json", key=principal_key))
    assert listed["account"] == me
    (record,) = listed["grants"]
    assert record["grant_hash"] == grant_hash and record["state"]["status"] == "ACTIVE"
    assert record["state"]["grant_hash"] == grant_hash and record["status_label"] == "active"
    assert record["state"]["tokens"][0]["left"] == 50 and record["state"]["calls_left"] == 4
    table = _ok(invoke("sessions", me))
    assert "active" in table and grant_hash[:12] in table

    assert grant_hash in _ok(invoke("revoke", grant_hash, key=principal_key))
    assert "already revoked" in _refused(invoke("revoke", grant_hash, key=principal_key), 3)
    assert _json(invoke("sessions", me, "--json"))["grants"][0]["state"]["status"] == "REVOKED"

    issued = _json(invoke("--json", "grant", "--agent", str(agent_id), "--key", agent_key.address, "--allow", allow,
                          "--valid-for", "30m", "--on-chain", "--yes", key=principal_key))
    assert issued["issued_on_chain"] and issued["transaction"]["gas_used"] > 0
    done = _json(invoke("revoke-all", "--json", key=principal_key))
    assert done["epoch"] == 1
    states = {g["grant_hash"]: g["state"]["status"] for g in _json(invoke("sessions", me, "--json"))["grants"]}
    assert states[issued["grant_hash"]] == "REVOKED_ALL"  # revoked by revoke-all


def test_grant_refusals_are_one_line(invoke: Invoke, principal_key: str, token: Any) -> None:
    from eth_account import Account

    key_address = Account.create().address
    _ok(invoke("account", "upgrade", key=principal_key))
    base = ("grant", "--agent", "1", "--key", key_address)
    assert "not a duration" in _refused(
        invoke(*base, "--allow", f"{token.address}:transfer(address,uint256)", "--valid-for", "0", key=principal_key)
    )
    assert "allows at most" in _refused(
        invoke(*base, "--allow", f"{token.address}:transfer(address,uint256)", "--valid-for", "8d", key=principal_key)
    )
    assert "no parameter named" in _refused(
        invoke(
            *base, "--allow", f"{token.address}:transfer(address,uint256):to=1", "--valid-for", "1h", key=principal_key
        )
    )
    assert "account-execution" in _refused(
        invoke(
            *base, "--allow", f"{token.address}:execute(address,uint256,bytes)", "--valid-for", "1h", key=principal_key
        )
    )
    assert "TOKEN:CAP" in _refused(
        invoke(*base, "--allow", token.address, "--token-budget", "100", "--valid-for", "1h", key=principal_key)
    )
    missing = invoke(*base, "--allow", token.address, key=principal_key)
    assert missing.exit_code == 2 and "--valid-for" in missing.stderr

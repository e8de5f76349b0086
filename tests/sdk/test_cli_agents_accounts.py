"""`charter agent list --owner` (and Registry.agents_of), `charter account max-session`."""

from __future__ import annotations

from typing import Any

from eth_account import Account

from charter import LocalSigner, Registry

from .conftest import dev_key
from .test_cli import Invoke, _json, _ok, _refused, invoke, principal_key, token  # noqa: F401 - fixtures


def test_agents_of_follows_transfers(registry: Registry, alice: LocalSigner, mallory: LocalSigner) -> None:
    mine = [registry.register(f"ipfs://list-{i}") for i in range(3)]
    held = registry.agents_of(alice.address)
    assert set(mine) <= set(held) and held == sorted(held)
    registry.transfer(mine[1], mallory.address)
    assert mine[1] not in registry.agents_of(alice.address)
    assert mine[1] in registry.agents_of(mallory.address)
    assert registry.agents_of(Account.create().address) == []
    latest = registry.w3.eth.block_number
    assert registry.agents_of(alice.address, from_block=latest + 1) == []


def test_agent_list(invoke: Invoke, principal_key: str) -> None:  # noqa: F811
    me = Account.from_key(principal_key).address
    assert "holds no agent" in _ok(invoke("agent", "list", key=principal_key))
    first = _json(invoke("agent", "register", "--uri", "ipfs://one", "--json", key=principal_key))["agent_id"]
    second = _json(invoke("agent", "register", "--json", key=principal_key))["agent_id"]
    _ok(invoke("agent", "pause", str(second), key=principal_key))
    listed = _json(invoke("agent", "list", "--owner", me.lower(), "--json", key=None))
    assert listed["owner"] == me
    assert [(a["agent_id"], a["status"], a["uri"]) for a in listed["agents"]] == [
        (first, "ACTIVE", "ipfs://one"), (second, "PAUSED", ""),
    ]
    assert listed["agents"][0] == _json(invoke("agent", "show", str(first), "--json", key=None)) | {
        "block": listed["agents"][0]["block"]
    }
    table = _ok(invoke("--json", "agent", "list", key=principal_key))  # global --json
    assert '"agents"' in table
    table = _ok(invoke("agent", "list", key=principal_key))
    assert f"agents of {me}" in table and "Paused" in table and "ipfs://one" in table
    assert "not a valid address" in _refused(invoke("agent", "list", "--owner", "0x12", key=None))
    assert "CHARTER_PRIVATE_KEY" in _refused(invoke("agent", "list", key=None))


def test_account_max_session(invoke: Invoke, principal_key: str) -> None:  # noqa: F811
    me = Account.from_key(principal_key).address
    _ok(invoke("account", "upgrade", key=principal_key))
    shown = _json(invoke("account", "max-session", "--json", key=principal_key))
    assert shown == {"account": me, "max_session_length": 7 * 86_400}
    assert "at most 7d" in _ok(invoke("account", "max-session", "--account", me, key=None))

    done = _json(invoke("account", "max-session", "2h", "--json", key=principal_key))
    assert done["action"] == "max-session" and done["max_session_length"] == 7_200 and done["tx_hash"]
    assert _json(invoke("account", "show", me, "--json", key=None))["max_session_length"] == 7_200
    # A grant longer than the account allows is refused before signing.
    line = _refused(invoke("grant", "--agent", "1", "--key", Account.create().address,
                           "--allow", "0x" + "77" * 20, "--valid-for", "3h", key=principal_key))
    assert "allows at most" in line
    assert "7d (the default)" in _ok(invoke("account", "max-session", "default", key=principal_key))

    assert "not a duration" in _refused(invoke("account", "max-session", "soon", key=principal_key))
    assert "at most 366d" in _refused(invoke("account", "max-session", "400d", key=principal_key))
    # Only the account's owner sets it; a stranger's EOA is not even a Charter account.
    stranger = dev_key(3)
    assert "Unauthorized" in _refused(invoke("account", "max-session", "1h", "--account", me, key=stranger), 3)
    assert "not a Charter account" in _refused(invoke("account", "max-session", "1h", key=stranger))


def test_account_show_json_uses_enum_names(invoke: Invoke, principal_key: str, w3: Any) -> None:  # noqa: F811
    _ok(invoke("account", "upgrade", key=principal_key))
    shown = _json(invoke("account", "show", "--json", key=principal_key))
    assert shown["kind"] == "EIP7702" and shown["manager"].startswith("0x") and isinstance(shown["balance"], int)
    table = _ok(invoke("account", "show", key=principal_key))
    assert "EIP7702" in table


def test_agent_transfer(invoke: Invoke, registry: Registry, agent_id: int, mallory: LocalSigner) -> None:  # noqa: F811
    line = _refused(invoke("agent", "transfer", str(agent_id), mallory.address, "--yes", key=dev_key(3)), 3)
    assert line.startswith("error: Unauthorized:")
    assert "not a valid address" in _refused(invoke("agent", "transfer", str(agent_id), "0x12"))
    done = _json(invoke("agent", "transfer", str(agent_id), mallory.address.lower(), "--yes", "--json"))
    assert done["action"] == "transfer" and done["owner"] == mallory.address and done["agent_id"] == agent_id
    assert registry.owner_of(agent_id) == mallory.address
    listed = _json(invoke("agent", "list", "--owner", mallory.address, "--json", key=None))["agents"]
    assert agent_id in [a["agent_id"] for a in listed]


def test_account_exec(
    invoke: Invoke, principal_key: str, token: Any, dev_accounts: list[Any]  # noqa: F811
) -> None:
    me = Account.from_key(principal_key).address
    bob = dev_accounts[2]
    token.functions.mint(me, 100).transact({"from": dev_accounts[0]})
    call = f"{token.address}:transfer(address to,uint256 amount):{bob},10"
    assert "not a Charter account" in _refused(invoke("account", "exec", "--call", call, key=principal_key))
    _ok(invoke("account", "upgrade", key=principal_key))
    before = token.functions.balanceOf(bob).call()
    done = _json(invoke("account", "exec", "--call", call, "--json", key=principal_key))
    assert done["action"] == "account exec" and done["account"] == me and done["calls"] == 1
    out = _ok(invoke("account", "exec", "--call", call, "--call", call, key=principal_key))
    assert out.startswith(f"2 calls made from {me} by its owner")
    assert token.functions.balanceOf(bob).call() == before + 30
    line = _refused(invoke("account", "exec", "--call", call, "--account", me, key=dev_key(3)), 3)
    assert "Unauthorized" in line
    short = f"{token.address}:transfer(address,uint256):{bob}"
    assert "takes 2 argument(s)" in _refused(invoke("account", "exec", "--call", short, key=principal_key))

"""`charter grant show/status/revoke` and `charter session exec/sign-relay/relay/renounce` against anvil.

The principal (a fresh EIP-7702 account owning its agent) grants a fresh
session key; the agent uses it from the CLI with the key in
$CHARTER_SESSION_KEY, never on the command line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_typing import ChecksumAddress

from charter import SignedGrant

from .conftest import dev_key
from .test_cli import Invoke, _json, _ok, _refused, invoke, principal_key, token  # noqa: F401 - fixtures


@dataclass
class Granted:
    principal: str
    """The principal's key (its EOA is the account)."""
    account: ChecksumAddress
    agent_id: int
    session_key: str
    session_address: ChecksumAddress
    file: Path
    token: Any
    bob: ChecksumAddress


@pytest.fixture
def granted(
    invoke: Invoke, principal_key: str, token: Any, w3: Any, dev_accounts: list[ChecksumAddress],  # noqa: F811
    tmp_path: Path,
) -> Granted:
    """An upgraded account with 1,000 tokens and a grant file: transfers to bob, at most 50 a call,
    100 in total, 5 calls, for an hour; the session key holds 1 ETH for gas."""
    me = Account.from_key(principal_key).address
    _ok(invoke("account", "upgrade", key=principal_key))
    agent_id = _json(invoke("agent", "register", "--json", key=principal_key))["agent_id"]
    token.functions.mint(me, 1_000).transact({"from": dev_accounts[0]})
    session = Account.create()
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": dev_accounts[0], "to": session.address, "value": 10**18})
    )
    bob = dev_accounts[2]
    out = tmp_path / "grant.json"
    _ok(invoke(
        "grant", "create", "--agent", str(agent_id), "--key", session.address,
        "--allow", f"{token.address}:transfer(address to,uint256 amount):to={bob},amount<=50",
        "--token-budget", f"{token.address}:100", "--max-calls", "5", "--valid-for", "1h", "--out", str(out),
        key=principal_key,
    ))
    return Granted(principal_key, me, agent_id, session.key.to_0x_hex(), session.address, out, token, bob)


def _transfer(g: Granted, amount: int) -> str:
    return f"{g.token.address}:transfer(address to,uint256 amount):{g.bob},{amount}"


def _as_agent(invoke: Invoke, g: Granted, *args: str, **env: str | None) -> Any:  # noqa: F811
    return invoke(*args, key=None, **{"CHARTER_SESSION_KEY": g.session_key, **env})


# ---------------------------------------------------------------- the grant file


def test_the_grant_file_is_the_sdks_with_checksummed_addresses_and_typed_signatures(granted: Granted) -> None:
    data = json.loads(granted.file.read_text())
    assert data["signatures"] == ["transfer(address to,uint256 amount)"]
    assert data["grant"]["account"] == granted.account and data["grant"]["session_key"] == granted.session_address
    assert data["grant"]["permissions"][0]["target"] == granted.token.address
    signed = SignedGrant.from_json(granted.file.read_text())  # the extra key is ignored by the SDK
    assert signed.grant.agent_id == granted.agent_id


def test_grant_show_names_parameters_and_labels_raw_units(invoke: Invoke, granted: Granted) -> None:  # noqa: F811
    text = _ok(invoke("grant", "show", str(granted.file), key=None))
    assert "call transfer(address to, uint256 amount) on " + granted.token.address in text
    assert f"to == {granted.bob}" in text and "amount <= 50 raw units (decimals unknown)" in text
    assert "move at most 100 raw units (decimals unknown)" in text and "at most 5 calls" in text
    assert "UNBOUNDED" not in text
    shown = _json(invoke("grant", "show", str(granted.file), "--json", key=None))["summary"]
    (permission,) = shown["permissions"]
    assert permission["function"] == "transfer(address to,uint256 amount)" and permission["selector"] == "0xa9059cbb"
    to, amount = permission["conditions"]
    assert to == {"parameter": "to", "position": 0, "word": 0, "op": "EQ", "value": granted.bob}
    assert amount["parameter"] == "amount" and amount["op"] == "LE" and amount["value"] == 50
    assert amount["amount"] == {"raw": 50, "decimals": None, "symbol": None,
                                "display": "50 raw units (decimals unknown)"}
    assert shown["token_budgets"][0]["cap"]["raw"] == 100 and shown["unbounded"] == []
    # Without a node the file still decodes.
    offline = _ok(invoke("--rpc", "http://127.0.0.1:1", "grant", "show", str(granted.file), key=None))
    assert "amount <= 50 raw units (decimals unknown)" in offline


def test_grant_status_then_exec_then_revoke_by_file(invoke: Invoke, granted: Granted) -> None:  # noqa: F811
    state = _json(invoke("grant", "status", str(granted.file), "--json", key=None))["state"]
    assert state["status"] == "PENDING" and state["usable"] is True and state["calls_left"] == 5
    assert state["grant_hash"] == "0x" + SignedGrant.from_json(granted.file.read_text()).hash.hex()

    done = _json(_as_agent(invoke, granted, "session", "exec", "--grant", str(granted.file),
                           "--call", _transfer(granted, 30), "--json"))
    assert done["action"] == "exec" and done["calls"] == 1 and done["session_key"] == granted.session_address
    assert granted.token.functions.balanceOf(granted.bob).call() >= 30
    state = _json(invoke("grant", "status", str(granted.file), "--json", key=None))["state"]
    assert state["status"] == "ACTIVE" and state["calls_left"] == 4 and state["tokens"][0]["left"] == 70
    table = _ok(invoke("grant", "status", str(granted.file), key=None))
    assert "active" in table and "70 raw units (decimals unknown) left" in table

    # Only the account's owner revokes: a stranger is refused, by file or by hash.
    stranger = dev_key(3)
    assert "Unauthorized" in _refused(invoke("grant", "revoke", str(granted.file), key=stranger), 3)
    grant_hash = state["grant_hash"]
    assert "Unauthorized" in _refused(
        invoke("grant", "revoke", grant_hash, "--account", granted.account, key=stranger), 3
    )
    assert "belongs to account" in _refused(
        invoke("grant", "revoke", str(granted.file), "--account", Account.create().address, key=granted.principal)
    )
    revoked = _json(invoke("grant", "revoke", str(granted.file), "--json", key=granted.principal))
    assert revoked["action"] == "revoke" and revoked["account"] == granted.account
    assert _json(invoke("grant", "status", str(granted.file), "--json", key=None))["state"]["status"] == "REVOKED"
    line = _refused(_as_agent(invoke, granted, "session", "exec", "--grant", str(granted.file),
                              "--call", _transfer(granted, 1)), 3)
    assert "GrantRevoked" in line


def test_exec_a_batch_and_refusals(invoke: Invoke, granted: Granted) -> None:  # noqa: F811
    before = granted.token.functions.balanceOf(granted.bob).call()
    out = _ok(_as_agent(invoke, granted, "session", "exec", "--grant", str(granted.file),
                        "--call", _transfer(granted, 20), "--call", _transfer(granted, 25)))
    assert out.startswith("2 calls made from " + granted.account)
    assert granted.token.functions.balanceOf(granted.bob).call() == before + 45
    base = ("session", "exec", "--grant", str(granted.file))
    # Out of scope: over the per-call maximum, another recipient; over the total budget.
    assert "OutOfScope" in _refused(_as_agent(invoke, granted, *base, "--call", _transfer(granted, 51)), 3)
    stranger = Account.create().address
    line = _refused(_as_agent(invoke, granted, *base, "--call",
                              f"{granted.token.address}:transfer(address,uint256):{stranger},1"), 3)
    assert "OutOfScope" in line
    assert "OverBudget" in _refused(_as_agent(invoke, granted, *base, "--call", _transfer(granted, 50),
                                              "--call", _transfer(granted, 10)), 3)
    # A key that is not the grant's session key: refused before anything is signed.
    line = _refused(invoke(*base, "--call", _transfer(granted, 1), key=None, CHARTER_SESSION_KEY=dev_key(4)))
    assert "not the grant's session key" in line
    # No session key at all, or one in another variable.
    assert "CHARTER_SESSION_KEY" in _refused(invoke(*base, "--call", _transfer(granted, 1), key=None))
    _ok(invoke(*base, "--key-env", "AGENT_KEY", "--call", _transfer(granted, 1), key=None,
               AGENT_KEY=granted.session_key))
    # Malformed calls: one line, nothing sent.
    for bad, words in (
        ("0x12:transfer(address,uint256):0x12,1", "not a valid address"),
        (f"{granted.token.address}:transfer(address,uint256):{granted.bob}", "takes 2 argument(s), got 1"),
        (f"{granted.token.address}:transfer(address,uint256):{granted.bob},ten", "is not an integer"),
        (f"{granted.token.address}:transfer", "signature"),
        (f"{granted.token.address}:transfer(address,uint256){granted.bob}", "put a ':'"),
    ):
        assert words in _refused(_as_agent(invoke, granted, *base, "--call", bad)), bad
    # The session key is never an argument.
    result = invoke(*base, "--call", _transfer(granted, 1), "--private-key", granted.session_key, key=None)
    assert result.exit_code == 2 and granted.session_key not in result.stdout + result.stderr


def test_an_expired_grant_is_refused(
    invoke: Invoke, granted: Granted, tmp_path: Path, w3: Any  # noqa: F811
) -> None:
    short = tmp_path / "short.json"
    _ok(invoke("grant", "create", "--agent", str(granted.agent_id), "--key", granted.session_address,
               "--allow", f"{granted.token.address}:transfer(address to,uint256 amount):to={granted.bob}",
               "--max-calls", "1", "--valid-for", "2", "--out", str(short), key=granted.principal))
    time.sleep(3)
    line = _refused(_as_agent(invoke, granted, "session", "exec", "--grant", str(short),
                              "--call", _transfer(granted, 1)), 3)
    assert "GrantExpired" in line
    w3.provider.make_request("evm_mine", [])  # the state is read at the latest block: let one carry the time
    assert _json(invoke("grant", "status", str(short), "--json", key=None))["state"]["status"] == "EXPIRED"


def test_sign_relay_then_relay_as_anyone(
    invoke: Invoke, granted: Granted, tmp_path: Path, dev_accounts: list[ChecksumAddress]  # noqa: F811
) -> None:
    request = tmp_path / "request.json"
    signed = _json(_as_agent(invoke, granted, "session", "sign-relay", "--grant", str(granted.file),
                             "--call", _transfer(granted, 40), "--out", str(request), "--json"))
    assert signed["nonce"] == 0 and signed["calls"] == 1 and signed["file"] == str(request)
    written = json.loads(request.read_text())
    assert written["calls"][0]["target"] == granted.token.address
    assert written["grant"]["grant"]["account"] == granted.account
    before = granted.token.functions.balanceOf(granted.bob).call()
    relayer = dev_accounts[5]
    done = _json(invoke("--unlocked", relayer, "session", "relay", str(request), "--json", key=None))
    assert done["action"] == "relay" and done["relayer"] == relayer and done["nonce"] == 0
    assert granted.token.functions.balanceOf(granted.bob).call() == before + 40
    # A request runs once.
    assert "RequestInvalid" in _refused(invoke("--unlocked", relayer, "session", "relay", str(request), key=None), 3)
    # Malformed request files.
    assert "does not exist" in _refused(invoke("session", "relay", str(tmp_path / "none.json")))
    (tmp_path / "bad.json").write_text("{}")
    assert "not a signed Charter session request" in _refused(invoke("session", "relay", str(tmp_path / "bad.json")))


def test_renounce(invoke: Invoke, granted: Granted) -> None:  # noqa: F811
    done = _json(_as_agent(invoke, granted, "session", "renounce", "--grant", str(granted.file), "--json"))
    assert done["action"] == "renounce" and done["session_key"] == granted.session_address
    assert _json(invoke("grant", "status", str(granted.file), "--json", key=None))["state"]["status"] == "REVOKED"
    assert "GrantRevoked" in _refused(
        _as_agent(invoke, granted, "session", "exec", "--grant", str(granted.file), "--call", _transfer(granted, 1)),
        3,
    )
    # Renouncing twice is refused by the manager; with --json the error is an object on stdout.
    result = _as_agent(invoke, granted, "session", "renounce", "--grant", str(granted.file), "--json")
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 3 and error["type"] == "GrantRevoked" and error["message"]


def test_revoke_all_and_list_under_grant(invoke: Invoke, granted: Granted) -> None:  # noqa: F811
    _ok(_as_agent(invoke, granted, "session", "exec", "--grant", str(granted.file), "--call", _transfer(granted, 5)))
    listed = _json(invoke("grant", "list", granted.account, "--json", key=None))
    assert [g["state"]["status"] for g in listed["grants"]] == ["ACTIVE"]
    assert listed["grants"][0]["grant"] == json.loads(granted.file.read_text())["grant"]  # the wire format
    done = _json(invoke("grant", "revoke-all", "--json", key=granted.principal))
    assert done["epoch"] == 1 and done["account"] == granted.account
    assert _json(invoke("grant", "status", str(granted.file), "--json", key=None))["state"]["status"] == "REVOKED_ALL"
    # The old verbs are the same commands.
    assert _json(invoke("session", "list", granted.account, "--json", key=None)) == _json(
        invoke("grant", "list", granted.account, "--json", key=None)
    )


def test_grant_files_from_elsewhere_are_refused(invoke: Invoke, granted: Granted, tmp_path: Path) -> None:  # noqa: F811
    data = json.loads(granted.file.read_text())
    data["chain_id"] = data["chain_id"] + 1
    other = tmp_path / "other-chain.json"
    other.write_text(json.dumps(data))
    assert "was made for chain" in _refused(invoke("grant", "status", str(other), key=None))
    assert "was made for chain" in _refused(_as_agent(invoke, granted, "session", "exec", "--grant", str(other),
                                                      "--call", _transfer(granted, 1)))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json")
    assert "is not JSON" in _refused(invoke("grant", "show", str(garbage), key=None))
    garbage.write_text('{"grant": 1}')
    assert "not a signed Charter grant" in _refused(invoke("grant", "show", str(garbage), key=None))
    assert "does not exist" in _refused(invoke("grant", "status", str(tmp_path / "missing.json"), key=None))

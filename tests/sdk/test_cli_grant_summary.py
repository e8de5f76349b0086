"""What `charter grant create` shows and asks: parameter names, token decimals, unbounded grants."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_typing import ChecksumAddress

from charter.cli._common import EXIT_DECLINED

from .test_cli import Invoke, _json, _ok, _refused, invoke, principal_key, token  # noqa: F401 - fixtures

# A contract that answers every call with the word 6: decimals() is 6, symbol() decodes to nothing.
grant_module = importlib.import_module("charter.cli.grant")  # `charter.cli.grant` is also the click group

SIX_RUNTIME = "6006600052602060" + "00f3"
SIX_INIT = "0x600a600c600039600a6000f3" + SIX_RUNTIME


@pytest.fixture
def six_decimals(w3: Any, dev_accounts: list[ChecksumAddress]) -> ChecksumAddress:
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": dev_accounts[0], "data": SIX_INIT}))
    address: ChecksumAddress = receipt["contractAddress"]
    assert int.from_bytes(w3.eth.call({"to": address, "data": "0x313ce567"}), "big") == 6
    return address


@pytest.fixture
def setup(invoke: Invoke, principal_key: str) -> tuple[str, str]:  # noqa: F811
    """An upgraded principal with its own agent: (agent id, a fresh session key address)."""
    _ok(invoke("account", "upgrade", key=principal_key))
    agent_id = _json(invoke("agent", "register", "--json", key=principal_key))["agent_id"]
    return str(agent_id), Account.create().address


def test_amounts_are_shown_with_the_tokens_decimals(
    invoke: Invoke, principal_key: str, setup: tuple[str, str], six_decimals: str, tmp_path: Path  # noqa: F811
) -> None:
    agent_id, key = setup
    out = tmp_path / "g.json"
    data = _json(invoke(
        "grant", "create", "--agent", agent_id, "--key", key,
        "--allow", f"{six_decimals}:approve(address spender,uint256 amount):amount<=1500000",
        "--token-budget", f"{six_decimals}:2000000/1d", "--valid-for", "1h", "--out", str(out), "--json",
        key=principal_key,
    ))
    (condition,) = data["summary"]["permissions"][0]["conditions"]
    assert condition["parameter"] == "amount"
    assert condition["amount"] == {"raw": 1_500_000, "decimals": 6, "symbol": None,
                                   "display": "1.5 (1,500,000 raw, 6 decimals)"}
    assert data["summary"]["token_budgets"][0]["cap"]["display"] == "2 (2,000,000 raw, 6 decimals)"
    assert data["file"] == str(out) and data["issued_on_chain"] is False
    text = _ok(invoke("grant", "show", str(out), key=None))
    assert "call approve(address spender, uint256 amount) on " + six_decimals in text
    assert "amount <= 1.5 (1,500,000 raw, 6 decimals)" in text
    assert "move at most 2 (2,000,000 raw, 6 decimals) of token " + six_decimals + " every 1 day" in text


def test_a_grant_file_without_signatures_uses_the_token_functions_names(
    invoke: Invoke, principal_key: str, setup: tuple[str, str], token: Any, tmp_path: Path  # noqa: F811
) -> None:
    agent_id, key = setup
    out = tmp_path / "g.json"
    _ok(invoke("grant", "create", "--agent", agent_id, "--key", key, "--allow",
               f"{token.address}:0xa9059cbb:1<=9", "--max-calls", "2", "--valid-for", "1h", "--out", str(out),
               key=principal_key))
    data = json.loads(out.read_text())
    data.pop("signatures")
    out.write_text(json.dumps(data))
    assert "call transfer(address to, uint256 amount) on " in _ok(invoke("grant", "show", str(out), key=None))
    assert "amount <= 9 raw units" in _ok(invoke("grant", "show", str(out), key=None))


def test_an_unbounded_grant_needs_yes_when_stdin_is_not_a_terminal(
    invoke: Invoke, principal_key: str, setup: tuple[str, str], token: Any, tmp_path: Path  # noqa: F811
) -> None:
    agent_id, key = setup
    out = tmp_path / "g.json"
    base = ("grant", "create", "--agent", agent_id, "--key", key,
            "--allow", f"{token.address}:transfer(address to,uint256 amount)", "--valid-for", "1h", "--out", str(out))
    line = _refused(invoke(*base, key=principal_key), EXIT_DECLINED)
    assert "unbounded" in line and "--yes" in line and "nothing was signed" in line
    assert not out.exists()
    # --json: the error object, still nothing written; issuing on-chain is refused the same way.
    result = invoke(*base, "--json", key=principal_key)
    assert result.exit_code == EXIT_DECLINED and json.loads(result.stdout)["error"]["type"] == "Declined"
    assert not out.exists()
    assert _refused(invoke("grant", "issue", *base[2:], key=principal_key), EXIT_DECLINED)
    # --yes signs it, and the summary says it is unbounded.
    data = _json(invoke(*base, "--yes", "--json", key=principal_key))
    assert data["summary"]["unbounded"] and "no token budget" in data["summary"]["unbounded"][0]
    assert out.exists()
    # A budget, or a call limit, bounds it: no question asked.
    _ok(invoke(*base, "--token-budget", f"{token.address}:10", key=principal_key))
    _ok(invoke(*base, "--max-calls", "3", key=principal_key))


def test_an_unbounded_grant_asks_at_a_terminal(
    invoke: Invoke, principal_key: str, setup: tuple[str, str], token: Any, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, rpc_url: str, manifest_path: Path,
) -> None:
    from click.testing import CliRunner

    from charter.cli import cli

    agent_id, key = setup
    monkeypatch.setattr(grant_module, "stdin_is_interactive", lambda: True)
    out = tmp_path / "g.json"
    args = ["grant", "create", "--agent", agent_id, "--key", key,
            "--allow", f"{token.address}:transfer(address to,uint256 amount)", "--valid-for", "1h", "--out", str(out)]
    env = {"CHARTER_PRIVATE_KEY": principal_key, "CHARTER_RPC": rpc_url, "CHARTER_MANIFEST": str(manifest_path)}
    runner = CliRunner()
    no = runner.invoke(cli, args, input="n\n", env=env)
    assert no.exit_code == EXIT_DECLINED and not out.exists()
    assert "UNBOUNDED: transfer on" in no.output and "not confirmed" in no.output
    eof = runner.invoke(cli, args, input="", env=env)  # Ctrl-D at the prompt: declined, not a traceback
    assert eof.exit_code == EXIT_DECLINED and not out.exists()
    yes = runner.invoke(cli, args, input="y\n", env=env)
    assert yes.exit_code == 0, yes.output
    assert out.exists() and "signed off-chain" in yes.output


def test_one_of_and_positional_conditions_read_back(
    invoke: Invoke, principal_key: str, setup: tuple[str, str], token: Any, tmp_path: Path  # noqa: F811
) -> None:
    agent_id, key = setup
    bob, carol = Account.create().address, Account.create().address
    out = tmp_path / "g.json"
    _ok(invoke("grant", "create", "--agent", agent_id, "--key", key, "--allow",
               f"{token.address}:transfer(address to,uint256 amount):to={bob}|{carol},amount>=2,amount<=9",
               "--allow", f"{token.address}:approve(address,uint256):0={bob},1<=5",
               "--token-budget", f"{token.address}:20", "--valid-for", "1h", "--out", str(out), key=principal_key))
    text = _ok(invoke("grant", "show", str(out), key=None))
    assert f"to one of {{{bob}, {carol}}}" in text
    assert "amount >= 2 raw units (decimals unknown) and amount <= 9 raw units (decimals unknown)" in text
    # Unnamed parameters are shown by position; the approve amount is still a token amount.
    assert f"call approve(address, uint256) on {token.address} where argument 0 == {bob}" in text
    assert "argument 1 <= 5 raw units (decimals unknown)" in text
    summary = _json(invoke("grant", "show", str(out), "--json", key=None))["summary"]
    ops = [(c["parameter"], c["op"]) for c in summary["permissions"][0]["conditions"]]
    assert ops == [("to", "ONE_OF"), ("to", "ONE_OF"), ("amount", "GE"), ("amount", "LE")]


def test_a_grant_for_an_account_that_is_not_one_yet_warns_in_one_line(
    invoke: Invoke, principal_key: str, tmp_path: Path  # noqa: F811
) -> None:
    agent_id = _json(invoke("agent", "register", "--json", key=principal_key))["agent_id"]  # not upgraded
    out = tmp_path / "g.json"
    result = invoke("grant", "create", "--agent", str(agent_id), "--key", Account.create().address,
                    "--allow", "0x" + "77" * 20 + "::value<=1", "--native-budget", "1", "--valid-for", "1h",
                    "--out", str(out), key=principal_key)
    assert result.exit_code == 0, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("warning: ") and "is not a Charter account" in line
    assert out.exists() and "signed off-chain" in result.stdout

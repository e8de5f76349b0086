"""The CLI's conventions: exit codes, JSON error objects, one JSON encoding, progress on stderr only."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from eth_account import Account
from web3.exceptions import TimeExhausted

from charter import Registry
from charter._core.revert import translate
from charter.cli._common import (
    EXIT_CODES,
    EXIT_DECLINED,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOT_CONFIRMED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    Declined,
    exit_code_for,
)
from charter.exceptions import (
    AgentNotActive,
    CharterError,
    EffectNotObserved,
    GrantRevoked,
    InvalidInput,
    NodeUnreachable,
    NotConfirmed,
    TransactionFailed,
)

from .test_cli import Invoke, _json, _ok, _refused, invoke, principal_key, token  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]


def test_exit_codes_of_each_kind_of_failure(w3: Any) -> None:
    assert exit_code_for(InvalidInput("x")) == EXIT_ERROR
    assert exit_code_for(NodeUnreachable("x")) == EXIT_ERROR
    assert exit_code_for(CharterError("x")) == EXIT_ERROR
    assert exit_code_for(ValueError("x")) == EXIT_ERROR
    assert exit_code_for(AgentNotActive("x")) == EXIT_REFUSED
    assert exit_code_for(GrantRevoked("x")) == EXIT_REFUSED
    assert exit_code_for(TransactionFailed("x")) == EXIT_REFUSED
    assert exit_code_for(EffectNotObserved("x")) == EXIT_NOT_CONFIRMED
    assert exit_code_for(NotConfirmed("x")) == EXIT_NOT_CONFIRMED
    assert exit_code_for(Declined("x")) == EXIT_DECLINED
    assert exit_code_for(KeyboardInterrupt()) == EXIT_INTERRUPTED
    assert exit_code_for(click.UsageError("x")) == EXIT_USAGE
    assert [code for code, _ in EXIT_CODES] == [EXIT_OK, 1, 2, 3, 4, 5, 130]
    # A receipt that does not come in time is NotConfirmed (a CharterError, as before).
    with pytest.raises(NotConfirmed, match="not mined in time"), translate(w3):
        raise TimeExhausted("120 s")


def test_the_exit_codes_are_documented() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text()
    for code, _ in EXIT_CODES:
        assert re.search(rf"^\| `{code}` \|", doc, re.MULTILINE), code


def test_help_epilog_lists_the_exit_codes(invoke: Invoke) -> None:  # noqa: F811
    out = _ok(invoke("--help"))
    assert "Exit codes:" in out
    for code, text in EXIT_CODES:
        assert f"{code:<4} {text}" in out


def test_json_errors_global_or_per_command(invoke: Invoke) -> None:  # noqa: F811
    for args in (("--json", "agent", "pause", "999999"), ("agent", "pause", "999999", "--json")):
        result = invoke(*args)
        assert result.exit_code == EXIT_REFUSED
        error = json.loads(result.stdout)["error"]
        assert error["type"] == "UnknownAgent" and error["exit_code"] == EXIT_REFUSED
        assert error["message"].startswith("UnknownAgent: agent 999999 does not exist")
        assert result.stderr.strip() == "error: " + error["message"]
    # Without --json, stdout stays empty.
    assert invoke("agent", "pause", "999999").stdout == ""
    # An input error (exit 1) and a missing key.
    result = invoke("agent", "show", "--wallet", "0x12", "--json")
    assert result.exit_code == EXIT_ERROR and json.loads(result.stdout)["error"]["type"] == "InvalidInput"
    result = invoke("--json", "agent", "pause", "1", key=None)
    assert result.exit_code == EXIT_ERROR and json.loads(result.stdout)["error"]["type"] == "MissingSigner"


def test_usage_errors_exit_2_and_are_json_with_json(invoke: Invoke) -> None:  # noqa: F811
    plain = invoke("agent", "show", "--bogus")
    assert plain.exit_code == EXIT_USAGE and plain.stdout == ""
    (line,) = plain.stderr.strip().splitlines()  # CliRunner names the program "cli", the console script "charter"
    assert re.fullmatch(r"error: No such option: --bogus \(see: \w+ agent show --help\)", line), line
    for args in (("--json", "agent", "show", "--bogus"), ("agent", "pause", "notanumber", "--json"),
                 ("--json", "nosuchcommand")):
        result = invoke(*args)
        assert result.exit_code == EXIT_USAGE, args
        error = json.loads(result.stdout)["error"]
        assert error["type"] == "UsageError" and error["exit_code"] == EXIT_USAGE and error["message"]
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_effect_not_observed_and_interrupt(
    invoke: Invoke, agent_id: int, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    def unobserved(self: Registry, agent: int) -> Any:
        raise EffectNotObserved("the receipt of 0xabc has no StatusChanged event: nothing was paused")

    monkeypatch.setattr(Registry, "pause", unobserved)
    result = invoke("agent", "pause", str(agent_id), "--json")
    assert result.exit_code == EXIT_NOT_CONFIRMED
    assert json.loads(result.stdout)["error"]["type"] == "EffectNotObserved"
    assert "nothing was paused" in _refused(invoke("agent", "pause", str(agent_id)), EXIT_NOT_CONFIRMED)

    def interrupted(self: Registry, agent: int) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(Registry, "pause", interrupted)
    result = invoke("agent", "pause", str(agent_id), "--json")
    assert result.exit_code == EXIT_INTERRUPTED
    assert json.loads(result.stdout)["error"]["type"] == "Interrupted"
    assert result.stderr.strip() == "error: interrupted"


_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_HEXISH = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _check_encoding(value: Any, path: str = "") -> None:
    """snake_case keys, checksummed addresses, no floats anywhere."""
    from web3 import Web3

    if isinstance(value, dict):
        for key, item in value.items():
            assert _KEY.match(key), f"{path}.{key}"
            _check_encoding(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_encoding(item, f"{path}[{i}]")
    elif isinstance(value, str) and _HEXISH.match(value):
        assert Web3.is_checksum_address(value), f"{path}: {value}"
    else:
        assert not isinstance(value, float), path


def test_one_json_encoding(
    invoke: Invoke, principal_key: str, token: Any, tmp_path: Path  # noqa: F811
) -> None:
    me = Account.from_key(principal_key).address
    outputs = [_json(invoke("account", "upgrade", "--json", key=principal_key))]
    registered = _json(invoke("agent", "register", "--json", key=principal_key))
    outputs.append(registered)
    agent = str(registered["agent_id"])
    outputs.append(_json(invoke("agent", "show", agent, "--json")))
    outputs.append(_json(invoke("agent", "list", "--owner", me, "--json")))
    outputs.append(_json(invoke("account", "show", me, "--json")))
    out = tmp_path / "grant.json"
    outputs.append(_json(invoke(
        "grant", "create", "--agent", agent, "--key", Account.create().address,
        "--allow", f"{token.address.lower()}:transfer(address to,uint256 amount):to={me.lower()}",
        "--token-budget", f"{token.address.lower()}:5", "--valid-for", "1h", "--out", str(out), "--json",
        key=principal_key,
    )))
    outputs.append(_json(invoke("grant", "status", str(out), "--json")))
    outputs.append(json.loads(out.read_text()))  # the file the CLI wrote
    for data in outputs:
        _check_encoding(data)
    status = outputs[-2]["state"]
    assert status["status"] == "PENDING" and isinstance(status["valid_until"], int)
    assert outputs[-3]["grant_hash"] == status["grant_hash"] and status["grant_hash"].startswith("0x")
    assert outputs[-1]["grant"]["permissions"][0]["target"] == token.address  # typed lower case, written checksummed


def test_progress_goes_to_stderr_and_never_into_json(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from rich.console import Console

    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    result = invoke("agent", "register", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)  # stdout is only the JSON
    assert data["action"] == "register"
    assert "register: sending and waiting for the receipt" in result.stderr


def test_a_receipt_that_never_comes_is_not_confirmed(w3: Any) -> None:
    """wait_receipt looks again until its timeout, then NotConfirmed (through translate), naming the hash."""
    import time

    from charter._core.tx import wait_receipt

    started = time.monotonic()
    with pytest.raises(NotConfirmed, match="0x" + "ab" * 32), translate(w3):
        wait_receipt(w3, "0x" + "ab" * 32, timeout=0.3)
    assert time.monotonic() - started >= 0.3  # it looked again until its timeout, not once

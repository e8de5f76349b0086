"""The smaller CLI findings of issue 18: each bad input or unusable state is refused with one
line saying what was wrong and what to do, exits non-zero, and nothing is reported as done
that was not.

`intent open --oracle` with no code there; `account max-session 0`; `agent transfer`
without a confirmation; `session sign-relay` under an unusable grant; `intent refund` and
`intent fill` given an order id; `agent get-metadata` of a key the agent does not have;
pydantic's links to its own docs in validation errors.
"""

from __future__ import annotations

import importlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_typing import ChecksumAddress

from charter import Charter, GrantBuilder, LocalSigner, Registry, SignedGrant
from charter.cli import cli
from charter.cli._common import EXIT_DECLINED, one_line_error
from charter.deployments import Manifest

from .conftest import dev_key
from .test_cli import Invoke, _json, _ok, _refused, invoke, principal_key, token  # noqa: F401 - fixtures

PYDANTIC_DOCS = "errors.pydantic.dev"
agent_module = importlib.import_module("charter.cli.agent")  # `charter.cli.agent` is also the click group


# ---------------------------------------------------------------- intent open --oracle


def test_open_refuses_an_oracle_without_code(
    invoke: Invoke, token: Any, alice: LocalSigner, dev_accounts: list[ChecksumAddress],  # noqa: F811
    registry_address: ChecksumAddress, tmp_path: Path,
) -> None:
    token.functions.mint(alice.address, 100).transact({"from": dev_accounts[0]})
    before = token.functions.balanceOf(alice.address).call()
    nobody = Account.create().address
    base = ("--input", f"{token.address}:10", "--output", f"{token.address}:9:{dev_accounts[2]}",
            "--destination-chain", "31338")
    for verb in ("open", "sign"):
        line = _refused(invoke("intent", verb, *base, "--oracle", nobody, "--out", str(tmp_path / f"{verb}.json")))
        assert f"oracle {nobody} has no code on chain" in line and "check the address and the chain" in line
        assert not (tmp_path / f"{verb}.json").exists()
    assert token.functions.balanceOf(alice.address).call() == before  # nothing escrowed
    # A contract there is accepted (whether it proves anything is the order's risk, as documented).
    assert _json(invoke("intent", "sign", *base, "--oracle", registry_address, "--json"))["signature"]


# ---------------------------------------------------------------- account max-session


def test_max_session_zero_is_refused_and_default_says_what_it_sets(
    invoke: Invoke, principal_key: str, w3: Any, manifest_path: Path,  # noqa: F811
) -> None:
    me = Account.from_key(principal_key).address
    _ok(invoke("account", "upgrade", key=principal_key))
    _ok(invoke("account", "max-session", "2h", key=principal_key))
    line = _refused(invoke("account", "max-session", "0", key=principal_key))
    assert "0 does not stop grants" in line and "7-day default" in line and "grant revoke-all" in line
    sessions = Charter.connect(w3, manifest=Manifest.load(manifest_path)).sessions
    assert sessions.max_session_length(me) == 7_200  # nothing was sent
    done = _json(invoke("account", "max-session", "default", "--json", key=principal_key))
    assert done["max_session_length"] == 7 * 86_400 == sessions.max_session_length(me)
    assert "at most 7d (the default)" in _ok(invoke("account", "max-session", "default", key=principal_key))


# ---------------------------------------------------------------- agent transfer


def test_agent_transfer_asks_naming_the_agent_and_both_owners(
    invoke: Invoke, registry: Registry, agent_id: int, alice: LocalSigner, mallory: LocalSigner,  # noqa: F811
    rpc_url: str, manifest_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without a terminal and without --yes: refused, nothing sent.
    line = _refused(invoke("agent", "transfer", str(agent_id), mallory.address), EXIT_DECLINED)
    assert "--yes" in line and "nothing was sent" in line
    assert registry.owner_of(agent_id) == alice.address

    monkeypatch.setattr(agent_module, "stdin_is_interactive", lambda: True)
    env = {"CHARTER_PRIVATE_KEY": dev_key(1), "CHARTER_RPC": rpc_url, "CHARTER_MANIFEST": str(manifest_path)}
    args = ["agent", "transfer", str(agent_id), mallory.address]
    runner = CliRunner()
    no = runner.invoke(cli, args, input="n\n", env=env)
    assert no.exit_code == EXIT_DECLINED
    question = " ".join(no.output.split())
    assert f"agent {agent_id}" in question and alice.address in question and mallory.address in question
    assert registry.owner_of(agent_id) == alice.address
    yes = runner.invoke(cli, args, input="y\n", env=env)
    assert yes.exit_code == 0, yes.output
    assert registry.owner_of(agent_id) == mallory.address
    # --yes skips the question.
    back = _json(invoke("agent", "transfer", str(agent_id), alice.address, "--yes", "--json", key=dev_key(3)))
    assert back["owner"] == alice.address == registry.owner_of(agent_id)


# ---------------------------------------------------------------- session sign-relay


@pytest.fixture
def relay_setup(invoke: Invoke, principal_key: str, w3: Any, manifest_path: Path) -> Any:  # noqa: F811
    """An upgraded account owning an agent, a funded session key, and a way to write grant files."""
    me = Account.from_key(principal_key).address
    _ok(invoke("account", "upgrade", key=principal_key))
    agent_id = _json(invoke("agent", "register", "--json", key=principal_key))["agent_id"]
    session = Account.create()
    sessions = Charter.connect(w3, signer=LocalSigner.from_key(principal_key),
                               manifest=Manifest.load(manifest_path)).sessions
    bob = Account.create().address

    def grant_file(path: Path, after: int, until: int) -> Path:
        builder = GrantBuilder(me, agent_id, session.address).allow(bob).native_budget(100)
        signed = sessions.sign(sessions.prepare(builder.valid_between(after, until)))
        path.write_text(signed.to_json())
        return path

    return sessions, session.key.to_0x_hex(), bob, grant_file


def test_sign_relay_refuses_a_grant_that_cannot_be_used(
    invoke: Invoke, relay_setup: Any, principal_key: str, tmp_path: Path, w3: Any,  # noqa: F811
) -> None:
    sessions, key, bob, grant_file = relay_setup
    now = sessions.chain_time()

    def sign_relay(path: Path) -> Any:
        return invoke("session", "sign-relay", "--grant", str(path), "--call", f"{bob}:value=1",
                      "--out", str(tmp_path / "request.json"), key=None, CHARTER_SESSION_KEY=key)

    later = grant_file(tmp_path / "later.json", now + 3_600, now + 7_200)
    line = _refused(sign_relay(later))
    assert "not yet valid" in line and "nothing was signed" in line
    valid = grant_file(tmp_path / "valid.json", now, now + 3_600)
    _ok(sign_relay(valid))
    assert (tmp_path / "request.json").exists()
    (tmp_path / "request.json").unlink()

    _ok(invoke("grant", "revoke", str(valid), key=principal_key))
    line = _refused(sign_relay(valid))
    assert "revoked" in line and "ask the principal for a new grant" in line
    short = grant_file(tmp_path / "short.json", now, now + 5)
    time.sleep(6)
    w3.provider.make_request("evm_mine", [])
    line = _refused(sign_relay(short))
    assert "expired" in line and "nothing was signed" in line
    edited = json.loads(grant_file(tmp_path / "edited.json", now, now + 3_600).read_text())
    edited["grant"]["native_budget"] = 10**18
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    assert "the signature does not match this grant" in _refused(sign_relay(tmp_path / "edited.json"))
    assert not (tmp_path / "request.json").exists()


# ---------------------------------------------------------------- an order id where the file is needed


def test_refund_and_fill_by_id_say_the_order_file_is_needed(invoke: Invoke) -> None:  # noqa: F811
    order_id = "0x" + "ab" * 32
    for verb in ("refund", "fill"):
        line = _refused(invoke("intent", verb, order_id))
        assert f"charter intent {verb} needs the order file, not only the order id {order_id}" in line
        assert "intent open --out FILE" in line and "does not exist" not in line


# ---------------------------------------------------------------- agent get-metadata


def test_get_metadata_of_a_key_the_agent_does_not_have_fails(
    invoke: Invoke, agent_id: int, registry: Registry,  # noqa: F811
) -> None:
    line = _refused(invoke("agent", "get-metadata", str(agent_id), "nosuchkey", key=None))
    assert f"agent {agent_id} has no metadata key 'nosuchkey'" in line and "set-metadata" in line
    assert _refused(invoke("agent", "get-metadata", str(agent_id), "nosuchkey", "--json", key=None))
    line = _refused(invoke("agent", "get-metadata", "999999", "role", key=None), 3)
    assert "UnknownAgent" in line
    registry.set_metadata(agent_id, "role", b"maker")
    assert _ok(invoke("agent", "get-metadata", str(agent_id), "role", key=None)).strip() == "maker"


# ---------------------------------------------------------------- pydantic's links


def test_validation_errors_show_no_links_to_pydantic_docs(
    invoke: Invoke, tmp_path: Path, w3: Any, manifest_path: Path,  # noqa: F811
) -> None:
    order = tmp_path / "order.json"
    order.write_text('{"user": 1}')
    grant = tmp_path / "grant.json"
    grant.write_text('{"grant": {"account": "0x12"}, "chain_id": "x"}')
    for args in (("intent", "status", str(order)), ("intent", "fill", str(order)),
                 ("grant", "show", str(grant)), ("grant", "status", str(grant))):
        result = invoke(*args, "--json", key=None)
        line = _refused(result)
        assert PYDANTIC_DOCS not in line + result.stdout, line
        assert "validation error" in line and ("user:" in line or "grant.account:" in line), line
    # The SDK's own messages carry none either.
    with pytest.raises(ValueError) as raised:
        SignedGrant.from_json(grant.read_text())
    assert PYDANTIC_DOCS not in str(raised.value) and "chain_id:" in str(raised.value)
    intents = Charter.connect(w3, manifest=Manifest.load(manifest_path)).intents
    with pytest.raises(ValueError) as raised:
        intents.order(user="0x12", inputs=[], outputs=[], destination_chain_id=1)
    assert PYDANTIC_DOCS not in str(raised.value)
    # Whatever else reaches the CLI's error line.
    from pydantic import BaseModel

    class Probe(BaseModel):
        n: int

    with pytest.raises(ValueError) as raised:
        Probe.model_validate({"n": "many"})
    assert PYDANTIC_DOCS in str(raised.value)  # pydantic's own text has the link...
    line = one_line_error(raised.value)
    assert PYDANTIC_DOCS not in line and "n: Input should be a valid integer" in line  # ...the CLI's does not

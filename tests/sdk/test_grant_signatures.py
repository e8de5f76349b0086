"""A grant file's signature is checked before it is shown as usable (issue 18, finding 7).

`SessionsView.check_signature` decides as the SessionManager does on first
use: the account's own key (ECDSA: an EOA or an EIP-7702 account), or the
account's ERC-1271 `isValidSignature` (a deployed account's owner), or the
manager already holding the grant (issued on chain, or used).
`SignedGrant.check_signature` is the offline half. `charter grant show` and
`charter grant status` say plainly when the signature does not match, and
`grant status` never shows a grant so changed as usable.

For each way in, a test that it is accepted and that it is refused: valid,
edited budget, edited scope, wrong signer, zero or empty signature, another
chain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from charter import Charter, GrantBuilder, GrantStatus, InvalidInput, LocalSigner, NodeSigner, SignedGrant
from charter._core.eip712 import sign_typed
from charter.sessions.models import SIGNATURE_MISMATCH, Grant, Permission, TokenBudget

from .test_cli import Invoke, _json, _ok, invoke  # noqa: F401 - fixtures
from .test_sessions import (  # noqa: F401 - fixtures
    agent,
    agent_key,
    as_principal,
    fund,
    grant_for,
    mint,
    principal,
    token,
    upgraded,
)


def _with(signed: SignedGrant, **grant_fields: Any) -> SignedGrant:
    """`signed` with grant fields changed and its signature kept: a file edited after signing."""
    return signed.model_copy(update={"grant": signed.grant.model_copy(update=grant_fields)})


def _raised_budget(grant: Grant) -> tuple[TokenBudget, ...]:
    (budget,) = grant.token_budgets
    return (budget.model_copy(update={"cap": budget.cap * 1_000}),)


def _wider_scope(grant: Grant, target: str) -> tuple[Permission, ...]:
    (permission,) = grant.permissions
    return (permission, Permission(target=target, selector=permission.selector))


# ---------------------------------------------------------------- the SDK


def test_the_accounts_own_signature_verifies_offline_and_on_chain(
    as_principal: Charter, grant_for: Any, upgraded: str, agent_key: LocalSigner, bob: NodeSigner,  # noqa: F811
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    offline = signed.check_signature()
    assert offline.valid is True and offline.method == "ECDSA" and offline.signer == upgraded
    checked = sessions.check_signature(signed)
    assert checked.valid is True and checked.method == "ECDSA"
    state = sessions.state(signed)
    assert state.usable and state.problem is None and state.signature == checked


@pytest.mark.parametrize("edit", ["budget", "scope", "window"])
def test_a_grant_changed_after_signing_does_not_verify(
    edit: str, as_principal: Charter, grant_for: Any, upgraded: str, bob: NodeSigner,  # noqa: F811
    mallory: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    g = signed.grant
    changed = {
        "budget": lambda: _with(signed, token_budgets=_raised_budget(g)),
        "scope": lambda: _with(signed, permissions=_wider_scope(g, mallory.address)),
        "window": lambda: _with(signed, valid_until=g.valid_until + 60),
    }[edit]()
    offline = changed.check_signature()
    assert offline.valid is None and SIGNATURE_MISMATCH in offline.reason  # offline: only "unless ERC-1271"
    checked = sessions.check_signature(changed)
    assert checked.valid is False and checked.reason.startswith(SIGNATURE_MISMATCH)
    state = sessions.state(changed)
    assert state.status is GrantStatus.PENDING and not state.usable
    assert state.problem is not None and state.problem.startswith(SIGNATURE_MISMATCH)


def test_a_grant_signed_by_another_key_or_for_another_chain_does_not_verify(
    as_principal: Charter, grant_for: Any, upgraded: str, principal: LocalSigner, bob: NodeSigner,  # noqa: F811
    mallory: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    typed = sessions.typed_data(signed.grant)
    by_mallory = signed.model_copy(update={"signature": sign_typed(mallory, typed)})
    checked = sessions.check_signature(by_mallory)
    assert checked.valid is False and checked.signer == mallory.address and mallory.address in checked.reason
    assert not sessions.state(by_mallory).usable

    other_chain = {**typed, "domain": {**typed["domain"], "chainId": 999}}
    replayed = signed.model_copy(update={"signature": sign_typed(principal, other_chain)})
    assert sessions.check_signature(replayed).valid is False
    # A file whose chain id was changed is another chain's grant: not checked here, and not valid offline.
    moved = signed.model_copy(update={"chain_id": 999})
    with pytest.raises(InvalidInput, match="made for chain 999"):
        sessions.check_signature(moved)
    assert moved.check_signature().valid is not True


def test_zero_or_empty_signatures_do_not_verify_unless_issued_on_chain(
    as_principal: Charter, grant_for: Any, upgraded: str, bob: NodeSigner,  # noqa: F811
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    zero = signed.model_copy(update={"signature": b"\x00" * 65})
    checked = sessions.check_signature(zero)
    assert checked.valid is False and checked.signer is None and SIGNATURE_MISMATCH in checked.reason
    empty = signed.model_copy(update={"signature": b""})
    assert empty.check_signature().valid is None
    checked = sessions.check_signature(empty)
    assert checked.valid is False and "no signature" in checked.reason
    assert not sessions.state(empty).usable

    issued, _ = sessions.issue(grant_for(upgraded, bob.address, salt=b"\x01" * 32))
    checked = sessions.check_signature(issued)
    assert issued.signature == b"" and checked.valid is True and checked.method == "on chain"
    assert sessions.state(issued).usable
    # The issued grant with its budget raised is another grant, never issued.
    assert sessions.check_signature(_with(issued, token_budgets=_raised_budget(issued.grant))).valid is False


def test_a_deployed_accounts_owner_signature_verifies_through_erc1271(
    w3: Web3, as_principal: Charter, principal: LocalSigner, agent: int, agent_key: LocalSigner,  # noqa: F811
    bob: NodeSigner, mallory: LocalSigner, token: Any,  # noqa: F811
) -> None:
    sessions = as_principal.sessions
    account = as_principal.accounts.deploy(principal.address, salt=11)
    builder = GrantBuilder(account, agent, agent_key.address).allow_transfer(token.address, to=bob.address)
    signed = sessions.sign(sessions.prepare(builder.token_budget(token.address, cap=10).valid_for(hours=1)))
    assert signed.check_signature().valid is None  # the owner's signature: only the account can tell
    checked = sessions.check_signature(signed)
    assert checked.valid is True and checked.method == "ERC-1271"
    assert sessions.state(signed).usable
    changed = _with(signed, token_budgets=_raised_budget(signed.grant))
    checked = sessions.check_signature(changed)
    assert checked.valid is False and checked.method == "ERC-1271" and "refuses it" in checked.reason
    assert not sessions.state(changed).usable
    by_mallory = signed.model_copy(update={"signature": sign_typed(
        mallory, sessions.signing_typed_data(signed.grant))})
    assert sessions.check_signature(by_mallory).valid is False


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def grant_file(as_principal: Charter, grant_for: Any, upgraded: str, bob: NodeSigner, tmp_path: Path) -> Path:  # noqa: F811
    """A grant file as `charter grant create --out` writes it (the SDK's JSON)."""
    signed = as_principal.sessions.sign(grant_for(upgraded, bob.address))
    path = tmp_path / "grant.json"
    path.write_text(signed.to_json())
    return path


def _edited(path: Path, tmp_path: Path) -> Path:
    """The grant file with its token budget raised a thousandfold (signature kept)."""
    data = json.loads(path.read_text())
    data["grant"]["token_budgets"][0]["cap"] *= 1_000
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    return edited


def test_grant_status_never_shows_an_edited_grant_as_usable(
    invoke: Invoke, grant_file: Path, tmp_path: Path,  # noqa: F811
) -> None:
    edited = _edited(grant_file, tmp_path)
    state = _json(invoke("grant", "status", str(edited), "--json", key=None))["state"]
    assert state["usable"] is False and state["problem"].startswith(SIGNATURE_MISMATCH)
    assert state["signature"]["valid"] is False
    text = _ok(invoke("grant", "status", str(edited), key=None))
    assert _usable_row(text) == "no"
    assert "signature: DOES NOT MATCH: the signature does not match this grant" in text

    state = _json(invoke("grant", "status", str(grant_file), "--json", key=None))["state"]
    assert state["usable"] is True and state["signature"]["valid"] is True
    assert _usable_row(_ok(invoke("grant", "status", str(grant_file), key=None))) == "yes"


def _usable_row(table: str) -> str:
    (row,) = [line for line in table.splitlines() if " usable " in line]
    return row.replace("│", " ").split()[-1]


def test_grant_show_says_whether_the_signature_matches(
    invoke: Invoke, grant_file: Path, tmp_path: Path,  # noqa: F811
) -> None:
    edited = _edited(grant_file, tmp_path)
    text = " ".join(_ok(invoke("grant", "show", str(edited), key=None)).split())
    assert "signature: DOES NOT MATCH: the signature does not match this grant" in text
    assert _json(invoke("grant", "show", str(edited), "--json", key=None))["signature"]["valid"] is False

    text = _ok(invoke("grant", "show", str(grant_file), key=None))
    assert "signature: valid" in text
    assert _json(invoke("grant", "show", str(grant_file), "--json", key=None))["signature"]["valid"] is True
    # Without a node the signature is checked offline: never shown valid when it does not recover to the account.
    offline = " ".join(_ok(invoke("--rpc", "http://127.0.0.1:1", "grant", "show", str(edited), key=None)).split())
    assert "signature: not verified" in offline and "signature: valid" not in offline
    assert "signature: valid" in _ok(invoke("--rpc", "http://127.0.0.1:1", "grant", "show", str(grant_file),
                                            key=None))

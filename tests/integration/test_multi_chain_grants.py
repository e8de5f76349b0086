"""One signature, many chains: a grant signed once for chains A and B, each entry used on its own chain.

The SDK (`sign_multi_chain`, `Sessions.execute` activating each entry on its first use, `Sessions.revoke`
per chain) and the CLI (`charter grant create --chains`, `grant show`, `session exec`, `grant revoke --chain`
/ `--everywhere`) against the two anvils of the `world` fixture. The principal is a fresh EIP-7702 account
on both chains, owning an agent on each (so its consent is implied); `other` is a second account granting
the principal's agent, whose consent is then needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from charter import Charter, LocalSigner
from charter._core.eip712 import sign_typed
from charter._core.revert import RevertContext
from charter._core.tx import send_checked
from charter.cli import cli
from charter.exceptions import (
    AgentConsentMissing,
    GrantExists,
    GrantRevoked,
    GrantSignatureInvalid,
    InvalidInput,
    OverBudget,
)
from charter.sessions import (
    GrantStatus,
    MultiChainGrant,
    Sessions,
    SignedGrant,
    consent_multi_chain,
    prepare_on_chains,
    sign_multi_chain,
)
from charter.sessions.calldata import calldata
from charter.sessions.typed_data import multi_chain_typed_data

from .conftest import CHAIN_A, CHAIN_B, Side, World

TRANSFER = "transfer(address to,uint256 amount)"
ETH = 10**18


@dataclass
class Party:
    """An EIP-7702 account on both chains, with a token balance and an agent of its own on each."""

    key: LocalAccount
    signer: LocalSigner
    on: dict[int, Charter]
    agents: dict[int, int]

    @property
    def address(self) -> str:
        return self.key.address

    def sessions(self, chain_id: int) -> Sessions:
        return self.on[chain_id].sessions


def _fund(side: Side, world: World, who: str) -> None:
    side.w3.eth.wait_for_transaction_receipt(world.deployer.send_transaction(side.w3, {"to": who, "value": ETH}))


def _party(world: World, same_agent_id: bool = False) -> Party:
    key = Account.create()
    signer = LocalSigner.from_key(key.key)
    on, agents = {}, {}
    for chain_id, side in ((CHAIN_A, world.a), (CHAIN_B, world.b)):
        _fund(side, world, key.address)
        side.send(world.deployer, side.token.functions.mint(key.address, 1_000))
        on[chain_id] = Charter.connect(side.w3, signer=signer)
        on[chain_id].accounts.upgrade(signer)
        agents[chain_id] = on[chain_id].registry.register("ipfs://charter-test/multi-chain-agent.json")
    while same_agent_id and agents[CHAIN_A] != agents[CHAIN_B]:  # the CLI names one --agent for every chain
        behind = min(agents, key=lambda c: agents[c])
        agents[behind] = on[behind].registry.register("ipfs://charter-test/multi-chain-agent.json")
    return Party(key, signer, on, agents)


@pytest.fixture(scope="module")
def principal(world: World) -> Party:
    return _party(world, same_agent_id=True)


@pytest.fixture
def session_key(world: World) -> LocalSigner:
    key = LocalSigner.from_key(Account.create().key)
    for side in (world.a, world.b):
        _fund(side, world, key.address)
    return key


def token_of(world: World, chain_id: int) -> Any:
    return (world.a if chain_id == CHAIN_A else world.b).token


def balance(world: World, chain_id: int, who: str) -> int:
    return int(token_of(world, chain_id).functions.balanceOf(who).call())


def grants_for(world: World, party: Party, key: str, caps: dict[int, int], agents: dict[int, int] | None = None,
               account: str | None = None) -> list[tuple[Sessions, Any]]:
    """Each chain's grant: transfers of that chain's token, at most caps[chain] in total."""
    pairs = []
    for chain_id in (CHAIN_A, CHAIN_B):
        sessions = party.sessions(chain_id)
        token = token_of(world, chain_id).address
        builder = (sessions.builder(account or party.address, (agents or party.agents)[chain_id], key)
                   .allow(token, TRANSFER).token_budget(token, cap=caps[chain_id]).valid_for(hours=1))
        pairs.append((sessions, sessions.prepare(builder)))
    return pairs


def transfer(world: World, chain_id: int, to: str, amount: int) -> Any:
    from charter import Call

    return Call.to(token_of(world, chain_id).address, "transfer(address,uint256)", to, amount)


# ---------------------------------------------------------------- the SDK


def test_typed_data_matches_the_contract_digest(world: World, principal: Party, session_key: LocalSigner) -> None:
    """The SDK's digest is what the account signs through eth-account's full EIP-712 encoding, and a
    signature of it activates on chain (checked by the SessionActivator)."""
    from charter._core.eip712 import reference_digest

    a, b = principal.sessions(CHAIN_A), principal.sessions(CHAIN_B)
    builder = (a.builder(principal.address, principal.agents[CHAIN_A], session_key.address)  # one agent id on both
               .allow_eth(Account.create().address, max_value=1).valid_for(hours=1))
    multi = sign_multi_chain(prepare_on_chains(builder, [a, b]), principal.signer)
    assert multi.digest == reference_digest(multi_chain_typed_data(multi.grants, multi.manager))
    assert multi.check_signature().valid is True
    tx = principal.sessions(CHAIN_A).activate(multi.entry(CHAIN_A), principal.signer)  # anyone may send it
    assert tx.sent
    assert principal.sessions(CHAIN_A).state(multi.entry(CHAIN_A)).status is GrantStatus.ACTIVE


def test_one_signature_works_on_both_chains_within_each_budget(
    world: World, principal: Party, session_key: LocalSigner
) -> None:
    bob = Account.create().address
    multi = sign_multi_chain(grants_for(world, principal, session_key.address, {CHAIN_A: 100, CHAIN_B: 150}),
                             principal.signer)
    assert len(multi.entries) == 2 and multi.account == principal.address
    restored = MultiChainGrant.from_json(multi.to_json())
    assert restored == multi and restored.grants == multi.grants
    a, b = principal.sessions(CHAIN_A), principal.sessions(CHAIN_B)
    entry_a = SignedGrant.from_json(multi.entry(CHAIN_A).to_json())  # one chain's file works alone
    # chain A: the first use activates the entry (its own transaction), then the call; then the budget binds
    first = a.execute(entry_a, transfer(world, CHAIN_A, bob, 60), key=session_key)
    assert first.note is not None and f"entry for chain {CHAIN_A} was activated first" in first.note
    assert a.state(entry_a).status is GrantStatus.ACTIVE
    assert a.execute(entry_a, transfer(world, CHAIN_A, bob, 0), key=session_key).note is None  # active now
    with pytest.raises(OverBudget) as over:
        a.execute(entry_a, transfer(world, CHAIN_A, bob, 50), key=session_key)
    assert over.value.left == 40
    # chain B's budget is its own: 150, untouched by A's spending
    b.execute(multi.entry(CHAIN_B), transfer(world, CHAIN_B, bob, 150), key=session_key)
    assert (balance(world, CHAIN_A, bob), balance(world, CHAIN_B, bob)) == (60, 150)
    # replaying the activation is harmless: nothing to send through the SDK, and the contract refuses it
    assert a.activate(entry_a, session_key).sent is False
    data = calldata("activate", entry_a.grant.as_tuple(), entry_a.signature, entry_a.agent_consent,
                    list(entry_a.grants))
    with pytest.raises(GrantExists):
        send_checked(a.w3, session_key, a.address, data, RevertContext(action="activate"))
    assert a.state(entry_a).calls_used == 2  # nothing more happened


def test_an_entry_is_never_used_on_the_other_chain(world: World, principal: Party, session_key: LocalSigner) -> None:
    multi = sign_multi_chain(grants_for(world, principal, session_key.address, {CHAIN_A: 100, CHAIN_B: 150}),
                             principal.signer)
    entry_a = multi.entry(CHAIN_A)
    b = principal.sessions(CHAIN_B)
    bob = Account.create().address
    with pytest.raises(InvalidInput, match=f"made for chain {CHAIN_A}"):  # the SDK refuses before sending
        b.execute(entry_a, transfer(world, CHAIN_B, bob, 1), key=session_key)
    # the contract refuses too: A's grant, hashed on B, is none of the signed entries
    data = calldata("activate", entry_a.grant.as_tuple(), entry_a.signature, entry_a.agent_consent,
                    list(entry_a.grants))
    with pytest.raises(GrantSignatureInvalid, match="another chain's entry"):
        send_checked(b.w3, session_key, b.address, data, RevertContext(action="activate", chain_id=CHAIN_B))
    assert b.state(multi.entry(CHAIN_B)).status is GrantStatus.PENDING  # B's own entry is untouched
    with pytest.raises(InvalidInput, match="no entry for chain 5"):
        multi.entry(5)


@pytest.mark.parametrize("case", ["stranger", "zero", "other list", "one chain's grant hash"])
def test_signatures_that_are_not_the_accounts_are_refused(
    world: World, principal: Party, session_key: LocalSigner, case: str
) -> None:
    multi = sign_multi_chain(grants_for(world, principal, session_key.address, {CHAIN_A: 100, CHAIN_B: 150}),
                             principal.signer)
    stranger = LocalSigner.from_key(Account.create().key)
    signature = {
        "stranger": lambda: sign_typed(stranger, multi.typed_data()),
        "zero": lambda: b"\x00" * 65,
        "other list": lambda: sign_typed(principal.signer, multi_chain_typed_data(
            [*multi.grants, b"\x01" * 32], multi.manager)),
        "one chain's grant hash": lambda: sign_typed(principal.signer, multi.entry(CHAIN_A).grant.typed_data(
            CHAIN_A, multi.manager)),
    }[case]()
    forged = multi.model_copy(update={"signature": signature})
    assert forged.check_signature().valid is not True
    a = principal.sessions(CHAIN_A)
    with pytest.raises(GrantSignatureInvalid):
        a.execute(forged.entry(CHAIN_A), transfer(world, CHAIN_A, Account.create().address, 1), key=session_key)
    assert a.state(multi.entry(CHAIN_A)).status is GrantStatus.PENDING


def test_only_the_accounts_own_key_signs(world: World, principal: Party, session_key: LocalSigner) -> None:
    pairs = grants_for(world, principal, session_key.address, {CHAIN_A: 1, CHAIN_B: 1})
    with pytest.raises(InvalidInput, match="only .* own key can sign"):
        sign_multi_chain(pairs, LocalSigner.from_key(Account.create().key))
    with pytest.raises(InvalidInput, match="2 to 16 entries"):
        sign_multi_chain(pairs[:1], principal.signer)
    with pytest.raises(InvalidInput, match="more than once"):
        sign_multi_chain([pairs[0], pairs[0]], principal.signer)


def test_revoking_one_entry_leaves_the_other_chain_working(
    world: World, principal: Party, session_key: LocalSigner
) -> None:
    multi = sign_multi_chain(grants_for(world, principal, session_key.address, {CHAIN_A: 100, CHAIN_B: 150}),
                             principal.signer)
    a, b = principal.sessions(CHAIN_A), principal.sessions(CHAIN_B)
    a.revoke(multi.entry(CHAIN_A))  # before its first use
    bob = Account.create().address
    with pytest.raises(GrantRevoked):
        a.execute(multi.entry(CHAIN_A), transfer(world, CHAIN_A, bob, 1), key=session_key)
    b.execute(multi.entry(CHAIN_B), transfer(world, CHAIN_B, bob, 7), key=session_key)
    assert (balance(world, CHAIN_A, bob), balance(world, CHAIN_B, bob)) == (0, 7)


def test_relayed_first_use_is_activated_by_the_relayer(
    world: World, principal: Party, session_key: LocalSigner
) -> None:
    """A gasless agent: the key signs a request, the relayer activates the entry and relays."""
    multi = sign_multi_chain(grants_for(world, principal, session_key.address, {CHAIN_A: 100, CHAIN_B: 150}),
                             principal.signer)
    b = principal.sessions(CHAIN_B)
    bob = Account.create().address
    request = b.sign_request(multi.entry(CHAIN_B), transfer(world, CHAIN_B, bob, 9), key=session_key)
    b.relay(request, relayer=LocalSigner.from_key(world.relayer_key))
    assert balance(world, CHAIN_B, bob) == 9


def test_consent_is_over_the_multi_chain_digest(world: World, principal: Party, session_key: LocalSigner) -> None:
    """Another account grants the principal's agents: the agent owner consents once, to the same digest."""
    other = _party(world)
    pairs = grants_for(world, other, session_key.address, {CHAIN_A: 100, CHAIN_B: 150}, agents=principal.agents)
    with pytest.raises(AgentConsentMissing, match="on chain"):
        sign_multi_chain(pairs, other.signer)
    wrong = sign_typed(principal.signer, pairs[0][1].typed_data(CHAIN_A, pairs[0][0].address))  # one chain's hash
    with pytest.raises(AgentConsentMissing, match="not a signature of this multi-chain grant"):
        sign_multi_chain(pairs, other.signer, agent_consent=wrong)
    with pytest.raises(InvalidInput, match="cannot consent"):
        consent_multi_chain(pairs, LocalSigner.from_key(Account.create().key))
    consent = consent_multi_chain(pairs, principal.signer)
    multi = sign_multi_chain(pairs, other.signer, agent_consent=consent)
    assert multi.agent_consent == consent
    assert sign_multi_chain(pairs, other.signer, agent_consent=principal.signer).agent_consent == consent
    bob = Account.create().address
    other.sessions(CHAIN_A).execute(multi.entry(CHAIN_A), transfer(world, CHAIN_A, bob, 5), key=session_key)
    assert balance(world, CHAIN_A, bob) == 5


def test_a_deployed_account_is_refused_with_what_to_do(world: World, principal: Party) -> None:
    account = principal.on[CHAIN_A].accounts.deploy(principal.address, salt=7)
    assert principal.on[CHAIN_B].accounts.deploy(principal.address, salt=7) == account  # CREATE2: the same
    pairs = grants_for(world, principal, Account.create().address, {CHAIN_A: 1, CHAIN_B: 1}, account=account)
    with pytest.raises(InvalidInput) as refused:
        sign_multi_chain(pairs, principal.signer)
    text = str(refused.value)
    assert "deployed Charter account" in text and "one signature cannot serve several chains" in text
    assert "Sign one grant per chain" in text


# ---------------------------------------------------------------- the CLI


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart by default


def _cli(world: World, principal: Party, *args: str, env: dict[str, str] | None = None,
         rpc: str | None = None) -> Any:
    """`charter --rpc A ARGS` as the principal; no chain's RPC but A's (--rpc) is known unless `env` says."""
    base: dict[str, str | None] = {
        "CHARTER_PRIVATE_KEY": principal.key.key.to_0x_hex(), "CHARTER_RPC": None, "CHARTER_MANIFEST": None,
        f"CHARTER_RPC_{CHAIN_A}": None, f"CHARTER_RPC_{CHAIN_B}": None,
    }
    return _runner().invoke(cli, ["--rpc", rpc or world.a.chain.url, *args], env={**base, **(env or {})},
                            catch_exceptions=False)


def _refused(result: Any, needle: str, code: int = 1) -> str:
    """A failure: exit `code`, no traceback, `needle` in what it printed; returns stdout + stderr."""
    out = result.stdout + result.stderr
    assert result.exit_code == code, out
    assert "Traceback" not in out, out
    assert needle in out, out
    return out


def test_cli_grant_create_show_use_and_revoke_everywhere(
    world: World, principal: Party, session_key: LocalSigner, tmp_path: Any
) -> None:
    bob = Account.create().address
    path = tmp_path / "multi.json"
    b_env = {f"CHARTER_RPC_{CHAIN_B}": world.b.chain.url}
    created = _cli(world, principal, "grant", "create", "--chains", f"{CHAIN_A},{CHAIN_B}",
                   "--agent", str(principal.agents[CHAIN_A]), "--key", session_key.address,
                   "--allow", f"{bob}::value<=1000", "--native-budget", "1500", "--valid-for", "1h",
                   "--out", str(path), env=b_env)
    assert created.exit_code == 0, created.output
    assert f"chain {CHAIN_A} (RPC from --rpc)" in created.output
    assert f"chain {CHAIN_B} (RPC from $CHARTER_RPC_{CHAIN_B})" in created.output
    multi = MultiChainGrant.from_json(path.read_text())
    assert multi.chain_ids == [CHAIN_A, CHAIN_B] and multi.check_signature().valid is True

    shown = _cli(world, principal, "grant", "show", str(path), "--json", env=b_env)
    assert shown.exit_code == 0, shown.output
    entries = json.loads(shown.output)["entries"]
    assert [(e["chain_id"], e["state_checked"], e["status"]) for e in entries] == [
        (CHAIN_A, True, "pending (not used yet)"), (CHAIN_B, True, "pending (not used yet)")]
    assert [e["grant_hash"] for e in entries] == ["0x" + h.hex() for h in multi.grants]
    unseen = _cli(world, principal, "grant", "show", str(path))  # no RPC for B known: said so, not an error
    assert unseen.exit_code == 0, unseen.output
    assert f"chain {CHAIN_B}: not checked (no RPC for chain {CHAIN_B}: set $CHARTER_RPC_{CHAIN_B})" in unseen.output
    assert f"chain {CHAIN_A}: pending (not used yet)" in unseen.output

    # the agent uses B's entry (the --rpc chain's): activated on first use, then the call
    used = _cli(world, principal, "session", "exec", "--grant", str(path), "--call", f"{bob}:value=1000",
                env={"CHARTER_SESSION_KEY": session_key.account.key.to_0x_hex()}, rpc=world.b.chain.url)
    assert used.exit_code == 0, used.output
    assert world.b.w3.eth.get_balance(Web3.to_checksum_address(bob)) == 1000

    # revoke A's entry only, then everywhere (B without an RPC first: reported, not claimed)
    one = _cli(world, principal, "grant", "revoke", str(path), "--chain", str(CHAIN_A))
    assert one.exit_code == 0, one.output
    assert f"revoked on chain {CHAIN_A}" in one.output
    partial = _cli(world, principal, "grant", "revoke", str(path), "--everywhere")
    out = _refused(partial, f"chain {CHAIN_B}: NOT REVOKED: chain {CHAIN_B} has no RPC")
    assert f"chain {CHAIN_A}: revoked" in out and "it was revoked already" in out
    assert principal.sessions(CHAIN_B).state(multi.entry(CHAIN_B)).status is GrantStatus.ACTIVE
    everywhere = _cli(world, principal, "grant", "revoke", str(path), "--everywhere", "--json", env=b_env)
    assert everywhere.exit_code == 0, everywhere.output
    report = json.loads(everywhere.output)
    assert report["revoked_everywhere"] is True
    assert [(c["chain_id"], c["revoked"], c["status"]) for c in report["chains"]] == [
        (CHAIN_A, True, "revoked"), (CHAIN_B, True, "revoked")]
    assert report["chains"][0]["transaction"] is None and report["chains"][1]["transaction"] is not None
    for chain_id in (CHAIN_A, CHAIN_B):
        assert principal.sessions(chain_id).state(multi.entry(chain_id)).status is GrantStatus.REVOKED


@pytest.mark.parametrize(("chains", "env", "needle"), [
    ("{A},999", {}, "error: chain 999 has no RPC"),
    ("{A},{B}", {}, "error: chain {B} has no RPC (--rpc {rpc_a} is chain {A}): set $CHARTER_RPC_{B}"),
    ("{A},{B}", {"CHARTER_RPC_{B}": "{rpc_a}"}, "but that node is chain {A}; point it at chain {B}'s node"),
    ("{A},{B}={rpc_a}", {}, "--chains gives {rpc_a} for chain {B}, but that node is chain {A}"),
    ("{A},{A}", {}, "error: --chains names chain {A} more than once"),
    ("{A},abc", {}, "error: --chains: 'abc' is not a chain id"),
    (",".join(str(i) for i in range(1, 18)), {}, "error: --chains names 17 chains; at most 16"),
    ("{A}", {}, "a multi-chain grant needs 2 to 16"),
])
def test_cli_chain_list_errors_are_one_line(world: World, principal: Party, chains: str, env: dict[str, str],
                                            needle: str) -> None:
    def fill(text: str) -> str:
        return text.format(A=CHAIN_A, B=CHAIN_B, rpc_a=world.a.chain.url)

    result = _cli(world, principal, "grant", "create", "--chains", fill(chains), "--agent", "1",
                  "--key", Account.create().address, "--allow", f"{Account.create().address}::value<=1",
                  "--valid-for", "1h", env={fill(k): fill(v) for k, v in env.items()})
    _refused(result, fill(needle))
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")


# ---------------------------------------------------------------- revocations signed once for every chain


def test_a_revocation_signed_once_is_carried_to_the_other_chain(
    world: World, principal: Party, session_key: LocalSigner
) -> None:
    """The principal revokes a multi-chain grant on B with one signature; anyone (here a relayer's
    key) submits the same signature on A, read from B's RevokeGrantsSigned event: both chains stop it,
    and submitting it again changes nothing (nothing is sent)."""
    from charter.sessions.revocations import SignedRevocation, sign_revoke_grants

    bob = Account.create().address
    multi = sign_multi_chain(grants_for(world, principal, session_key.address, {CHAIN_A: 50, CHAIN_B: 50}),
                             principal.signer)
    for chain_id in (CHAIN_A, CHAIN_B):
        principal.sessions(chain_id).execute(multi.entry(chain_id), transfer(world, chain_id, bob, 1), session_key)
    revocation = sign_revoke_grants(principal.sessions(CHAIN_B).address, multi.grants, principal.signer)
    sent = principal.sessions(CHAIN_B).submit_revocation(revocation)
    assert sent.sent
    manager_b = principal.sessions(CHAIN_B).contract
    receipt = world.b.w3.eth.get_transaction_receipt(sent.tx_hash)
    from web3.logs import DISCARD

    (event,) = manager_b.events.RevokeGrantsSigned().process_receipt(receipt, errors=DISCARD)
    carried = SignedRevocation(manager=manager_b.address, account=event["args"]["account"],
                               grants=tuple(event["args"]["grants"]), signature=event["args"]["signature"])
    relayer = LocalSigner.from_key(Account.create().key)
    _fund(world.a, world, relayer.address)
    assert principal.sessions(CHAIN_A).submit_revocation(carried, relayer).sent
    for chain_id in (CHAIN_A, CHAIN_B):
        assert principal.sessions(chain_id).state(multi.entry(chain_id)).status is GrantStatus.REVOKED
        with pytest.raises(GrantRevoked):
            principal.sessions(chain_id).execute(multi.entry(chain_id), transfer(world, chain_id, bob, 1), session_key)
    again = principal.sessions(CHAIN_A).submit_revocation(carried, relayer)
    assert again.sent is False and "already" in (again.note or "")


def test_a_signed_revocation_is_refused_for_another_account_or_manager(world: World, principal: Party) -> None:
    from charter.exceptions import GrantSignatureInvalid as Refused
    from charter.sessions.revocations import SignedRevocation, sign_revoke_all

    revocation = sign_revoke_all(principal.sessions(CHAIN_A).address, principal.signer, nonce=99)
    stranger = LocalSigner.from_key(Account.create().key)
    forged = SignedRevocation(manager=revocation.manager, account=stranger.address, nonce=99,
                              signature=revocation.signature)
    _fund(world.a, world, stranger.address)
    with pytest.raises(Refused, match="not signed by the account"):
        principal.sessions(CHAIN_A).submit_revocation(forged, stranger)
    other_manager = SignedRevocation(manager=stranger.address, account=principal.address, nonce=99,
                                     signature=revocation.signature)
    with pytest.raises(InvalidInput, match="signed for the SessionManager"):
        principal.sessions(CHAIN_A).submit_revocation(other_manager)


def test_cli_revoke_all_everywhere_reports_what_each_chain_shows(
    world: World, session_key: LocalSigner
) -> None:
    party = _party(world, same_agent_id=True)
    epochs = {c: party.sessions(c).epoch_of(party.address) for c in (CHAIN_A, CHAIN_B)}
    b_env = {f"CHARTER_RPC_{CHAIN_B}": world.b.chain.url}
    missing = _cli(world, party, "grant", "revoke-all", "--everywhere", f"{CHAIN_A},{CHAIN_B}")
    _refused(missing, f"chain {CHAIN_B} has no RPC")
    assert party.sessions(CHAIN_A).epoch_of(party.address) == epochs[CHAIN_A]  # refused before anything was sent
    done = _cli(world, party, "grant", "revoke-all", "--everywhere", f"{CHAIN_A},{CHAIN_B}", "--json", env=b_env)
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["revoked_everywhere"] is True and report["signed_revocation"]["account"] == party.address
    for row in report["chains"]:
        assert row["revoked"] and row["epoch"] == epochs[row["chain_id"]] + 1
        assert row["how"].startswith("signed revocation")
    text = _cli(world, party, "grant", "revoke-all", "--everywhere", f"{CHAIN_A},{CHAIN_B}", env=b_env)
    assert text.exit_code == 0, text.output
    assert f"chain {CHAIN_A}: revoked, epoch now {epochs[CHAIN_A] + 2}" in text.output

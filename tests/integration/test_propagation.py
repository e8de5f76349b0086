"""The relayer carries kills between chains (issue 20, part 3; M2): agents' states and signed revocations.

On the two anvils of the `world` fixture: an agent registered on A is mirrored on B by the
committee (the AttesterOracle at the same CREATE2 address on both chains, whose 2-of-3
committee the relayer's attester keys are) or over Hyperlane (HyperlaneAgents, deployed with
CREATE2 at one address on both chains, carried by the relayer's Hyperlane half over the real
Mailboxes). Each test drives a Relayer round by round (`step`) and reads what B shows: the
mirror, the `Represented` events (each state delivered once), and a real session on B whose
grant names the represented id (an EIP-7702 principal that owns the agent at home).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from charter import Call, Charter, LocalSigner
from charter._core.artifacts import abi
from charter._core.deployments import create2_address, deploy_code, deployment_code
from charter.cli import cli
from charter.devchain import local_anvil
from charter.exceptions import AgentChangedHands, AgentNotActive, AgentRetired, AgentStateRefused, GrantRevoked
from charter.hyperlane import AgentsRoute, deploy_hyperlane_agents
from charter.intents import deploy_oracle
from charter.processes.chain import connect as connect_rpc
from charter.processes.hyperlane import HyperlaneConfig
from charter.processes.propagate import AgentRoute
from charter.processes.relayer import ChainConfig, RelayConfig, Relayer
from charter.processes.sender import Pipeline
from charter.registry import AgentStatus
from charter.registry.represent import AgentState, CommitteeInbox, MirrorState, represented_id
from charter.sessions import SignedGrant
from charter.sessions.revocations import sign_revoke_all, sign_revoke_grants

from .conftest import CHAIN_A, CHAIN_B, COMMITTEE, CONFIRMATIONS, VALIDATORS, Side, World, until
from .test_multi_chain_grants import _runner

ETH = 10**18
TRANSFER = "transfer(address to,uint256 amount)"


# ---------------------------------------------------------------- fixtures


@dataclass
class Principal:
    """An EIP-7702 account on both chains (tokens on each), owning agents it registers on A."""

    key: LocalAccount
    signer: LocalSigner
    a: Charter
    b: Charter

    @property
    def address(self) -> str:
        return str(self.key.address)

    def agent(self) -> int:
        """A new agent of this principal, registered on A."""
        return self.a.registry.register("ipfs://charter-test/propagated-agent.json")


def _fund(side: Side, world: World, who: str) -> None:
    side.w3.eth.wait_for_transaction_receipt(world.deployer.send_transaction(side.w3, {"to": who, "value": ETH}))


@pytest.fixture(scope="module")
def principal(world: World) -> Principal:
    key = Account.create()
    signer = LocalSigner.from_key(key.key)
    on = []
    for side in (world.a, world.b):
        _fund(side, world, key.address)
        side.send(world.deployer, side.token.functions.mint(key.address, 10**6))
        charter = Charter.connect(side.w3, signer=signer)
        charter.accounts.upgrade(signer)
        on.append(charter)
    return Principal(key, signer, *on)


@pytest.fixture(scope="module")
def inbox(world: World) -> str:
    """The committee's inbox on B: the AttesterOracle of the same committee as A's (same CREATE2 address)."""
    address = deploy_oracle(world.b.w3, world.deployer, [m.address for m in COMMITTEE], 2)
    assert address == world.oracle
    return address


@pytest.fixture(scope="module")
def hyperlane_agents(world: World) -> str:
    """HyperlaneAgents on both chains, one address (CREATE2, the same route table), ISM: the local 2-of-3."""
    a, b = world.hyperlane
    routes = [AgentsRoute(CHAIN_A, a.domain, a.mailbox.address, a.ism.address),
              AgentsRoute(CHAIN_B, b.domain, b.mailbox.address, b.ism.address)]
    addresses = {deploy_hyperlane_agents(side.w3, world.deployer, routes) for side in (world.a, world.b)}
    (address,) = addresses
    return address


def chains(world: World, start: tuple[int, int], inbox: str | None = None, agents: str | None = None,
           confirmations: int = CONFIRMATIONS) -> list[ChainConfig]:
    """Both chains; B mirrors through `inbox` (committee) and/or both run `agents` (HyperlaneAgents)."""
    a, b = world.hyperlane
    hl = {c: HyperlaneConfig(mailbox=lane.mailbox.address, agents=agents) for c, lane in ((CHAIN_A, a), (CHAIN_B, b))}
    return [
        ChainConfig(CHAIN_A, world.a.chain.url, confirmations=confirmations, start_block=start[0],
                    hyperlane=hl[CHAIN_A] if agents else None),
        ChainConfig(CHAIN_B, world.b.chain.url, confirmations=confirmations, start_block=start[1],
                    agents_oracle=inbox, hyperlane=hl[CHAIN_B] if agents else None),
    ]


@pytest.fixture
def committee_relayer(world: World, relayer: Callable[..., Relayer], start: tuple[int, int],
                      inbox: str) -> Callable[..., Relayer]:
    """A relayer keeping the given agents of A represented on B by the committee."""

    def make(*agents: int, db: Path | None = None, **kw: Any) -> Relayer:
        kw.setdefault("chains", chains(world, start, inbox=inbox))
        routes = [AgentRoute(CHAIN_A, agent, (CHAIN_B,), ("committee",)) for agent in agents]
        return relayer(db, agents=routes, **kw)

    return make


def mirror(world: World, inbox: str, agent: int) -> MirrorState | None:
    return MirrorState.read(world.b.user.registry, represented_id(inbox, CHAIN_A, agent))


def home(world: World, agent: int) -> AgentState:
    return AgentState.read(world.a.user.registry, agent)


def deliveries(world: World, inbox: str, agent: int, since: int) -> list[tuple[int, int]]:
    """(sequence, status) of every state of `agent` that B's registry took since block `since`."""
    events = world.b.user.registry.contract.events.Represented().get_logs(
        from_block=since, argument_filters={"agentId": represented_id(inbox, CHAIN_A, agent)})
    return [(int(e.args.sequence), int(e.args.status)) for e in events]


def shows(world: World, inbox: str, agent: int, status: AgentStatus, sequence: int | None = None) -> Callable[[], bool]:
    """B's mirror holds `status` (and `sequence`), `CONFIRMATIONS` blocks deep: the relayer is done with it."""

    def check() -> bool:
        held = mirror(world, inbox, agent)
        return held is not None and held.status is status and (sequence is None or held.sequence == sequence)

    return check


def session_on_b(world: World, p: Principal, mirror_id: int) -> tuple[SignedGrant, LocalSigner]:
    """A grant by `p` on B to a fresh session key, in the name of the represented agent (its owner: consent implied)."""
    key = LocalSigner.from_key(Account.create().key)
    _fund(world.b, world, key.address)
    sessions = p.b.sessions
    token = world.b.token.address
    builder = sessions.builder(p.address, mirror_id, key.address).allow(token, TRANSFER).token_budget(
        token, cap=1_000).valid_for(hours=1)
    return sessions.sign(sessions.prepare(builder)), key


def pay(world: World, side: Side | None = None) -> Call:
    token = (side or world.b).token.address
    return Call.to(token, "transfer(address,uint256)", Account.create().address, 1)


# ---------------------------------------------------------------- the committee


def test_every_kill_reaches_b_once_and_a_session_there_follows(world: World, principal: Principal, inbox: str,
                                                               committee_relayer: Callable[..., Relayer],
                                                               start: tuple[int, int]) -> None:
    agent = principal.agent()
    r = committee_relayer(agent)
    represented = represented_id(inbox, CHAIN_A, agent)
    # first delivery: the mirror appears under the oracle's represented id, as the home registry holds it
    until(shows(world, inbox, agent, AgentStatus.ACTIVE), r.step)
    held, state = mirror(world, inbox, agent), home(world, agent)
    assert held is not None and (held.owner, held.generation, held.sequence) == (state.owner, 1, state.sequence)
    assert (held.home_chain_id, held.home_agent_id, held.inbox) == (CHAIN_A, agent, inbox)
    grant, key = session_on_b(world, principal, represented)
    principal.b.sessions.execute(grant, pay(world), key=key)  # the represented agent acts on B

    # pause on A: B shows it paused, and the session there is refused
    principal.a.registry.pause(agent)
    until(shows(world, inbox, agent, AgentStatus.PAUSED), r.step)
    with pytest.raises(AgentNotActive):
        principal.b.sessions.execute(grant, pay(world), key=key)
    # resume re-enables
    principal.a.registry.resume(agent)
    until(shows(world, inbox, agent, AgentStatus.ACTIVE, home(world, agent).sequence), r.step)
    principal.b.sessions.execute(grant, pay(world), key=key)
    # a transfer: generation 2 on B, the grant of the last owner is void
    new_owner = world.deployer
    principal.a.registry.transfer(agent, new_owner.address)
    until(lambda: (m := mirror(world, inbox, agent)) is not None and m.generation == 2, r.step)
    assert mirror(world, inbox, agent).owner == new_owner.address  # type: ignore[union-attr]
    with pytest.raises(AgentChangedHands):
        principal.b.sessions.execute(grant, pay(world), key=key)
    # retire is final
    Charter.connect(world.a.w3, signer=new_owner).registry.retire(agent)
    until(shows(world, inbox, agent, AgentStatus.RETIRED), r.step)
    for _ in range(3):
        r.step()
    # every state went over once, in order
    seen = deliveries(world, inbox, agent, start[1])
    assert [s for s, _ in seen] == sorted({s for s, _ in seen})
    assert [AgentStatus(s) for _, s in seen] == [AgentStatus.ACTIVE, AgentStatus.PAUSED, AgentStatus.ACTIVE,
                                                 AgentStatus.ACTIVE, AgentStatus.RETIRED]
    assert seen[-1][0] == home(world, agent).sequence
    with pytest.raises(AgentRetired):  # a new grant for it is refused before anything is signed
        session_on_b(world, principal, represented)


def test_an_intent_on_b_naming_the_agent_obeys_its_home(world: World, principal: Principal, inbox: str,
                                                         committee_relayer: Callable[..., Relayer]) -> None:
    """Intents on B that name the represented agent: opened while A says Active, refused once A's
    pause is delivered, opened again after the resume."""
    from charter.exceptions import IntentAgentInactive
    from charter.intents import Input, Output

    agent = principal.agent()
    r = committee_relayer(agent)
    represented = represented_id(inbox, CHAIN_A, agent)
    until(shows(world, inbox, agent, AgentStatus.ACTIVE), r.step)
    intents = principal.b.intents

    def order() -> Any:
        return intents.order(
            user=principal.address, agent_id=represented, inputs=[Input(token=world.b.token.address, amount=10)],
            outputs=[Output(token=world.a.token.address, amount=9, recipient=principal.address, chain_id=CHAIN_A)],
            destination_chain_id=CHAIN_A, oracle=inbox, fill_within=600,
        )

    intents.open(order(), principal.signer)
    principal.a.registry.pause(agent)
    until(shows(world, inbox, agent, AgentStatus.PAUSED), r.step)
    with pytest.raises(IntentAgentInactive):
        intents.open(order(), principal.signer)
    principal.a.registry.resume(agent)
    until(shows(world, inbox, agent, AgentStatus.ACTIVE, home(world, agent).sequence), r.step)
    intents.open(order(), principal.signer)


def test_replayed_stale_tied_and_forged_states_change_nothing(world: World, principal: Principal, inbox: str,
                                                              committee_relayer: Callable[..., Relayer],
                                                              start: tuple[int, int]) -> None:
    agent = principal.agent()
    first = home(world, agent)
    r = committee_relayer(agent)
    until(shows(world, inbox, agent, AgentStatus.ACTIVE), r.step)
    principal.a.registry.pause(agent)
    until(shows(world, inbox, agent, AgentStatus.PAUSED), r.step)
    paused = home(world, agent)
    b = CommitteeInbox(world.b.w3, inbox, world.deployer)
    members = [m.key for m in COMMITTEE]

    def deliver(state: AgentState, keys: list[Any] = members) -> Any:
        return b.deliver(state, b.proof(state, keys))

    before = deliveries(world, inbox, agent, start[1])
    # out of order (the first state, delivered late) and a replay of the current one: accepted, nothing changes
    for state in (first, paused):
        assert "nothing changed" in (deliver(state).note or "")
    # a tie: another state with the pause's sequence (a fork's, say) does not revive the agent
    fork = paused.model_copy(update={"status": AgentStatus.ACTIVE})
    assert "nothing changed" in (deliver(fork).note or "")
    assert mirror(world, inbox, agent).status is AgentStatus.PAUSED  # type: ignore[union-attr]
    # forged: signed by strangers, or by fewer members than the threshold, is refused
    revived = paused.model_copy(update={"status": AgentStatus.ACTIVE, "sequence": paused.sequence + 5})
    for keys in ([Account.create().key for _ in range(3)], members[:1]):
        with pytest.raises(AgentStateRefused, match="did not attest"):
            deliver(revived, keys)
    for _ in range(3):
        r.step()
    assert deliveries(world, inbox, agent, start[1]) == before
    assert mirror(world, inbox, agent).sequence == paused.sequence  # type: ignore[union-attr]


def _reorg_a(world: World, snapshot: str) -> None:
    """Revert A to `snapshot` (a reorg within the confirmations), keeping its clock ahead."""
    clock = world.a.now
    world.a.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    if world.a.now < clock:
        world.a.warp(clock - world.a.now + 1)


def test_a_reorg_on_a_before_confirmation_is_never_carried(world: World, principal: Principal, inbox: str,
                                                           committee_relayer: Callable[..., Relayer],
                                                           start: tuple[int, int]) -> None:
    """The pause is mined on A and reorged away before it is `confirmations` deep: B never shows it.
    Then a pause delivered for real is never revived by a resume that a reorg removed."""
    agent = principal.agent()
    depth = 4  # margin for the 1 s blocks: the relayer steps once right after the pause, well within it
    r = committee_relayer(agent, chains=chains(world, start, inbox=inbox, confirmations=depth))
    until(shows(world, inbox, agent, AgentStatus.ACTIVE), r.step)
    active = home(world, agent)

    snapshot = world.a.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    principal.a.registry.pause(agent)
    r.step()  # the pause is at A's head, not confirmed: nothing is carried
    _reorg_a(world, snapshot)
    assert home(world, agent).status is AgentStatus.ACTIVE  # A's history without the pause
    world.a.mine(depth + 3)
    for _ in range(4):
        r.step()
    assert all(s == int(AgentStatus.ACTIVE) for _, s in deliveries(world, inbox, agent, start[1]))
    assert mirror(world, inbox, agent).sequence == active.sequence  # type: ignore[union-attr]
    assert r.chains[CHAIN_A].link.halted is None  # a reorg within the confirmations is no fault

    principal.a.registry.pause(agent)  # for real
    until(shows(world, inbox, agent, AgentStatus.PAUSED), r.step)
    paused = home(world, agent)
    snapshot = world.a.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    principal.a.registry.resume(agent)
    r.step()
    _reorg_a(world, snapshot)
    world.a.mine(depth + 3)
    for _ in range(4):
        r.step()
    held = mirror(world, inbox, agent)
    assert held is not None and held.status is AgentStatus.PAUSED and held.sequence == paused.sequence


def test_a_reset_home_chain_halts_and_nothing_it_shows_is_carried(world: World, principal: Principal, inbox: str,
                                                                   tmp_path: Path, start: tuple[int, int]) -> None:
    """P2: A's RPC now serves a new chain with A's id, where the same agent id is Active with a higher
    sequence (a naive relayer would revive the paused mirror on B): A is halted, B stays paused."""
    agent = principal.agent()
    config = RelayConfig(chains=chains(world, start, inbox=inbox), oracles={},
                         attester_keys=[m.key.hex() for m in COMMITTEE], sender_key=world.relayer_key,
                         db=str(tmp_path / "reset.sqlite"), poll_interval=0.2,
                         agents=[AgentRoute(CHAIN_A, agent, (CHAIN_B,))])
    providers: dict[int, Web3] = {}

    def connect(chain: ChainConfig) -> Web3:
        providers[chain.chain_id] = connect_rpc(chain.rpc, chain.rpc_timeout)
        return providers[chain.chain_id]

    r = Relayer(config, connect=connect)
    try:
        principal.a.registry.pause(agent)
        until(shows(world, inbox, agent, AgentStatus.PAUSED), r.step)
        paused = home(world, agent)
        with local_anvil(CHAIN_A, block_time=1) as fresh:  # chain A after a reset, behind the same RPC
            Charter.deploy(fresh.w3, world.deployer)
            other = Charter.connect(fresh.w3, signer=world.deployer).registry
            while (last := other.register("ipfs://charter-test/reset.json")) < agent:
                pass
            assert last == agent
            for _ in range(paused.sequence):
                other.pause(agent)
                other.resume(agent)  # Active, and its sequence above the pause's
            fresh.w3.provider.make_request("anvil_mine", ["0x5"])  # type: ignore[arg-type]
            providers[CHAIN_A].provider.endpoint_uri = fresh.url  # type: ignore[attr-defined]
            for _ in range(6):
                r.step()
                time.sleep(0.3)
            assert r.chains[CHAIN_A].link.halted is not None and "genesis" in r.chains[CHAIN_A].link.halted
        held = mirror(world, inbox, agent)
        assert held is not None and held.status is AgentStatus.PAUSED and held.sequence == paused.sequence
    finally:
        r.close()


class Abandoned(BaseException):
    """The relayer process dies here (not an Exception: nothing in the round catches it)."""


@pytest.mark.parametrize("broadcast", [False, True], ids=["before-broadcast", "after-broadcast"])
def test_a_relayer_killed_between_the_pause_and_its_delivery_delivers_it_once(
        world: World, principal: Principal, inbox: str, committee_relayer: Callable[..., Relayer],
        start: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broadcast: bool) -> None:
    agent = principal.agent()
    db = tmp_path / "kill.sqlite"
    first = committee_relayer(agent, db=db)
    until(shows(world, inbox, agent, AgentStatus.ACTIVE), first.step)
    principal.a.registry.pause(agent)
    sequence = home(world, agent).sequence
    send = Pipeline.send

    def dies(self: Pipeline, prepared: Any) -> None:
        if broadcast:
            send(self, prepared)
        raise Abandoned

    monkeypatch.setattr(Pipeline, "send", dies)
    with pytest.raises(Abandoned):
        until(lambda: False, first.step)  # the pause confirmed, the delivery under way: the process dies
    monkeypatch.setattr(Pipeline, "send", send)
    first.close()
    assert (sequence, int(AgentStatus.PAUSED)) not in deliveries(world, inbox, agent, start[1]) or broadcast
    second = committee_relayer(agent, db=db)
    until(shows(world, inbox, agent, AgentStatus.PAUSED, sequence), second.step)
    for _ in range(3):
        second.step()
    assert deliveries(world, inbox, agent, start[1]).count((sequence, int(AgentStatus.PAUSED))) == 1


def test_agents_represented_by_the_inbox_are_found_and_kept_up_to_date(
        world: World, principal: Principal, inbox: str, relayer: Callable[..., Relayer],
        start: tuple[int, int]) -> None:
    """discover_agents: a mirror someone else created on B (here: the committee by hand) is followed."""
    agent = principal.agent()
    b = CommitteeInbox(world.b.w3, inbox, world.deployer)
    state = home(world, agent)
    b.deliver(state, b.proof(state, [m.key for m in COMMITTEE]))
    r = relayer(chains=chains(world, start, inbox=inbox), discover_agents=True)
    until(lambda: (CHAIN_A, agent, CHAIN_B, "committee") in r.store.agents(), r.step)
    principal.a.registry.pause(agent)
    until(shows(world, inbox, agent, AgentStatus.PAUSED), r.step)


def test_start_up_checks_name_the_kill_keys(world: World, inbox: str, hyperlane_agents: str, tmp_path: Path,
                                          start: tuple[int, int]) -> None:
    """An `agents_oracle` without code or whose committee the keys are not in, a HyperlaneAgents bound to
    another Mailbox, a SessionManager without code: one line each; the right configuration passes."""
    from charter.processes.preflight import check_relay_chain

    def problems(chain: ChainConfig, keys: list[Any] | None = None, **kw: Any) -> list[str]:
        config = RelayConfig(chains=[chain], oracles={}, sender_key=world.relayer_key, db=str(tmp_path / "x"),
                             attester_keys=[k.hex() for k in (keys or [m.key for m in COMMITTEE])],
                             validator_keys=[v.key.hex() for v in VALIDATORS], **kw)
        return check_relay_chain(world.b.w3, chain, config, "chains[1]")

    good = chains(world, start, inbox=inbox, agents=hyperlane_agents)[1]
    assert problems(good, forward_revocations=True) == []
    nobody = Account.create().address
    (line,) = problems(dataclasses.replace(good, agents_oracle=nobody))
    assert line.startswith("chains[1]: `agents_oracle`") and "has no code" in line
    (line,) = problems(good, keys=[Account.create().key for _ in range(2)])
    assert "`agents_oracle`" in line and "needs 2 signatures and 0 of the 2 attester keys" in line
    other_mailbox = world.hyperlane[0].mailbox.address  # A's, not B's
    wrong = dataclasses.replace(good, hyperlane=HyperlaneConfig(mailbox=other_mailbox, agents=hyperlane_agents))
    assert any("`agents`" in p and "bound to the Mailbox" in p for p in problems(wrong))
    (line,) = problems(dataclasses.replace(good, session_manager=nobody), forward_revocations=True)
    assert "`session_manager`" in line and "has no code" in line


# ---------------------------------------------------------------- signed revocations


def test_signed_revocations_made_on_b_reach_a_once(world: World, principal: Principal, relayer: Callable[..., Relayer],
                                                  start: tuple[int, int], caplog: pytest.LogCaptureFixture) -> None:
    manager = create2_address("SessionManager")
    agent = principal.agent()  # its own agent on A: the principal's grants there need no consent
    sessions = principal.a.sessions
    grants = []
    for _ in range(2):
        key = LocalSigner.from_key(Account.create().key)
        _fund(world.a, world, key.address)
        token = world.a.token.address
        builder = sessions.builder(principal.address, agent, key.address).allow(token, TRANSFER).token_budget(
            token, cap=1_000).valid_for(hours=1)
        signed = sessions.sign(sessions.prepare(builder))
        sessions.execute(signed, pay(world, world.a), key=key)
        grants.append((signed, key))
    (one, one_key), (other, other_key) = grants
    epoch = int(sessions.contract.functions.epochOf(principal.address).call())
    # the principal signs once for every chain; someone sends both on B
    revoke_all = sign_revoke_all(manager, principal.signer, nonce=7)
    revoke_one = sign_revoke_grants(manager, [one.hash], principal.signer)
    on_b = world.b.w3.eth.contract(address=manager, abi=sessions.contract.abi)
    principal.b.sessions.submit_revocation(revoke_one, world.deployer)
    r = relayer(chains=chains(world, start), forward_revocations=True)
    caplog.set_level(logging.INFO, logger="charter.relay")
    until(lambda: int(sessions.contract.functions.stateOf(principal.address, one.hash).call()) & 255 == 2, r.step)
    with pytest.raises(GrantRevoked):
        sessions.execute(one, pay(world, world.a), key=one_key)
    sessions.execute(other, pay(world, world.a), key=other_key)  # only the listed grant
    principal.b.sessions.submit_revocation(revoke_all, world.deployer)
    until(lambda: int(sessions.contract.functions.epochOf(principal.address).call()) == epoch + 1, r.step)
    with pytest.raises(GrantRevoked, match="revokeAll"):
        sessions.execute(other, pay(world, world.a), key=other_key)
    # done on both chains once confirmed; A's own events, read back, end there (B shows them applied)
    until(lambda: all(r.store.revocation_state(t.revocation.revocation_id, c) == "done"
                      for c in (CHAIN_A, CHAIN_B) for t in r.store.revocation_targets(c, "pending", "sent", "done")),
          r.step)
    for _ in range(3):
        r.step()
    manager_a = sessions.contract
    logs_a = [*manager_a.events.RevokeAllSigned().get_logs(from_block=start[0]),
              *manager_a.events.RevokeGrantsSigned().get_logs(from_block=start[0])]
    logs_b = [*on_b.events.RevokeAllSigned().get_logs(from_block=start[1]),
              *on_b.events.RevokeGrantsSigned().get_logs(from_block=start[1])]
    mine = [e for e in logs_a if e.args.account == principal.address]
    assert len(mine) == 2 and len([e for e in logs_b if e.args.account == principal.address]) == 2
    assert int(sessions.contract.functions.epochOf(principal.address).call()) == epoch + 1
    sent = [rec.getMessage() for rec in caplog.records if "sent here (tx" in rec.getMessage()]
    assert len(sent) == 2 and all(f"chain {CHAIN_A}:" in m for m in sent)  # nothing echoed back to B


def test_a_chain_that_refuses_a_revocation_is_logged_once_and_holds_back_nothing(
        world: World, principal: Principal, inbox: str, relayer: Callable[..., Relayer], start: tuple[int, int],
        caplog: pytest.LogCaptureFixture) -> None:
    """A's SessionManager, as configured, is another one (another address: the signature, made for
    B's, is not for it): the revocation is refused there once, logged once, and the relayer's
    other work (an agent's pause carried to B) goes on."""
    other = deploy_code(world.a.w3, world.deployer, "SessionManager", bytes(deployment_code("SessionManager")),
                        salt=b"\x01" * 32).address
    agent = principal.agent()
    both = chains(world, start, inbox=inbox)
    r = relayer(chains=[dataclasses.replace(both[0], session_manager=other), both[1]], forward_revocations=True,
                agents=[AgentRoute(CHAIN_A, agent, (CHAIN_B,))])
    principal.b.sessions.submit_revocation(sign_revoke_all(create2_address("SessionManager"), principal.signer),
                                           world.deployer)
    principal.a.registry.pause(agent)
    with caplog.at_level(logging.ERROR, logger="charter.relay"):
        until(lambda: any(r.store.revocation_state(t.revocation.revocation_id, CHAIN_A) == "refused"
                          for t in r.store.revocation_targets(CHAIN_A, "refused")), r.step)
        until(shows(world, inbox, agent, AgentStatus.PAUSED), r.step)
        for _ in range(3):
            r.step()
    refusals = [rec.getMessage() for rec in caplog.records if f"chain {CHAIN_A} refuses" in rec.getMessage()]
    assert len(refusals) == 1 and "GrantSignatureInvalid" in refusals[0]


# ---------------------------------------------------------------- Hyperlane


def test_a_pause_on_a_reaches_b_over_hyperlane_reported_once(world: World, principal: Principal,
                                                             hyperlane_agents: str, relayer: Callable[..., Relayer],
                                                             start: tuple[int, int], tmp_path: Path) -> None:
    agent = principal.agent()
    db = tmp_path / "hyperlane.sqlite"
    routes = [AgentRoute(CHAIN_A, agent, (CHAIN_B,), ("hyperlane",))]
    config = {"chains": chains(world, start, agents=hyperlane_agents), "agents": routes,
              "validator_keys": [v.key.hex() for v in VALIDATORS]}
    r = relayer(db, **config)
    until(shows(world, hyperlane_agents, agent, AgentStatus.ACTIVE), r.step)
    principal.a.registry.pause(agent)
    sequence = home(world, agent).sequence
    # reported, then the relayer stops before the message is delivered; a new one does not report again
    until(lambda: r.store.agent_send(CHAIN_B, "hyperlane", CHAIN_A, agent, sequence, int(AgentStatus.PAUSED)), r.step)
    r.close()
    second = relayer(db, **config)
    until(shows(world, hyperlane_agents, agent, AgentStatus.PAUSED, sequence), second.step)
    for _ in range(3):
        second.step()
    agents_a = world.a.w3.eth.contract(address=hyperlane_agents, abi=abi("HyperlaneAgents"))
    reported = agents_a.events.Reported().get_logs(from_block=start[0], argument_filters={"agentId": agent})
    assert sorted(int(e.args.sequence) for e in reported) == [sequence - 1, sequence]  # each state once
    assert deliveries(world, hyperlane_agents, agent, start[1]) == [
        (sequence - 1, int(AgentStatus.ACTIVE)), (sequence, int(AgentStatus.PAUSED))]
    for event in reported:
        assert world.hyperlane[1].mailbox.functions.delivered(event.args.messageId).call()


# ---------------------------------------------------------------- charter agent pause --everywhere

def _agent_cli(world: World, p: Principal, *args: str) -> Any:
    env = {"CHARTER_PRIVATE_KEY": p.key.key.to_0x_hex(), "CHARTER_RPC": None, "CHARTER_MANIFEST": None,
           f"CHARTER_RPC_{CHAIN_B}": world.b.chain.url}
    return _runner().invoke(cli, ["--rpc", world.a.chain.url, *args], env=env, catch_exceptions=False)


@pytest.fixture
def running() -> Iterator[Callable[[Relayer], None]]:
    """Run a relayer's rounds in the background while a command waits."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(r: Relayer) -> None:
        def loop() -> None:
            while not stop.is_set():
                r.step()
                stop.wait(0.3)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=30)


def test_pause_everywhere_reports_what_each_chain_shows(
    world: World, principal: Principal, inbox: str, committee_relayer: Callable[..., Relayer],
    running: Callable[[Relayer], None],
) -> None:
    agent = principal.agent()
    r = committee_relayer(agent)
    until(shows(world, inbox, agent, AgentStatus.ACTIVE), r.step)

    # Nobody carries it within --wait 0: the pause is made at home, B is reported as not yet paused.
    early = _agent_cli(world, principal, "agent", "pause", str(agent), "--everywhere", f"{CHAIN_A},{CHAIN_B}",
                 "--inbox", inbox, "--wait", "0")
    out = early.stdout + early.stderr
    assert early.exit_code != 0 and "Traceback" not in out, out
    assert f"chain {CHAIN_B} through {inbox}: NOT YET: still Active" in out
    assert principal.a.registry.status(agent) is AgentStatus.PAUSED

    # With the relayer running, resume is watched until B shows it.
    running(r)
    done = _agent_cli(world, principal, "agent", "resume", str(agent), "--everywhere", f"{CHAIN_A},{CHAIN_B}",
                "--inbox", inbox, "--wait", "60", "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["observed_everywhere"] is True
    (row,) = report["chains"]
    assert (row["chain_id"], row["status"], row["sequence"]) == (CHAIN_B, "Active", report["home_sequence"])


def test_everywhere_needs_an_inbox_and_another_chain(world: World, principal: Principal, inbox: str) -> None:
    agent = principal.agent()
    no_inbox = _agent_cli(world, principal, "agent", "pause", str(agent), "--everywhere", f"{CHAIN_A},{CHAIN_B}")
    assert no_inbox.exit_code != 0 and "--everywhere needs the inboxes" in no_inbox.stdout + no_inbox.stderr
    only_home = _agent_cli(world, principal, "agent", "pause", str(agent), "--everywhere", f"{CHAIN_A}",
                           "--inbox", inbox)
    assert only_home.exit_code != 0 and "names no chain but the agent's home chain" in (
        only_home.stdout + only_home.stderr)
    assert principal.a.registry.status(agent) is AgentStatus.ACTIVE  # refused before anything was sent


# ---------------------------------------------------------------- charter relay --config


def test_cli_relay_carries_a_pause_from_its_file(world: World, principal: Principal, inbox: str,
                                                 start: tuple[int, int], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`charter relay --config` with only kills to carry: [[agents]] and B's `agents_oracle`."""
    import json

    from click.testing import CliRunner

    from charter.cli import cli

    for i, member in enumerate(COMMITTEE):
        monkeypatch.setenv(f"TEST_ATTESTER_{i}", member.key.hex())
    monkeypatch.setenv("TEST_RELAYER_KEY", world.relayer_key)
    agent = principal.agent()
    principal.a.registry.pause(agent)
    world.a.mine(CONFIRMATIONS + 1)  # confirmed before the relayer first looks: the mirror is born paused
    toml = tmp_path / "relay.toml"
    toml.write_text(
        f'db = "{tmp_path / "relay.sqlite"}"\nsender_key_env = "TEST_RELAYER_KEY"\npoll_interval = 0.2\n'
        'attester_keys_env = ["TEST_ATTESTER_0", "TEST_ATTESTER_1", "TEST_ATTESTER_2"]\n'
        f'\n[[chains]]\nchain_id = {CHAIN_A}\nrpc = "{world.a.chain.url}"\nstart_block = {start[0]}\n'
        f'\n[[chains]]\nchain_id = {CHAIN_B}\nrpc = "{world.b.chain.url}"\nstart_block = {start[1]}\n'
        f'agents_oracle = "{inbox}"\n'
        f'\n[[agents]]\nhome_chain = {CHAIN_A}\nagent_id = {agent}\n'
    )
    runner = CliRunner()
    rounds: list[dict[str, Any]] = []

    def relay() -> None:
        result = runner.invoke(cli, ["relay", "--config", str(toml), "--once", "--json", "--quiet"])
        assert result.exit_code == 0, result.output
        rounds.extend(json.loads(line)["round"] for line in result.output.splitlines() if '"round"' in line)

    until(shows(world, inbox, agent, AgentStatus.PAUSED), relay)
    assert sum(r["agents_delivered"] for r in rounds) == 1

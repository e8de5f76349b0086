"""The console end to end: a real headless Chromium, two anvils, the principal's wallet injected
(EIP-1193, answered by anvil's dev account), `charter console`'s server and index for real.

Alice (the principal) keeps her assets in her EOA, upgraded to a Charter account on both chains;
her trading agent lives on A. She approves a grant her agent asked for, watches the agent spend
under it and the value at risk fall, revokes it and sees the agent's next call refused; a refused
signature in her wallet changes nothing and the page says so; she pauses her agent. The screenshots
of docs/console.md are taken here (CHARTER_SCREENSHOTS=docs/images writes them there)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from eth_account import Account

from charter import Call, Charter, LocalSigner, equals
from charter._core.artifacts import abi, init_code
from charter.agents.approvals import ApprovalsServer
from charter.agents.requester import OneRequest
from charter.console.server import Console, ConsoleConfig, ConsoleServer
from charter.devchain import DEV_KEYS, LocalChain, local_anvils
from charter.exceptions import AgentNotActive, GrantRevoked
from charter.intents import deploy_oracle
from charter.processes.propagate import AgentRoute
from charter.processes.relayer import ChainConfig, RelayConfig, Relayer
from charter.registry.represent import MirrorState, represented_id
from charter.sessions.describe import TokenLookup

from .browser import ROOT, Page

CHAIN_A, CHAIN_B = 31_811, 31_822
COMMITTEE = [Account.from_key(bytes([0x21 * (i + 1)]) * 32) for i in range(3)]
SHOTS = Path(os.environ.get("CHARTER_SCREENSHOTS") or ROOT / ".build" / "console-screenshots")


@dataclass
class World:
    a: LocalChain
    b: LocalChain
    alice: LocalSigner
    agent_key: LocalSigner
    bob: str
    token: Any
    trader: int
    console: ConsoleServer
    url: str

    def charter(self, signer: LocalSigner | None = None) -> Charter:
        return Charter.connect(self.a.w3, signer=signer)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    deployer, alice = LocalSigner.from_key(DEV_KEYS[0]), LocalSigner.from_key(DEV_KEYS[1])
    agent_key = LocalSigner.from_key(DEV_KEYS[3])
    bob = Account.from_key(DEV_KEYS[4]).address
    with local_anvils(CHAIN_A, CHAIN_B) as (a, b):
        for chain in (a, b):
            Charter.deploy(chain.w3, deployer)
            Charter.connect(chain.w3, signer=alice).accounts.upgrade(alice)
        sent = deployer.send_transaction(a.w3, {"data": init_code("DemoToken")})
        token = a.w3.eth.contract(address=a.w3.eth.wait_for_transaction_receipt(sent)["contractAddress"],
                                  abi=abi("DemoToken"))
        minted = deployer.send_transaction(a.w3, {"to": token.address,
                                                  "data": token.encode_abi("mint", [alice.address, 1_000])})
        a.w3.eth.wait_for_transaction_receipt(minted)
        trader = Charter.connect(a.w3, signer=alice).registry.register(
            "data:application/json,%7B%22name%22%3A%22Trader%22%2C%22description%22%3A%22Buys%20reports%22%7D")
        config = ConsoleConfig(principal=alice.address, chains=[(CHAIN_A, a.url), (CHAIN_B, b.url)],
                               db=str(tmp_path_factory.mktemp("console") / "console.sqlite"), port=0,
                               refresh_interval=0.5)
        server = ConsoleServer(Console(config))
        url = server.start()
        try:
            yield World(a, b, alice, agent_key, bob, token, trader, server, url)
        finally:
            server.stop()


def _wallet(page: Page, world: World) -> None:
    page.inject_wallet({CHAIN_A: world.a.url, CHAIN_B: world.b.url}, world.alice.address, chain_id=CHAIN_A)


def _shot(page: Page, name: str) -> None:
    page.screenshot(SHOTS / f"console-{name}.png")


def _request(world: World, cap: int) -> tuple[OneRequest, ApprovalsServer]:
    """The agent asks for a grant: pay bob in DEMO, `cap` at most, for an hour."""
    sessions = world.charter().sessions
    grant = sessions.prepare(
        sessions.builder(world.alice.address, world.trader, world.agent_key.address)
        .allow(world.token.address, "transfer(address to,uint256 amount)", to=equals(world.bob))
        .token_budget(world.token.address, cap=cap)
        .valid_for(hours=1))
    requester = OneRequest(sessions, grant, ["transfer(address to,uint256 amount)"], TokenLookup(world.a.w3),
                           reason="to pay bob for the weekly reports")
    server = ApprovalsServer(requester, "127.0.0.1", 0)
    server.start()
    return requester, server


def _pay(world: World, signed: Any, amount: int) -> Any:
    agent = Charter.connect(world.a.w3, signer=world.agent_key).sessions
    return agent.execute(signed, Call.to(world.token.address, "transfer(address,uint256)", world.bob, amount),
                         key=world.agent_key)


def _row(page: Page, grant_hash: str) -> str:
    return f'tr.grant[data-grant="{grant_hash}"]'


def test_approve_watch_spend_revoke(world: World, page: Page) -> None:
    requester, approvals = _request(world, cap=300)
    try:
        _wallet(page, world)
        page.goto(f"{world.url}/approve?request={quote(str(requester.url), safe='')}")
        page.wait_for("h1", text="asks for a grant")
        assert "transfer(address to, uint256 amount)" in page.text("ul.scope")
        assert "to pay bob for the weekly reports" in page.text("blockquote")
        _shot(page, "approve")
        page.click("#approve-sign")
        page.wait_for("#notice.ok", text="approved")
        assert requester.wait(10) == "approved" and requester.signed is not None
        signed = requester.signed
    finally:
        approvals.stop()
    assert [r.method for r in page.wallet_requests("eth_signTypedData_v4")] == ["eth_signTypedData_v4"]

    _pay(world, signed, 100)  # the agent uses it: the grant appears on chain
    grant_hash = "0x" + signed.hash.hex()
    page.goto(world.url)
    row = _row(page, grant_hash)
    page.wait_for(f"{row} td.risk", text="200", timeout=20)  # 300 cap - 100 spent, the account holds 900
    assert "100" in page.text(f"{row} ul.budgets")
    _shot(page, "overview")

    _pay(world, signed, 150)  # the page refreshes by itself while open
    page.wait_for(f"{row} td.risk", text="50", timeout=20)

    page.click(f'{row} button[data-action="revoke"]')
    page.wait_for("#notice.ok", text="done: revoke grant", timeout=20)
    assert page.wallet_requests("eth_sendTransaction")[-1].done
    page.wait_for(f'{row}[data-status="revoked"]', timeout=20)
    assert world.charter().sessions.state(signed).status.name == "REVOKED"
    with pytest.raises(GrantRevoked):
        _pay(world, signed, 1)
    page.assert_no_errors()


def test_a_refused_signature_changes_nothing_and_says_so(world: World, page: Page) -> None:
    requester, approvals = _request(world, cap=50)
    try:
        sessions = world.charter(world.alice).sessions
        signed = sessions.sign(requester.grant, world.alice)
    finally:
        approvals.stop()
    _pay(world, signed, 5)
    grant_hash = "0x" + signed.hash.hex()
    _wallet(page, world)
    page.goto(world.url)
    row = _row(page, grant_hash)
    page.wait_for(f'{row}[data-status="active"]', timeout=20)
    page.wallet_refuses(True)
    block = world.a.w3.eth.block_number
    page.click(f'{row} button[data-action="revoke"]')
    notice = page.wait_for("#notice.refused", text="your wallet refused to sign")
    assert "nothing was sent and nothing changed" in notice
    _shot(page, "refused")
    assert world.a.w3.eth.block_number == block
    assert world.charter().sessions.state(signed).status.name == "ACTIVE"
    assert page.exists(f'{row}[data-status="active"] button[data-action="revoke"]')
    page.wallet_refuses(False)


def test_pause_the_agent_everywhere(world: World, page: Page, tmp_path: Path) -> None:
    """The agent is represented on B (the committee carries its state); one click pauses it at home
    and the relayer carries the pause to B, where the console shows the mirror paused."""
    deployer = LocalSigner.from_key(DEV_KEYS[0])
    inbox = deploy_oracle(world.b.w3, deployer, [m.address for m in COMMITTEE], 2)
    chains = [ChainConfig(CHAIN_A, world.a.url, confirmations=1, start_block=world.a.w3.eth.block_number),
              ChainConfig(CHAIN_B, world.b.url, confirmations=1, start_block=world.b.w3.eth.block_number,
                          agents_oracle=inbox)]
    relayer = Relayer(RelayConfig(
        chains=chains, oracles={}, attester_keys=[m.key.hex() for m in COMMITTEE], sender_key=DEV_KEYS[2],
        db=str(tmp_path / "relay.sqlite"), agents=[AgentRoute(CHAIN_A, world.trader, (CHAIN_B,), ("committee",))]))
    row = f'tr[data-agent="{world.trader}"][data-chain="{CHAIN_A}"]'

    def carry() -> None:  # these anvils mine only on transactions: a block each, so states confirm
        for w3 in (world.a.w3, world.b.w3):
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        relayer.step()

    try:
        _until(lambda: MirrorState.read(Charter.connect(world.b.w3).registry,
                                        represented_id(inbox, CHAIN_A, world.trader)) is not None, carry)
        _wallet(page, world)
        page.goto(world.url)
        page.wait_for(row, text=f"chain {CHAIN_B}", timeout=20)  # represented on B
        assert "Trader" in page.text(row)
        _shot(page, "agents")
        page.click(f"{row} button[data-action=\"pause\"]")
        page.wait_for("#notice.ok", text=f"done: pause agent {world.trader}", timeout=20)
        assert world.charter().registry.status(world.trader).name == "PAUSED"
        _until(lambda: MirrorState.read(Charter.connect(world.b.w3).registry,
                                        represented_id(inbox, CHAIN_A, world.trader)).status.name == "PAUSED",
               carry)
        page.wait_for(row, text=f"chain {CHAIN_B} (paused)", timeout=20)
        page.wait_for(f"{row} button[data-action=\"resume\"]", timeout=20)
        with pytest.raises(AgentNotActive):
            world.charter(world.alice).registry.pause(world.trader)
        Charter.connect(world.a.w3, signer=world.alice).registry.resume(world.trader)
        _until(lambda: MirrorState.read(Charter.connect(world.b.w3).registry,
                                        represented_id(inbox, CHAIN_A, world.trader)).status.name == "ACTIVE",
               carry)
    finally:
        relayer.close()


def test_revoke_all_on_every_chain(world: World, page: Page) -> None:
    """One button: the wallet sends revokeAll on A, switches to B and sends it there; both epochs move."""
    before = {c: Charter.connect(w3).accounts.info(world.alice.address).epoch
              for c, w3 in ((CHAIN_A, world.a.w3), (CHAIN_B, world.b.w3))}
    _wallet(page, world)
    page.goto(world.url)
    button = f'button[data-action="revoke-all"][data-everywhere][data-account="{world.alice.address}"]'
    page.click(button)
    notice = page.wait_for("#notice.ok", text=f"on chain {CHAIN_B}", timeout=30)
    assert f"on chain {CHAIN_A}" in notice
    after = {c: Charter.connect(w3).accounts.info(world.alice.address).epoch
             for c, w3 in ((CHAIN_A, world.a.w3), (CHAIN_B, world.b.w3))}
    assert after == {c: e + 1 for c, e in before.items()}
    assert {r.params[0]["chainId"] for r in page.wallet_requests("eth_sendTransaction")[-2:]} == {
        hex(CHAIN_A), hex(CHAIN_B)}


def _until(done: Any, step: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "not reached in time"
        step()
        time.sleep(0.2)


def test_cross_origin_and_foreign_pages_cannot_act(world: World, page: Page, tmp_path: Path) -> None:
    """A page of another origin in the same browser cannot drive the buttons (no token, wrong Origin)."""
    other = ConsoleServer(Console(ConsoleConfig(principal=world.alice.address, chains=[(CHAIN_A, world.a.url)],
                                                db=str(tmp_path / "other.sqlite"), port=0)))
    foreign = other.start()
    try:
        page.goto(foreign)
        status = page.evaluate(
            f"fetch({world.url!r} + '/api/dev', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},"
            " body: JSON.stringify({action: 'pause', chain_id: %d, agent_id: %d})})"
            ".then(r => r.status).catch(() => 'blocked')" % (CHAIN_A, world.trader))
        assert status in (403, "blocked")
        assert world.charter().registry.status(world.trader).name == "ACTIVE"
    finally:
        other.stop()


def test_the_server_reports_only_what_the_chain_shows(world: World) -> None:
    """Whatever a page posts: a sender that is not the account's owner is refused before any wallet is
    asked; a transaction hash of another effect (or of a failed transaction) is never reported done."""
    from charter.console.actions import Action, confirm, prepare
    from charter.exceptions import InvalidInput, Unauthorized

    w3 = world.a.w3
    revoke_all = Action.parse({"action": "revoke-all", "chain_id": CHAIN_A, "account": world.alice.address},
                              {CHAIN_A})
    with pytest.raises(Unauthorized):
        prepare(w3, revoke_all, world.bob)  # bob does not own alice's account
    pause = Action.parse({"action": "pause", "chain_id": CHAIN_A, "agent_id": world.trader}, {CHAIN_A})
    with pytest.raises(Unauthorized):
        prepare(w3, pause, world.bob)
    other = LocalSigner.from_key(DEV_KEYS[4]).send_transaction(w3, {"to": world.bob, "value": 1})
    unrelated = confirm(w3, revoke_all, "0x" + bytes(other).hex())
    assert not unrelated.done and "AllGrantsRevoked" in unrelated.message
    assert Charter.connect(w3).registry.status(world.trader).name == "ACTIVE"
    with pytest.raises(InvalidInput, match="not a transaction hash"):
        confirm(w3, pause, "0x1234")

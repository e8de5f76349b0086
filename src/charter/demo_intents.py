"""The second half of `make demo`: two agents coordinate across two local chains (ERC-7683 intents).

Alice's trading agent, under a session of her account on chain A, opens an
intent: 100 DEMO in escrow on A for 99 DEMO delivered to Alice on chain B.
Bob's solver agent fills it on B; Charter's relayer waits for two
confirmations, has a 2-of-3 committee attest the fill and settles: the
escrow goes to the solver on A. A second intent that no solver takes is
recorded as unfilled on B after its deadline and refunded on A. Once the
first settles, each side reviews the other in the receipt-backed
reputation registry, citing the settled order (strangers and second tries
are refused), and Bob's solver from then on fills only for openers with
such a record. A third
intent settles over Hyperlane instead of the committee: Hyperlane's own
Mailbox, Merkle tree hook and 2-of-3 MessageId multisig ISM on each chain,
the relayer acting as its validators and relayer. An intent beyond the
session's token cap is refused. No human acts between opening and
settlement. Alice's agent is represented on B through the committee: a session on B
names it, and a pause on A stops it there once the relayer has carried it.
Last, Alice's console (`charter console`) shows her grants, agents and
intents on both chains, with what they could still move.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_account import Account
from rich.console import Console
from web3 import Web3
from web3.types import RPCEndpoint, Wei

from ._core.signers import LocalSigner
from .accounts.models import Call
from .client import Charter
from .devchain import DEV_KEYS, local_anvils
from .exceptions import CharterError
from .hyperlane import deploy_local
from .hyperlane.settlement import Remote, deploy_hyperlane_oracle, deploy_reporter
from .intents import FillRecord, Input, Intents, Order, OrderStatus, Output, deploy_oracle
from .processes.hyperlane import HyperlaneConfig
from .processes.propagate import AgentRoute
from .processes.relayer import ChainConfig, RelayConfig, Relayer
from .processes.solver import Policy, Route, Solver, SolverConfig
from .registry import AgentStatus
from .registry.represent import AgentState, CommitteeInbox, MirrorState, represented_id
from .sessions.builder import equals

CHAIN_A, CHAIN_B = 901, 902
COMMITTEE = [Account.from_key(Web3.keccak(text=f"charter demo attester {i}")) for i in range(3)]
VALIDATORS = [Account.from_key(Web3.keccak(text=f"charter demo hyperlane validator {i}")) for i in range(3)]


def intents_story(
    console: Console,
    step: Callable[[int, str], None],
    deploy_token: Callable[[Web3, LocalSigner], Any],
    send: Callable[[Web3, LocalSigner, Any], None],
    first: int,
) -> int:
    """Run the intents story from step number `first`; returns the next step number."""
    deployer, alice, bob = (LocalSigner.from_key(k) for k in DEV_KEYS[:3])
    relayer_key = DEV_KEYS[3]
    agent_key = LocalSigner(Account.from_key(Web3.keccak(text="charter demo intent agent key")))
    n = first

    step(n, "Two chains, the same suite at the same addresses on both")
    with local_anvils(CHAIN_A, CHAIN_B, block_time=1) as (chain_a, chain_b), tempfile.TemporaryDirectory() as tmp:
        a, b = chain_a.w3, chain_b.w3
        for w3 in (a, b):
            Charter.deploy(w3, deployer)
        settler = Charter.connect(a).intents.address
        console.print(f"chain A (id {CHAIN_A}) and chain B (id {CHAIN_B}) mine a block a second; "
                      f"IntentSettler at [cyan]{settler}[/cyan] on both")
        token_a, token_b = deploy_token(a, deployer), deploy_token(b, deployer)
        oracle = deploy_oracle(a, deployer, [m.address for m in COMMITTEE], 2)
        console.print(f"DEMO on A {token_a.address}, DEMO on B {token_b.address}; a 2-of-3 attester committee "
                      f"(AttesterOracle {oracle} on A)")
        validators = [v.address for v in VALIDATORS]
        lane_a = deploy_local(a, deployer, CHAIN_A, validators, 2)
        lane_b = deploy_local(b, deployer, CHAIN_B, validators, 2)
        reporter = deploy_reporter(b, deployer, lane_b.mailbox.address)
        hyperlane_oracle = deploy_hyperlane_oracle(a, deployer, lane_a.mailbox.address, lane_a.ism.address,
                                                   [Remote(domain=CHAIN_B, chain_id=CHAIN_B, reporter=reporter)])
        console.print(f"Hyperlane on both (its own contracts, from @hyperlane-xyz/core): Mailboxes "
                      f"{lane_a.mailbox.address} / {lane_b.mailbox.address}, 2-of-3 validator ISMs; "
                      f"HyperlaneReporter {reporter} on B, HyperlaneOracle {hyperlane_oracle} on A")
        fund = deployer.send_transaction(a, {"to": agent_key.address, "value": Wei(10**17)})
        a.eth.wait_for_transaction_receipt(fund)

        on_a = Charter.connect(a, signer=alice)
        trader = on_a.registry.register("ipfs://charter-demo/trader.json")
        account = on_a.accounts.deploy(owner=alice.address, salt=1)
        send(a, deployer, token_a.functions.mint(account, 1_000))
        solver_agent = Charter.connect(b, signer=bob).registry.register("ipfs://charter-demo/solver.json")
        send(b, deployer, token_b.functions.mint(bob.address, 1_000))
        console.print(f"alice's agent {trader} and her Charter account {account} (1,000 DEMO) on A; "
                      f"bob's solver agent {solver_agent} with 1,000 DEMO of inventory on B")

        n += 1
        step(n, "Alice lets her agent open intents for her account: approve and open only, 150 DEMO at most")
        sessions = on_a.sessions
        open_selector = "0x" + Web3.keccak(text="open((uint32,bytes32,bytes))")[:4].hex()
        grant = sessions.prepare(
            sessions.builder(account, trader, agent_key.address)
            .allow(token_a.address, "approve(address spender,uint256 amount)", spender=equals(settler))
            .allow(settler, open_selector)
            .token_budget(token_a.address, cap=150)
            .valid_for(hours=1)
        )
        signed = sessions.sign(grant, alice)
        for line in grant.describe():
            console.print(f"  • {line}")

        intents = Intents(a, settler, chain_id=CHAIN_A)

        def order(give: int, want: int, within: int, named: str = oracle) -> Order:
            return intents.order(
                user=account, agent_id=trader, inputs=[Input(token=token_a.address, amount=give)],
                outputs=[Output(token=token_b.address, amount=want, recipient=alice.address, chain_id=CHAIN_B)],
                destination_chain_id=CHAIN_B, oracle=named, fill_within=within,
                now=int(a.eth.get_block("latest")["timestamp"]),
            )

        n += 1
        step(n, "The agent, under its session, opens an intent: 100 DEMO on A for 99 DEMO on B")
        wanted = order(100, 99, 600)
        agent_sessions = Charter.connect(a, signer=agent_key).sessions
        opened = agent_sessions.execute_batch(signed, intents.open_calls(wanted), key=agent_key)
        for line in wanted.describe():
            console.print(f"  {line}")
        console.print(f"opened through the session ({opened.gas_used:,} gas): 100 DEMO in escrow on A")

        start = (a.eth.block_number - 2, b.eth.block_number)
        chains = [ChainConfig(CHAIN_A, chain_a.url, confirmations=2, start_block=start[0],
                              hyperlane=HyperlaneConfig(mailbox=lane_a.mailbox.address, oracle=hyperlane_oracle)),
                  ChainConfig(CHAIN_B, chain_b.url, confirmations=2, start_block=start[1],
                              hyperlane=HyperlaneConfig(mailbox=lane_b.mailbox.address, reporter=reporter))]
        solver = Solver(SolverConfig(
            chains=chains, key=DEV_KEYS[2], agent_id=solver_agent, db=str(Path(tmp) / "solver.sqlite"),
            policy=Policy(routes=[Route(CHAIN_A, token_a.address, CHAIN_B, token_b.address)],
                          oracles={CHAIN_A: [oracle, hyperlane_oracle]}, min_reward_bps=50, rate_openers=100),
        ))
        relayer = Relayer(RelayConfig(
            chains=chains, oracles={CHAIN_A: oracle}, attester_keys=[m.key.hex() for m in COMMITTEE],
            validator_keys=[v.key.hex() for v in VALIDATORS], sender_key=relayer_key,
            db=str(Path(tmp) / "relay.sqlite"),
        ))
        dest = Intents(b, settler, chain_id=CHAIN_B)
        try:
            n += 1
            step(n, "Bob's solver agent sees it (two confirmations deep) and fills it on B")
            _until(lambda: solver.store.seen_state(wanted.order_id_hex) == "filled", solver.step)
            console.print(f"filled by agent {solver_agent}: alice holds "
                          f"{token_b.functions.balanceOf(alice.address).call()} DEMO on B; status "
                          f"{intents.status(wanted, dest)}")

            n += 1
            step(n, "The relayer waits for confirmations, the committee attests, the escrow goes to the solver")
            began = time.monotonic()
            _until(lambda: intents.origin_status(wanted.order_id) == OrderStatus.SETTLED, relayer.step)
            console.print(f"settled on A {time.monotonic() - began:.1f} s after the fill; bob received "
                          f"{token_a.functions.balanceOf(bob.address).call()} DEMO on A; status "
                          f"{intents.status(wanted, dest)}")

            n += 1
            step(n, "Each side reviews the other, backed by the settled order; then Bob's solver asks for a record")
            _trust(console, a, b, deployer, alice, solver, wanted, trader, solver_agent, oracle)

            n += 1
            step(n, "A second intent no solver takes (it pays less than it asks) is refunded")
            stingy = order(30, 40, 30)
            agent_sessions.execute_batch(signed, intents.open_calls(stingy), key=agent_key)
            console.print(f"opened: 30 DEMO on A for 40 DEMO on B, fill deadline in 30 s; "
                          f"account holds {token_a.functions.balanceOf(account).call()} DEMO")
            _until(lambda: solver.store.seen_state(stingy.order_id_hex) == "skipped", solver.step)
            reason = solver.store.db.execute("SELECT reason FROM seen WHERE order_id = ?",
                                             (stingy.order_id_hex,)).fetchone()[0]
            console.print(f"the solver skips it: {reason}")
            b.provider.make_request(RPCEndpoint("evm_increaseTime"), [60])  # B's clock passes the fill deadline
            b.provider.make_request(RPCEndpoint("evm_mine"), [])
            try:
                dest.fill(stingy, FillRecord(payout=bob.address), bob)
            except CharterError as exc:
                console.print(f"a late fill on B: [red]refused[/red] — {exc}")
            _until(lambda: intents.origin_status(stingy.order_id) == OrderStatus.REFUNDED, relayer.step)
            console.print(f"B recorded it as unfilled, the committee attested, A refunded it: the account holds "
                          f"{token_a.functions.balanceOf(account).call()} DEMO")

            n += 1
            step(n, "A third intent settles over Hyperlane: reported on B, signed by its validators, delivered on A")
            relayed = order(20, 19, 600, named=hyperlane_oracle)
            agent_sessions.execute_batch(signed, intents.open_calls(relayed), key=agent_key)
            console.print("opened: 20 DEMO on A for 19 DEMO on B, naming the HyperlaneOracle")
            _until(lambda: solver.store.seen_state(relayed.order_id_hex) == "filled", solver.step)
            record = Charter.connect(a).backed_reputation.backed_summary(trader, min_value=10)
            console.print(f"the solver checked alice's agent first: {record.count} settled order(s) of at least 10 "
                          f"DEMO behind its reviews, average {record.average}; it fills")
            began = time.monotonic()
            _until(lambda: intents.origin_status(relayed.order_id) == OrderStatus.SETTLED, relayer.step)
            (message,) = relayer.store.messages("delivered")
            console.print(f"filled on B; the relayer reported the record through the HyperlaneReporter, checked "
                          f"message {message.message_id.hex()[:10]}… against B's Merkle tree (leaf "
                          f"{message.leaf_index}), signed its checkpoint with 2 of 3 validator keys and delivered "
                          f"it to A's Mailbox: settled {time.monotonic() - began:.1f} s after the fill; status "
                          f"{intents.status(relayed, dest)}")

            n += 1
            step(n, "An intent beyond the session's cap is refused, with the reason")
            greedy = order(100, 99, 600)
            try:
                agent_sessions.execute_batch(signed, intents.open_calls(greedy), key=agent_key)
            except CharterError as exc:
                console.print(f"the agent opens 100 DEMO more (150 of 150 used): [red]refused[/red] — {exc}")

            n += 1
            step(n, "One agent on both chains: paused on A, it stops on B")
            n = _one_agent_everywhere(console, a, b, chain_a.url, chain_b.url, deployer, alice, bob, agent_key,
                                      trader, oracle, token_b, send, relayer_key, Path(tmp), n)

            n += 1
            step(n, "Alice's console: everything her agents may do, on both chains, in her browser")
            _principal_console(console, alice, account, [(CHAIN_A, chain_a.url), (CHAIN_B, chain_b.url)], Path(tmp))
        finally:
            solver.close()
            relayer.close()
    return n + 1


def _trust(
    console: Console, a: Web3, b: Web3, deployer: LocalSigner, alice: LocalSigner, solver: Solver, wanted: Order,
    trader: int, solver_agent: int, oracle: str,
) -> None:
    """Both sides of the settled order review each other in A's receipt-backed registry: Bob's solver
    (rate_openers) the trader, Alice the solver's agent (represented on A by the committee); a
    stranger and a second review are refused; the solver then requires a backed record of openers."""
    _until(lambda: solver.store.seen_state(wanted.order_id_hex) == "settled", solver.step)
    backed = Charter.connect(a, signer=alice).backed_reputation
    (review,) = backed.feedbacks(trader)
    console.print(f"bob's solver reviewed alice's agent {trader}: score {review.score}, backed by order "
                  f"{wanted.order_id_hex[:10]}… ({review.backing.amount if review.backing else 0} DEMO settled)")
    state = AgentState.read(Charter.connect(b).registry, solver_agent)
    inbox = CommitteeInbox(a, oracle, deployer)
    mirrored = int(inbox.deliver(state, inbox.proof(state, COMMITTEE[:2])).agent_id or 0)
    given = backed.give_for_order(wanted.order_id, 95)
    console.print(f"alice reviews bob's solver agent (agent {hex(mirrored)[:12]}… on A, its committee-carried "
                  f"mirror): score 95 with the order id as feedbackHash, as any ERC-8004 client sends it "
                  f"({given.gas_used:,} gas; the receipt was recorded {'by her first' if given.note else 'already'})")
    for who, attempt in (("a stranger", lambda: backed.with_signer(deployer).give(mirrored, 100,
                                                                                  feedback_hash=wanted.order_id)),
                         ("alice again", lambda: backed.give_for_order(wanted.order_id, 100))):
        try:
            attempt()
        except CharterError as exc:
            console.print(f"{who} cites the same order: [red]refused[/red] — {exc}")
    for name, agent in (("alice's agent", trader), ("bob's solver agent", mirrored)):
        record = backed.backed_summary(agent)
        console.print(f"{name}: {record.count} review(s), each a settled order, average {record.average}, "
                      f"{sum(record.volume.values())} DEMO settled behind them")
    policy = solver.config.policy
    policy.min_opener_orders, policy.min_opener_score, policy.min_backing_value = 1, Decimal(80), 10
    console.print("bob's solver now fills only for openers reviewed for at least 1 settled order of 10 DEMO or "
                  "more, averaging 80 or better")


def _one_agent_everywhere(
    console: Console, a: Web3, b: Web3, url_a: str, url_b: str, deployer: LocalSigner, alice: LocalSigner,
    bob: LocalSigner, agent_key: LocalSigner, trader: int, oracle: str, token_b: Any,
    send: Callable[[Web3, LocalSigner, Any], None], relayer_key: str, tmp: Path, n: int,
) -> int:
    """Alice's trading agent, registered on A, is represented on B through the committee (the same
    AttesterOracle address on B); a session on B names it; a pause on A reaches B through the relayer
    and the next session call on B is refused."""
    inbox = deploy_oracle(b, deployer, [m.address for m in COMMITTEE], 2)
    mirrored = represented_id(inbox, CHAIN_A, trader)
    chains = [ChainConfig(CHAIN_A, url_a, confirmations=2, start_block=a.eth.block_number),
              ChainConfig(CHAIN_B, url_b, confirmations=2, start_block=b.eth.block_number, agents_oracle=inbox)]
    relayer = Relayer(RelayConfig(
        chains=chains, oracles={}, attester_keys=[m.key.hex() for m in COMMITTEE], sender_key=relayer_key,
        db=str(tmp / "kills.sqlite"), agents=[AgentRoute(CHAIN_A, trader, (CHAIN_B,), ("committee",))],
    ))
    try:
        registry_b = Charter.connect(b).registry
        _until(lambda: MirrorState.read(registry_b, mirrored) is not None, relayer.step)
        console.print(f"the relayer's committee carried agent {trader} of A to B: there it is agent "
                      f"{hex(mirrored)[:12]}… (representedId of the committee's oracle, A and {trader}: the same on "
                      "every chain it reaches), owner alice, Active")
        on_b = Charter.connect(b, signer=alice)
        account_b = on_b.accounts.deploy(owner=alice.address, salt=1)
        send(b, deployer, token_b.functions.mint(account_b, 100))
        b.eth.wait_for_transaction_receipt(deployer.send_transaction(b, {"to": agent_key.address,
                                                                          "value": Wei(10**17)}))
        sessions_b = on_b.sessions
        grant_b = sessions_b.sign(sessions_b.prepare(
            sessions_b.builder(account_b, mirrored, agent_key.address)
            .allow(token_b.address, "transfer(address to,uint256 amount)", to=equals(bob.address))
            .token_budget(token_b.address, cap=50).valid_for(hours=1)
        ), alice)
        agent_b = Charter.connect(b, signer=agent_key).sessions
        pay = Call.to(token_b.address, "transfer(address,uint256)", bob.address, 5)
        paid = agent_b.execute(grant_b, pay, key=agent_key)
        console.print(f"alice's account on B lets the agent pay bob up to 50 DEMO; it pays 5 ({paid.gas_used:,} gas)")
        Charter.connect(a, signer=alice).registry.pause(trader)
        began = time.monotonic()
        def paused_on_b() -> bool:
            held = MirrorState.read(registry_b, mirrored)
            return held is not None and held.status is AgentStatus.PAUSED

        _until(paused_on_b, relayer.step)
        console.print(f"alice pauses the agent on A; {time.monotonic() - began:.1f} s later B shows it Paused "
                      "(two confirmations on A, the committee attests, one transaction on B)")
        try:
            agent_b.execute(grant_b, pay, key=agent_key)
        except CharterError as exc:
            console.print(f"the agent pays bob again on B: [red]refused[/red] — {exc}")
    finally:
        relayer.close()
    return n


def _principal_console(console: Console, alice: LocalSigner, account: str, chains: list[tuple[int, str]],
                       tmp: Path) -> None:
    """`charter console` for Alice on both chains: started, its overview read over HTTP, stopped."""
    import httpx

    from .console.server import Console as Site
    from .console.server import ConsoleConfig, ConsoleServer

    config = ConsoleConfig(principal=alice.address, chains=chains, accounts=(account,), port=0,
                           db=str(tmp / "console.sqlite"))
    server = ConsoleServer(Site(config))
    url = server.start()
    try:
        page = httpx.get(url, timeout=30)
        index = server.console.index
        grants = index.grants()
        console.print(f"the console served {url} ({len(page.content):,} bytes): {len(grants)} grant(s), "
                      f"{len(index.agents())} agent(s), {len(index.intents())} intent(s) across chains "
                      f"{', '.join(str(c) for c, _ in chains)}")
        for g in grants:
            console.print(f"  grant {g.grant_hash[:12]}… on chain {g.chain_id} ({g.agent_label}): {g.status_label}; "
                          f"at risk: {', '.join(g.value_at_risk) or 'nothing'}")
        for total in index.totals(grants).accounts:
            console.print(f"  account {total.label} could still lose: {', '.join(total.risk) or 'nothing'}")
        console.print("with the chains running, open it yourself: charter console --principal "
                      f"{alice.address} --chains {','.join(f'{c}={u}' for c, u in chains)} --account {account}")
    finally:
        server.stop()


def _until(done: Callable[[], bool], step: Callable[[], Any], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise CharterError("the demo's solver or relayer did not finish in time; is the machine very busy?")
        step()
        time.sleep(0.25)


__all__ = ["intents_story"]

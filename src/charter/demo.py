"""`make demo`: the Charter story on an embedded local chain.

Starts anvil, deploys the suite deterministically, registers two agents with
their cards, binds one to a wallet that proves its consent, pauses it, shows
what changed and that strangers are refused. Then sessions: the principal
turns her EOA into a Charter account (EIP-7702), grants her agent's session
key one hour to move at most 100 tokens to one recipient, the agent acts in
scope, out-of-scope and over-budget calls are refused with their reasons, a
relayer sends a gasless request, the principal revokes everything and the
next attempt is refused. Then the chain stops, and two more start for the
intents (:mod:`charter.demo_intents`): the agent opens a cross-chain intent
under its session, a solver agent fills it, the relayer proves and settles
it; an intent nobody fills is refunded; one beyond the session's cap is
refused.

    python -m charter.demo
"""

from __future__ import annotations

import sys
from typing import Any

from eth_account import Account
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from web3 import Web3
from web3.contract import Contract
from web3.types import Wei

from ._core.artifacts import abi, init_code
from ._core.deployments import Manifest
from ._core.revert import format_time
from ._core.signers import LocalSigner
from .accounts.models import Call
from .client import Charter
from .demo_agents import agents_story
from .demo_intents import intents_story
from .devchain import DEV_KEYS, local_anvil
from .exceptions import CharterError
from .registry.models import AgentInfo, MetadataEntry

console = Console(highlight=False)
if not console.is_terminal:
    console = Console(highlight=False, width=110)

TRADER_CARD = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa"
RESEARCHER_CARD = "https://agents.example.org/researcher/agent-card.json"


def _step(n: int, title: str) -> None:
    console.print()
    console.rule(f"[bold]{n}. {title}")


def _agents_table(agents: list[AgentInfo], names: dict[str, str]) -> Table:
    table = Table(show_lines=False)
    for column in ("agent", "owner", "status", "active", "wallet", "card"):
        table.add_column(column, overflow="fold")
    for info in agents:
        wallet = "-"
        if info.wallet is not None:
            wallet = names.get(info.wallet, info.wallet)
            wallet += " (proved)" if info.wallet_verified else " (owner default)"
        table.add_row(
            str(info.agent_id),
            names.get(info.owner, info.owner),
            info.status.name.lower(),
            "yes" if info.status.name == "ACTIVE" else "no",
            wallet,
            info.uri or "-",
        )
    return table


def run() -> None:
    console.print(
        Panel.fit(
            "[bold]Charter[/bold] — bounded authority for autonomous agents\n"
            "This demo runs on a throw-away local chain (anvil).",
        )
    )
    alice = LocalSigner.from_key(DEV_KEYS[1])
    bob = LocalSigner.from_key(DEV_KEYS[2])
    trader_wallet = LocalSigner.from_key(DEV_KEYS[3])
    mallory = LocalSigner.from_key(DEV_KEYS[4])
    deployer = LocalSigner.from_key(DEV_KEYS[0])
    names: dict[str, str] = {
        alice.address: "alice",
        bob.address: "bob",
        trader_wallet.address: "trader-wallet",
        mallory.address: "mallory",
    }

    with local_anvil() as chain:
        w3 = chain.w3
        _step(1, "Start a local chain")
        console.print(f"anvil at {chain.url}, chain id {w3.eth.chain_id}")

        _step(2, "Deploy the suite deterministically (CREATE2)")
        manifest = Manifest(path=None)
        for result in Charter.deploy(w3, deployer, manifest=manifest):
            console.print(
                f"{result.name} deployed at [cyan]{result.address}[/cyan] "
                f"({result.gas_used:,} gas)"
            )
        console.print("the same addresses on every chain")
        again = Charter.deploy(w3, deployer, manifest=manifest)
        console.print(
            f"running the deployment again: {'no-op' if not any(r.deployed for r in again) else 'deployed?!'}"
        )

        as_alice = Charter.connect(w3, signer=alice, manifest=manifest).registry
        as_bob = Charter.connect(w3, signer=bob, manifest=manifest).registry
        as_mallory = Charter.connect(w3, signer=mallory, manifest=manifest).registry

        _step(3, "Alice and Bob register one agent each, with an agent card")
        trader = as_alice.register(
            TRADER_CARD,
            metadata=[MetadataEntry(key="role", value=b"market-maker")],
        )
        console.print(f"alice registered agent {trader} (card {TRADER_CARD})")
        researcher = as_bob.register(RESEARCHER_CARD)
        console.print(f"bob registered agent {researcher} (card {RESEARCHER_CARD})")
        console.print(
            f"agent {trader} metadata 'role' = "
            f"{as_alice.get_metadata(trader, 'role').decode()!r}"
        )

        _step(4, "Alice binds her agent to a wallet that signs its consent (EIP-712)")
        as_alice.set_agent_wallet(trader, trader_wallet)
        found = as_alice.agent_by_wallet(trader_wallet.address)
        console.print(
            f"trader-wallet signed AgentWalletSet; reverse lookup: "
            f"{trader_wallet.address} -> agent {found.agent_id if found else None}"
        )
        try:
            as_bob.set_agent_wallet(researcher, trader_wallet)
        except CharterError as exc:
            console.print(f"bob tries to reuse that wallet for agent {researcher}: [red]{exc}[/red]")

        _step(5, "Both agents, as any ERC-8004 client sees them")
        console.print(_agents_table([as_alice.agent(trader), as_alice.agent(researcher)], names))

        _step(6, "Alice pauses her agent: everything bound to it stops at once")
        as_alice.pause(trader)
        console.print(f"isActive({trader}) = {as_alice.is_active(trader)}")
        try:
            as_mallory.resume(trader)
        except CharterError as exc:
            console.print(f"mallory tries to resume it: [red]{exc}[/red]")
        console.print(_agents_table([as_alice.agent(trader), as_alice.agent(researcher)], names))

        sessions_story(w3, manifest, deployer, alice, bob, mallory, trader, names)
        binding_story(w3, manifest, alice, bob, mallory, trader, researcher)

        _step(16, "Stop the chain")
    console.print("anvil stopped.")

    last = intents_story(console, _step, _deploy_demo_token, _send, 17)
    _step(last, "Stop both chains")
    console.print("both anvils stopped.")
    last = agents_story(console, _step, _deploy_demo_token, _send, last + 1)
    _step(last, "Stop the chain and the MCP server")
    console.print("the server exited with its client and the anvil stopped. Nothing was left running.")


def _refused(who: str, exc: CharterError) -> None:
    console.print(f"{who}: [red]refused[/red] — {exc}")


def sessions_story(
    w3: Web3,
    manifest: Manifest,
    deployer: LocalSigner,
    alice: LocalSigner,
    bob: LocalSigner,
    mallory: LocalSigner,
    trader: int,
    names: dict[str, str],
) -> None:
    """Alice gives her trading agent a one-hour, 100-token, bob-only session."""
    charter = Charter.connect(w3, signer=alice, manifest=manifest)
    sessions, accounts = charter.sessions, charter.accounts
    session_key = LocalSigner(Account.from_key(Web3.keccak(text="charter demo session key")))
    names[session_key.address] = "trader-session-key"

    _step(7, "Alice turns her own address into a Charter account (EIP-7702)")
    upgrade = accounts.upgrade(alice)
    console.print(
        f"alice's EOA {alice.address} now delegates to the AccountDelegate "
        f"({upgrade.gas_used:,} gas): same address, same assets, kind = "
        f"{accounts.kind(alice.address).value}"  # type: ignore[union-attr]
    )
    token = _deploy_demo_token(w3, deployer)
    _send(w3, deployer, token.functions.mint(alice.address, 1_000))
    console.print(f"a demo token DEMO at {token.address}; alice holds 1,000 DEMO")
    fund = deployer.send_transaction(w3, {"to": session_key.address, "value": Wei(10**17)})
    w3.eth.wait_for_transaction_receipt(fund)
    charter.registry.resume(trader)
    console.print(f"alice resumes agent {trader}: active = {charter.registry.is_active(trader)}")

    _step(8, "Alice grants the agent's session key one hour, DEMO to bob only, 100 at most")
    grant = sessions.prepare(
        sessions.builder(alice.address, trader, session_key.address)
        .allow_transfer(token.address, to=bob.address)
        .token_budget(token.address, cap=100)
        .max_calls(10)
        .valid_for(hours=1)
    )
    signed = sessions.sign(grant, alice)
    console.print("signed off-chain as EIP-712 typed data: [green]0 gas[/green]; the grant says:")
    for line in grant.describe():
        console.print(f"  • {line}")
    console.print(f"  • valid {format_time(grant.valid_after)} .. {format_time(grant.valid_until)}")
    console.print(f"grant hash {'0x' + signed.hash.hex()}")

    _step(9, "The agent acts within scope: 60 DEMO to bob")
    transfer = sessions.execute(
        signed, Call.to(token.address, "transfer(address,uint256)", bob.address, 60), key=session_key
    )
    state = sessions.state(signed)
    console.print(
        f"done ({transfer.gas_used:,} gas, the grant presented on first use); bob holds "
        f"{token.functions.balanceOf(bob.address).call()} DEMO; the grant is {state.status.label}, "
        f"{state.tokens[0].left} DEMO and {state.calls_left} calls left"
    )

    _step(10, "Out of scope and over budget: refused, with the reason")
    try:
        sessions.execute(
            signed, Call.to(token.address, "transfer(address,uint256)", mallory.address, 10), key=session_key
        )
    except CharterError as exc:
        _refused("the agent sends 10 DEMO to mallory", exc)
    try:
        sessions.execute(signed, Call.to(token.address, "transfer(address,uint256)", bob.address, 50), key=session_key)
    except CharterError as exc:
        _refused("the agent sends 50 more DEMO to bob", exc)
    try:
        sessions.execute(
            signed, Call.to(token.address, "approve(address,uint256)", mallory.address, 10**6), key=session_key
        )
    except CharterError as exc:
        _refused("the agent tries approve() instead", exc)

    _step(11, "Gasless: the agent signs a request, anyone relays it")
    request = sessions.sign_request(
        signed, Call.to(token.address, "transfer(address,uint256)", bob.address, 30), key=session_key
    )
    before = w3.eth.get_balance(session_key.address)
    relayed = sessions.relay(request, relayer=deployer)
    spent = before - w3.eth.get_balance(session_key.address)
    console.print(
        f"the session key signed 30 DEMO to bob (nonce {request.nonce}); a relayer sent it and paid "
        f"{relayed.gas_used:,} gas, the session key paid {spent} wei; bob now holds "
        f"{token.functions.balanceOf(bob.address).call()} DEMO"
    )
    try:
        sessions.relay(request, relayer=deployer)
    except CharterError as exc:
        _refused("relaying the same request again", exc)

    _step(12, "Alice revokes every grant of her account at once")
    revoke = sessions.revoke_all(alice.address, alice)
    console.print(f"revoke-all: {revoke.gas_used:,} gas; the grant is {sessions.state(signed).status.label}")

    _step(13, "The agent's next attempt is refused")
    try:
        sessions.execute(signed, Call.to(token.address, "transfer(address,uint256)", bob.address, 1), key=session_key)
    except CharterError as exc:
        _refused("the agent sends 1 DEMO to bob", exc)
    balance = token.functions.balanceOf
    console.print(f"bob holds {balance(bob.address).call()} DEMO; alice {balance(alice.address).call()}")


def binding_story(
    w3: Web3, manifest: Manifest, alice: LocalSigner, bob: LocalSigner, mallory: LocalSigner, trader: int,
    researcher: int,
) -> None:
    """A grant acts for an agent only with its consent, and only while the agent is the same."""
    charter = Charter.connect(w3, signer=alice, manifest=manifest)
    sessions = charter.sessions
    session_key = LocalSigner(Account.from_key(Web3.keccak(text="charter demo session key")))

    def builder(agent_id: int) -> Any:
        # plain sends of at most 0 wei to bob: a harmless call to show who may act
        return sessions.builder(alice.address, agent_id, session_key.address).allow(bob.address).valid_for(minutes=30)

    _step(14, "Alice names Bob's agent in a grant: refused until Bob consents")
    grant = sessions.prepare(builder(researcher))
    try:
        sessions.sign(grant, alice)
    except CharterError as exc:
        _refused(f"alice signs a grant for bob's agent {researcher}", exc)
    consent = sessions.consent(grant, bob)
    signed = sessions.sign(grant, alice, agent_consent=consent)
    console.print(f"bob signs the grant's digest; alice's grant 0x{signed.hash.hex()[:12]}… now carries his consent")

    _step(15, "Alice hands her agent to mallory: its grants stop at once")
    mine = sessions.sign(sessions.prepare(builder(trader)), alice)
    sessions.execute(mine, Call(target=bob.address, value=0), key=session_key)
    console.print("the agent's key acts under a fresh grant (a plain call to bob)")
    charter.registry.transfer(trader, mallory.address)
    console.print(f"agent {trader} now belongs to mallory: generation {sessions.agent_generation(trader)}")
    try:
        sessions.execute(mine, Call(target=bob.address, value=0), key=session_key)
    except CharterError as exc:
        _refused("the agent acts again", exc)
    console.print(f"the grant is {sessions.state(mine).status.label}")


def _deploy_demo_token(w3: Web3, deployer: LocalSigner) -> Contract:
    tx_hash = deployer.send_transaction(w3, {"data": init_code("DemoToken")})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))  # type: ignore[return-value]


def _send(w3: Web3, signer: LocalSigner, fn: Any) -> None:
    tx_hash = signer.send_transaction(w3, {"to": fn.address, "data": fn._encode_transaction_data()})
    w3.eth.wait_for_transaction_receipt(tx_hash)


def main() -> int:
    try:
        run()
    except CharterError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make demo`: the Charter story on an embedded local chain.

Starts anvil, deploys the suite deterministically, registers two agents with
their cards, binds one to a wallet that proves its consent, pauses it, shows
what changed, shows that strangers are refused, and stops the chain.

    python -m charter.demo
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from .client import Charter
from .deployments import Manifest
from .devchain import DEV_KEYS, local_anvil
from .exceptions import CharterError
from .signers import LocalSigner
from .types import AgentInfo, MetadataEntry

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

        _step(2, "Deploy the registry deterministically (CREATE2)")
        manifest = Manifest(path=None)
        for result in Charter.deploy(w3, deployer, manifest=manifest):
            console.print(
                f"AgentRegistry deployed at [cyan]{result.address}[/cyan] "
                f"({result.gas_used:,} gas) — the same address on every chain"
            )
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

        _step(7, "Stop the chain")
    console.print("anvil stopped. Nothing was left running.")


def main() -> int:
    try:
        run()
    except CharterError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

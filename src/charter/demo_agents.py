"""The MCP part of `make demo`: an agent runtime drives ``charter mcp`` over stdio.

The server holds only the agent's session key; the grant alice signed is
enforced on chain. The transcript shows the tool calls as the runtime makes
them (the ``mcp`` package's own client) and the server's answers: a call in
scope, an out-of-scope call and an over-budget one refused with their reason
and what would make them pass (spending no gas), a grant request alice
reviews and signs by script, its first use, and revoke-all stopping the next
call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from web3 import Web3
from web3.types import Wei

from ._core.signers import LocalSigner
from .agents.config import ChainSettings, render_agent_config
from .client import Charter
from .deployments import Manifest
from .devchain import DEV_KEYS, local_anvil
from .sessions.builder import equals
from .sessions.describe import save_grant

TRANSFER = "transfer(address,uint256)"


def agents_story(console: Console, step: Callable[[int, str], None], deploy_token: Callable[..., Any],
                 send: Callable[..., Any], first: int) -> int:
    """Run the MCP story from step number `first`; returns the next step number."""
    try:
        import anyio
        from mcp import Client, StdioServerParameters
    except ImportError:  # the `agents` extra is missing
        console.print("(the MCP story needs the `agents` extra: pip install 'charter[agents]')")
        return first
    n = first
    step(n, "An agent runtime connects over MCP: `charter mcp` holds only a session key")
    deployer, alice = LocalSigner.from_key(DEV_KEYS[0]), LocalSigner.from_key(DEV_KEYS[1])
    bob, mallory = LocalSigner.from_key(DEV_KEYS[2]), LocalSigner.from_key(DEV_KEYS[4])
    key = LocalSigner.from_key(Web3.keccak(text="charter demo session key"))
    with local_anvil() as chain, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        w3 = chain.w3
        manifest = Manifest(path=None)
        Charter.deploy(w3, deployer, manifest=manifest)
        charter = Charter.connect(w3, signer=alice, manifest=manifest)
        charter.accounts.upgrade(alice)
        agent = charter.registry.register("ipfs://charter-demo/assistant.json")
        token = deploy_token(w3, deployer)
        send(w3, deployer, token.functions.mint(alice.address, 1_000))
        w3.eth.wait_for_transaction_receipt(deployer.send_transaction(w3, {"to": key.address, "value": Wei(10**17)}))
        sessions = charter.sessions
        grant = sessions.sign(sessions.prepare(
            sessions.builder(alice.address, agent, key.address)
            .allow(token.address, "transfer(address to,uint256 amount)", to=equals(bob.address))
            .token_budget(token.address, cap=100).valid_for(hours=1)), alice)
        save_grant(str(folder / "assistant.json"), grant, ["transfer(address to,uint256 amount)"])
        config = folder / "mcp.toml"
        config.write_text(render_agent_config(agent, [ChainSettings(int(w3.eth.chain_id), chain.url)],
                                              account=alice.address, grants=["assistant.json"],
                                              approvals="127.0.0.1:0"))
        console.print(f"alice granted her agent {agent}'s session key {key.address}: transfers of DEMO to bob "
                      f"only, 100 DEMO at most, for an hour (grant file {config.parent.name}/assistant.json).")
        console.print("The runtime starts the server with its client configuration:")
        console.print(json.dumps({"mcpServers": {"charter": {
            "command": "charter", "args": ["mcp", "--config", "mcp.toml"],
            "env": {"CHARTER_SESSION_KEY": "0x…"}}}}))
        env = {**os.environ, "CHARTER_SESSION_KEY": "0x" + bytes(key.account.key).hex()}
        server = StdioServerParameters(command=sys.executable, args=["-m", "charter.cli", "mcp", "--config",
                                                                    str(config)], env=env)

        def said(name: str, args: dict[str, Any], result: Any) -> dict[str, Any]:
            data = dict(result.structured_content or {})
            console.print(f"[bold]agent →[/bold] {name} {json.dumps(args)}")
            if result.is_error:
                console.print(f"  [red]refused[/red] {data['reason']}: {data['message']}\n  fix: {data['fix']}")
            return data

        def call(to: str, amount: int) -> dict[str, Any]:
            return {"calls": [{"target": token.address, "function": TRANSFER, "args": [to, amount]}]}

        async def session() -> None:
            async with Client(server) as client:
                tools = (await client.list_tools()).tools
                console.print(f"tools: {', '.join(t.name for t in tools)}")
                status = said("charter_status", {}, await client.call_tool("charter_status", {}))
                g = status["grants"][0]
                console.print(f"  grant {g['grant'][:12]}…: {'; '.join(g['allows'])}")
                console.print(f"  {g['budgets'][0]['left']['display']} left; could move now: "
                              f"{g['can_move_now'][0]['display']}")
                done = said("charter_call", call(bob.address, 40), await client.call_tool(
                    "charter_call", call(bob.address, 40)))
                console.print(f"  [green]done[/green]: tx {done['tx_hash'][:12]}… in block {done['block']}; "
                              f"bob holds {token.functions.balanceOf(bob.address).call()} DEMO")
                nonce = w3.eth.get_transaction_count(key.address)
                said("charter_call", call(mallory.address, 40), await client.call_tool(
                    "charter_call", call(mallory.address, 40)))
                said("charter_call", call(bob.address, 70), await client.call_tool(
                    "charter_call", call(bob.address, 70)))
                spent = w3.eth.get_transaction_count(key.address) - nonce
                console.print(f"  the two refusals sent {spent} transactions: simulated, no gas spent")
                ask = {"chain_id": w3.eth.chain_id, "valid_for": "30m", "token_budgets": [f"{token.address}:20"],
                       "allow": [f"{token.address}:transfer(address to,uint256 amount):to={mallory.address}"],
                       "reason": "mallory's invoice is due"}
                request = said("charter_request_grant", ask, await client.call_tool("charter_request_grant", ask))
                console.print(f"  a grant request for alice at {request['url']}")
                console.print("alice reviews it in plain words and signs it (here by script: "
                              "charter grant approve URL --yes):")
                signed = subprocess.run(
                    [sys.executable, "-m", "charter.cli", "--rpc", chain.url, "grant", "approve", request["url"],
                     "--yes"], env={**os.environ, "CHARTER_PRIVATE_KEY": DEV_KEYS[1]}, capture_output=True,
                    text=True, timeout=120)
                for line in (signed.stderr + signed.stdout).strip().splitlines():
                    console.print(f"  [dim]{line}[/dim]")
                under_new = {"grant": request["grant_hash"][:12], **call(mallory.address, 20)}
                paid = said("charter_call", under_new, await client.call_tool("charter_call", under_new))
                console.print(f"  [green]done[/green] under the new grant: tx {paid['tx_hash'][:12]}…")
                charter.sessions.revoke_all(alice.address, alice)
                console.print("alice revokes every grant of her account (one transaction):")
                again = {"grant": "0x" + grant.hash.hex()[:10], **call(bob.address, 1)}
                said("charter_call", again, await client.call_tool("charter_call", again))

        anyio.run(session)
    return n + 1

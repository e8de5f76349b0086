"""An agent opens a cross-chain intent through ``charter mcp`` and follows it to settlement.

The server (in-process, the real tool layer) serves both chains; its grant on A
allows only approving the settler and opening orders, within a token budget.
The solver fills on B, the relayer proves the fill over the committee and
settles on A; ``charter_intent_status`` reads OPEN, FILLED, then SETTLED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from eth_account import Account
from mcp import Client
from web3 import Web3

from charter import Charter, LocalSigner
from charter.agents import AgentService, load_agent_config
from charter.agents.config import ChainSettings, render_agent_config
from charter.agents.server import build_server
from charter.intents import FillRecord
from charter.sessions import equals
from charter.sessions.describe import save_grant

from .conftest import CHAIN_A, CHAIN_B, World, until

OPEN_SELECTOR = "0x" + Web3.keccak(text="open((uint32,bytes32,bytes))")[:4].hex()


def test_an_agent_opens_a_cross_chain_intent_over_mcp(world: World, relayer: Any, tmp_path: Path) -> None:
    principal = LocalSigner.from_key(Account.create().key)
    key = LocalSigner.from_key(Account.create().key)
    for who in (principal, key):
        world.a.w3.eth.wait_for_transaction_receipt(
            world.deployer.send_transaction(world.a.w3, {"to": who.address, "value": 10**18}))
    on_a = Charter.connect(world.a.w3, signer=principal)
    on_a.accounts.upgrade(principal)
    agent = on_a.registry.register("ipfs://charter-test/mcp-agent.json")
    world.a.send(world.deployer, world.a.token.functions.mint(principal.address, 1_000))
    settler = on_a.intents.address
    sessions = on_a.sessions
    signed = sessions.sign(sessions.prepare(
        sessions.builder(principal.address, agent, key.address)
        .allow(world.a.token.address, "approve(address spender,uint256 amount)", spender=equals(settler))
        .allow(settler, OPEN_SELECTOR)
        .token_budget(world.a.token.address, cap=150)
        .valid_for(hours=1)), principal)
    save_grant(str(tmp_path / "intents.json"), signed, ["approve(address spender,uint256 amount)", None])
    config = tmp_path / "mcp.toml"
    config.write_text(render_agent_config(
        agent, [ChainSettings(CHAIN_A, world.a.chain.url, world.oracle), ChainSettings(CHAIN_B, world.b.chain.url)],
        grants=["intents.json"], approvals="off"))
    service = AgentService(load_agent_config(config), key)
    recipient = Account.create().address
    answers: dict[str, Any] = {}

    async def open_it() -> None:
        async with Client(build_server(service)) as client:
            over = await client.call_tool("charter_open_intent", {
                "destination_chain_id": CHAIN_B, "inputs": [{"token": world.a.token.address, "amount": 151}],
                "outputs": [{"token": world.b.token.address, "amount": 150, "recipient": recipient}]})
            assert over.is_error and over.structured_content["reason"] == "OverBudget"
            opened = await client.call_tool("charter_open_intent", {
                "destination_chain_id": CHAIN_B, "inputs": [{"token": world.a.token.address, "amount": 100}],
                "outputs": [{"token": world.b.token.address, "amount": 99, "recipient": recipient}]})
            assert not opened.is_error, opened.structured_content
            answers.update(opened.structured_content)

    anyio.run(open_it)
    assert answers["status"] == "OPEN"

    def status() -> str:
        async def ask() -> str:
            async with Client(build_server(service)) as client:
                result = await client.call_tool("charter_intent_status", {"order_id": answers["order_id"]})
                assert not result.is_error and result.structured_content["destination_checked"]
                return str(result.structured_content["status"])

        return anyio.run(ask)

    assert status() == "OPEN"
    orders = {o.order.order_id_hex: o.order for o in world.a.user.intents.opened(answers["block"], answers["block"])}
    order = orders[answers["order_id"]]
    assert order.user == principal.address and order.data.agent_id == agent
    world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent))
    assert status() == "FILLED"
    assert world.b.token.functions.balanceOf(recipient).call() == 99
    r = relayer()
    until(lambda: status() == "SETTLED", r.step)

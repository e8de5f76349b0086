"""``charter mcp`` driven by the ``mcp`` package's own client, over stdio and over streamable HTTP.

The server runs as the real command (``python -m charter.cli mcp --config FILE``)
against the shared anvil chain; every effect is checked on chain (balances,
the session key's nonce: a refused call sends nothing).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import requests
from mcp import Client, StdioServerParameters
from web3 import Web3

from charter.agents.config import ChainSettings, render_agent_config
from charter.sessions import SignedGrant, equals

from .conftest import USDC, World

TOOLS = {"charter_status", "charter_call", "charter_open_intent", "charter_intent_status", "charter_request_grant",
         "charter_renounce"}
OPEN_SELECTOR = "0x" + Web3.keccak(text="open((uint32,bytes32,bytes))")[:4].hex()
TRANSFER = "transfer(address,uint256)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(world: World, folder: Path, grants: list[Path], approvals: str = "127.0.0.1:0") -> Path:
    path = folder / "mcp.toml"
    path.write_text(render_agent_config(world.agent_id, [ChainSettings(int(world.w3.eth.chain_id), world.url)],
                                        account=world.alice.address, grants=grants, state_dir=folder / "state",
                                        approvals=approvals))
    return path


def trader_grant(world: World, key: Any, folder: Path, cap: int = 10 * USDC) -> Path:
    """Transfers of USDC to bob (at most `cap` in total), approve the settler and open intents."""
    settler = world.charter().intents.address
    signed = world.grant(key, lambda b: b
                         .allow(world.token.address, "transfer(address to,uint256 amount)", to=equals(world.bob.address))  # noqa: E501
                         .allow(world.token.address, "approve(address spender,uint256 amount)", spender=equals(settler))
                         .allow(settler, OPEN_SELECTOR)
                         .token_budget(world.token.address, cap=cap))
    return world.save(signed, folder / "trader.json",
                      ["transfer(address to,uint256 amount)", "approve(address spender,uint256 amount)", None])


def data(result: Any) -> dict[str, Any]:
    assert result.structured_content is not None, result
    return dict(result.structured_content)


def _key_hex(key: Any) -> str:
    return "0x" + bytes(key.account.key).hex()


def stdio(config: Path, key: Any) -> Client:
    env = {**os.environ, "CHARTER_SESSION_KEY": _key_hex(key)}
    return Client(StdioServerParameters(command=sys.executable, args=["-m", "charter.cli", "mcp", "--config",
                                                                       str(config)], env=env))


def run(body: Callable[[Client], Awaitable[None]], client: Client) -> None:
    async def main() -> None:
        async with client:
            await body(client)

    anyio.run(main)


def nonce(world: World, key: Any) -> int:
    return int(world.w3.eth.get_transaction_count(key.address))


def test_stdio_session(world: World, tmp_path: Path) -> None:
    """List tools (valid schemas), status, a call, a batch, refusals that send nothing, an intent, the resource."""
    key = world.session_key()
    config = write_config(world, tmp_path, [trader_grant(world, key, tmp_path)])
    bob_before = world.balance(world.bob.address)

    async def body(client: Client) -> None:
        tools = (await client.list_tools()).tools
        assert TOOLS <= {t.name for t in tools}
        for tool in tools:
            jsonschema.Draft202012Validator.check_schema(tool.input_schema)
            assert len(tool.description or "") > 60, tool.name

        status = data(await client.call_tool("charter_status", {}))
        assert status["agent"]["agent_id"] == world.agent_id
        assert status["agent"]["chains"][str(world.w3.eth.chain_id)]["status"] == "active"
        (grant,) = status["grants"]
        assert grant["usable"] and grant["window"]["seconds_left"] > 3000
        (budget,) = grant["budgets"]
        assert budget["symbol"] == "USDC" and budget["decimals"] == 6
        assert budget["left"]["raw"] == 10 * USDC and budget["left"]["display"].startswith("10 USDC")
        assert grant["can_move_now"][0]["raw"] == 10 * USDC
        assert any("transfer(address to, uint256 amount)" in line for line in grant["allows"])

        done = data(await client.call_tool("charter_call", {"calls": [
            {"target": world.token.address, "function": TRANSFER, "args": [world.bob.address, "2.5 USDC"]}]}))
        assert done["done"] and done["tx_hash"].startswith("0x") and done["block"] > 0
        assert world.balance(world.bob.address) == bob_before + 2_500_000

        batch = data(await client.call_tool("charter_call", {"calls": [
            {"target": world.token.address, "function": TRANSFER, "args": [world.bob.address, 1_000_000]},
            {"target": world.token.address, "function": TRANSFER, "args": [world.bob.address, "0.5"]}]}))
        assert batch["calls"] == 2
        assert world.balance(world.bob.address) == bob_before + 4_000_000

        sent = nonce(world, key)
        refused = await client.call_tool("charter_call", {"calls": [
            {"target": world.token.address, "function": TRANSFER, "args": [world.alice.address, "1 USDC"]}]})
        assert refused.is_error and data(refused)["reason"] == "OutOfScope" and data(refused)["sent"] is False
        assert "charter_request_grant" in data(refused)["fix"]
        over = await client.call_tool("charter_call", {"calls": [
            {"target": world.token.address, "function": TRANSFER, "args": [world.bob.address, "6.5 USDC"]}]})
        assert over.is_error and data(over)["reason"] == "OverBudget"
        bad = await client.call_tool("charter_call", {"calls": [{"target": "0x1234", "function": TRANSFER}]})
        assert bad.is_error and data(bad)["reason"] == "InvalidInput"
        assert nonce(world, key) == sent, "a refused call sent a transaction"
        assert world.balance(world.bob.address) == bob_before + 4_000_000

        opened = data(await client.call_tool("charter_open_intent", {
            "destination_chain_id": world.w3.eth.chain_id,
            "inputs": [{"token": world.token.address, "amount": "1.5"}],
            "outputs": [{"token": world.token.address, "amount": "1.4"}]}))
        assert opened["status"] == "OPEN"
        status_of = data(await client.call_tool("charter_intent_status", {"order_id": opened["order_id"]}))
        assert status_of["status"] == "OPEN" and status_of["destination_checked"]
        unknown = await client.call_tool("charter_intent_status", {"order_id": "0x" + "ab" * 32})
        assert unknown.is_error and data(unknown)["reason"] == "UnknownOrder"

        after = data(await client.call_tool("charter_status", {}))["grants"][0]
        assert after["budgets"][0]["left"]["raw"] == 10 * USDC - 4 * USDC - 1_500_000

        resource = await client.read_resource("charter://grants")
        listed = json.loads(resource.contents[0].text)
        assert [g["grant"] for g in listed] == [grant["grant"]]

    run(body, stdio(config, key))


def test_http_request_grant_approve_use_renounce(world: World, tmp_path: Path) -> None:
    """Over streamable HTTP: a grant request, approved by the principal with `charter grant approve`,
    used at once; then renounced, after which the same call is refused."""
    key = world.session_key()
    config = write_config(world, tmp_path, [])
    port = _free_port()
    env = {**os.environ, "CHARTER_SESSION_KEY": _key_hex(key)}
    process = subprocess.Popen([sys.executable, "-m", "charter.cli", "mcp", "--config", str(config), "--http",
                                f"127.0.0.1:{port}"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "charter mcp --http did not listen"
                time.sleep(0.2)
        chain_id = int(world.w3.eth.chain_id)
        holder: dict[str, Any] = {}

        async def ask(client: Client) -> None:
            empty = await client.call_tool("charter_call", {"calls": [
                {"target": world.token.address, "function": TRANSFER, "args": [world.bob.address, 1]}]})
            assert empty.is_error and data(empty)["reason"] == "UnknownGrant"
            request = data(await client.call_tool("charter_request_grant", {
                "chain_id": chain_id, "valid_for": "30m",
                "allow": [f"{world.token.address}:transfer(address to,uint256 amount):to={world.bob.address}"],
                "token_budgets": [f"{world.token.address}:{3 * USDC}/1d"],
                "reason": "pay bob for the report"}))
            assert request["status"] == "pending" and request["url"].startswith("http://127.0.0.1:")
            assert any("3 USDC" in line for line in request["summary"])
            holder.update(request)

        run(ask, Client(f"http://127.0.0.1:{port}/mcp"))
        page = requests.get(holder["url"], timeout=10)
        assert page.status_code == 200 and "pay bob for the report" in page.text and "3 USDC" in page.text
        forged = requests.post(holder["url"], json={"signature": "0x" + "11" * 65}, timeout=10)
        assert forged.status_code == 400 and forged.json()["reason"] in ("GrantSignatureInvalid", "InvalidInput")
        approved = subprocess.run(
            [sys.executable, "-m", "charter.cli", "--rpc", world.url, "grant", "approve", holder["url"], "--yes"],
            env={**os.environ, "CHARTER_PRIVATE_KEY": _key_hex(world.alice)},
            capture_output=True, text=True, timeout=120)
        assert approved.returncode == 0, approved.stderr
        assert holder["grant_hash"] in approved.stdout
        bob_before = world.balance(world.bob.address)

        async def use(client: Client) -> None:
            status = data(await client.call_tool("charter_status", {}))
            assert [g["grant"] for g in status["grants"]] == [holder["grant_hash"]]
            done = data(await client.call_tool("charter_call", {"calls": [
                {"target": world.token.address, "function": TRANSFER, "args": [world.bob.address, "1 USDC"]}]}))
            assert done["done"]
            gone = data(await client.call_tool("charter_renounce", {"grant": holder["grant_hash"]}))
            assert gone["renounced"] == holder["grant_hash"]
            again = await client.call_tool("charter_call", {"grant": holder["grant_hash"], "calls": [
                {"target": world.token.address, "function": TRANSFER, "args": [world.bob.address, "1 USDC"]}]})
            assert again.is_error and data(again)["reason"] == "GrantRevoked"

        run(use, Client(f"http://127.0.0.1:{port}/mcp"))
        assert world.balance(world.bob.address) == bob_before + USDC
        signed = SignedGrant.from_json((tmp_path / "state" / "grants" / f"{holder['grant_hash']}.json").read_text())
        assert world.charter().sessions.state(signed).status.name == "REVOKED"
    finally:
        process.terminate()
        process.wait(timeout=10)

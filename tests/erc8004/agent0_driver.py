"""Drive Charter's ERC-8004 registries with agent0-sdk, unmodified.

    .venv-agent0/bin/python tests/erc8004/agent0_driver.py identity|trust|backed CONFIG.json

Runs in the agent0 virtualenv (``make setup`` makes it; agent0-sdk needs a
newer web3 than ape's), never imports ``charter``, and prints one JSON
object on stdout: ``{"steps": [{"step", "ok", "detail" | "error"}, ...]}``.
tests/erc8004/test_agent0.py starts anvil, deploys the Charter suite, writes
CONFIG (RPC URL, chain id, registry addresses, keys) and checks the steps.

How agent0-sdk is pointed at a local chain: ``SDK(chainId, rpcUrl, signer,
registryOverrides={chainId: {"IDENTITY": ..., "REPUTATION": ...,
"VALIDATION": ...}})``. The chain id has no subgraph in agent0's defaults,
so every read falls back to the chain; no IPFS client is configured, so
agent cards are on-chain ``data:application/json;base64,`` URIs
(``Agent.registerOnChain``). The MCP and A2A endpoints the card names are
served by this script on 127.0.0.1, so agent0's crawler fills the card with
their tools and skills as it would for a real agent: nothing leaves the
machine.

A step that agent0 cannot do unchanged is recorded with the client's exact
error; the test pins which steps those are.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# Local endpoints only: never through a proxy.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from agent0_sdk import SDK  # noqa: E402
from eth_account import Account  # noqa: E402
from web3 import Web3  # noqa: E402

ZERO = "0x0000000000000000000000000000000000000000"
URI_MAX = 20_480  # the AgentRegistry's limit (bytes)

STEPS: list[dict[str, Any]] = []


def step(name: str, action: Callable[[], Any]) -> Any:
    """Run `action`, record what it returned (or the client's exact error) under `name`."""
    try:
        result = action()
    except Exception as exc:  # noqa: BLE001 - the exact error is what is recorded
        STEPS.append({"step": name, "ok": False, "error": f"{type(exc).__name__}: {exc}",
                      "trace": traceback.format_exc(limit=3)[-1500:]})
        return None
    STEPS.append({"step": name, "ok": True, "detail": _plain(result)})
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


# ---------------------------------------------------------------- the agent's endpoints (local)

# A DeFi agent's MCP server: as many tools as such servers list (the card keeps their names).
MCP_TOOLS = [
    f"{verb}_{noun}"
    for noun in ("quote", "order", "fill", "settlement", "refund", "allowance", "session", "grant", "position",
                 "balance", "route", "bridge_message")
    for verb in ("get", "list", "create", "cancel", "simulate", "explain", "watch", "export")
]
MCP_PROMPTS = [f"{topic}-briefing" for topic in ("market", "risk", "settlement", "compliance", "portfolio", "incident",
                                                "treasury", "gas", "liquidity", "counterparty")]
MCP_RESOURCES = [f"charter://{kind}/{part}" for kind in ("grant", "intent", "order", "receipt", "session", "agent")
                 for part in ("schema", "examples")]
A2A_SKILLS = [
    {"id": f"skill-{i}", "name": name, "description": f"{name} on any chain the agent's grants cover",
     "tags": [name.lower().replace(" ", "-"), "defi", "erc-7683", f"chain-{i % 4}", f"tier-{i % 3}"]}
    for i, name in enumerate(("Quote intents", "Fill intents", "Settle intents", "Refund intents",
                              "Hedge positions", "Rebalance", "Report fills", "Explain a grant",
                              "Watch settlements", "Route orders", "Bridge messages", "Price risk"))
]


class _Endpoints(BaseHTTPRequestHandler):
    """An MCP server (JSON-RPC tools/prompts/resources list) and an A2A agent card."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        method = body.get("method")
        if method == "tools/list":
            result: dict[str, Any] = {"tools": [{"name": t, "inputSchema": {"type": "object"}} for t in MCP_TOOLS]}
        elif method == "prompts/list":
            result = {"prompts": [{"name": p} for p in MCP_PROMPTS]}
        elif method == "resources/list":
            result = {"resources": [{"name": r, "uri": r} for r in MCP_RESOURCES]}
        else:
            result = {}
        self._send({"jsonrpc": "2.0", "id": body.get("id"), "result": result})

    def do_GET(self) -> None:  # noqa: N802
        if self.path.endswith("agent-card.json"):
            self._send({"name": "Alice's trading agent", "version": "0.3.0", "skills": A2A_SKILLS})
        else:
            self.send_error(404)

    def _send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def serve_endpoints() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoints)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


# ---------------------------------------------------------------- helpers


def token_id(agent_id: str) -> int:
    return int(str(agent_id).split(":")[-1])


def card_of(uri: str) -> dict[str, Any]:
    assert uri.startswith("data:application/json;base64,"), uri[:40]
    return json.loads(base64.b64decode(uri.split(",", 1)[1]))


def make_sdk(config: dict[str, Any], key: str) -> SDK:
    return SDK(
        chainId=config["chain_id"],
        rpcUrl=config["rpc"],
        signer=key,
        registryOverrides={config["chain_id"]: config["registries"]},
    )


def trading_agent(sdk: SDK, base: str, name: str = "Alice's trading agent") -> Any:
    """A realistic agent, its card filled by agent0's crawler from the local endpoints."""
    agent = sdk.createAgent(
        name=name,
        description=(
            "Quotes, fills and settles ERC-7683 intents for its principal under Charter session grants: "
            "bounded budgets, allowed calls and an expiry the principal signed, revocable at any time."
        ),
        image="https://agents.example.org/trader/avatar.png",
    )
    agent.setMCP(f"{base}/mcp")
    agent.setA2A(f"{base}/.well-known/agent-card.json")
    agent.setENS("trader.alice.eth")
    for skill in ("finance_and_business/trading", "finance_and_business/settlement", "analytical_skills/risk"):
        agent.addSkill(skill)
    agent.addDomain("finance_and_business/decentralized_finance")
    agent.setTrust(reputation=True, cryptoEconomic=True)
    agent.setX402Support(True)
    agent.setActive(True)
    agent.setMetadata({"version": "1.4.2", "pricing": "0.1% of filled notional, paid in USDC"})
    return agent


def mined(handle: Any) -> Any:
    return handle.wait_mined(timeout=30).result


# ---------------------------------------------------------------- identity


def identity(config: dict[str, Any]) -> None:
    keys = config["keys"]
    base = serve_endpoints()
    alice = Account.from_key(keys["alice"])
    bob = Account.from_key(keys["bob"])
    wallet = Account.from_key(keys["wallet"])

    # Without a reputation registry address agent0 cannot be constructed at all.
    no_reputation = {k: v for k, v in config["registries"].items() if k == "IDENTITY"}
    step("sdk without a REPUTATION address", lambda: make_sdk({**config, "registries": no_reputation}, keys["alice"]))

    sdk: SDK = step("sdk", lambda: make_sdk(config, keys["alice"]))
    if sdk is None:
        return
    registry = sdk.identity_registry
    w3c = sdk.web3_client

    agent = trading_agent(sdk, base)
    uri = agent.buildOnChainRegistrationUri()
    step("card built", lambda: {"bytes": len(uri), "over 4 KiB": len(uri) > 4_096,
                                "mcpTools": len(agent.mcpTools or []), "a2aSkills": len(agent.a2aSkills or [])})
    registered = step("registerOnChain", lambda: mined(agent.registerOnChain()))
    if registered is None:
        return
    agent_id = agent.agentId
    n = token_id(agent_id)
    step("tokenURI is the card", lambda: _same(w3c.call_contract(registry, "tokenURI", n), uri))
    step("Registered event", lambda: _registered_event(sdk, n, uri, alice.address))

    loaded = step("loadAgent", lambda: sdk.loadAgent(agent_id))
    if loaded is not None:
        step("loadAgent reads the card back", lambda: _check(
            loaded.name == "Alice's trading agent"
            and loaded.description == agent.description
            and loaded.image == "https://agents.example.org/trader/avatar.png"
            and sorted(loaded.mcpTools or []) == sorted(MCP_TOOLS)
            and len(loaded.a2aSkills or []) > 8
            and loaded.ensEndpoint == "trader.alice.eth"
            and loaded.owners == [alice.address]
            and loaded.walletAddress == alice.address,
            {"name": loaded.name, "ens": loaded.ensEndpoint, "owners": loaded.owners, "wallet": loaded.walletAddress},
        ))
        step("metadata given at registration reads back", lambda: _check(
            loaded.metadata.get("version") == "1.4.2"
            and w3c.call_contract(registry, "getMetadata", n, "pricing") == b"0.1% of filled notional, paid in USDC"
            and w3c.call_contract(registry, "getMetadata", n, "agentName") == b"trader.alice.eth",
            loaded.metadata,
        ))

    step("getWallet: the owner until a wallet is proved", lambda: _same(agent.getWallet(), alice.address))
    step("setWallet (EIP-712 proof signed by the wallet)",
         lambda: mined(agent.setWallet(wallet.address, new_wallet_signer=wallet.key.hex())) and None)
    step("getWallet after setWallet", lambda: _same(agent.getWallet(), wallet.address))
    step("loadAgent sees the wallet", lambda: _same(sdk.loadAgent(agent_id).walletAddress, wallet.address))

    # agent0 sets metadata after registration only in its IPFS flow: the on-chain flow
    # (registerOnChain on a registered agent) sends setAgentURI alone. Its own binding sends it.
    step("setMetadata through agent0's registry binding", lambda: w3c.wait_for_transaction(
        w3c.transact_contract(registry, "setMetadata", n, "pricing", b"0.05% of filled notional")) and None)
    step("getMetadata after setMetadata",
         lambda: _same(w3c.call_contract(registry, "getMetadata", n, "pricing"), b"0.05% of filled notional"))

    agent.updateInfo(description=agent.description + " Now also on Base.")
    step("registerOnChain again: the card updated (setAgentURI)", lambda: mined(agent.registerOnChain()) and None)
    step("tokenURI is the new card", lambda: _same(
        card_of(w3c.call_contract(registry, "tokenURI", n))["description"], agent.description))

    step("addOperator", lambda: mined(agent.addOperator(bob.address)))
    step("isApprovedForAll", lambda: _same(w3c.call_contract(registry, "isApprovedForAll", alice.address, bob.address),
                                           True))
    step("removeOperator", lambda: mined(agent.removeOperator(bob.address)))

    step("unsetWallet", lambda: mined(agent.unsetWallet()) and None)
    step("getWallet after unsetWallet", lambda: _same(agent.getWallet(), None))

    step("transfer", lambda: mined(agent.transfer(bob.address)))
    step("owner after transfer", lambda: _same(sdk.getAgentOwner(agent_id), bob.address))
    step("isAgentOwner", lambda: _check(sdk.isAgentOwner(agent_id, bob.address)
                                        and not sdk.isAgentOwner(agent_id, alice.address), None))
    step("wallet cleared by the transfer", lambda: _same(agent.getWallet(), None))

    # A 16 KiB card (a long description) registers; one past the registry's limit is
    # refused with the registry's reason when web3 estimates the gas (nothing is sent).
    for label, size in (("a 16 KiB card", 16_384), ("a card past the limit", URI_MAX + 1_024)):
        other = trading_agent(sdk, base, name=f"An agent with {label}")
        filler = size - len(other.buildOnChainRegistrationUri())
        other.updateInfo(description=other.description + " " + "x" * (filler * 3 // 4 + 3))
        step(f"{label}: built", lambda other=other: {"bytes": len(other.buildOnChainRegistrationUri())})
        registered_other = step(f"registerOnChain with {label}", lambda other=other: mined(other.registerOnChain()))
        if registered_other is not None:
            step(f"{label}: loadAgent", lambda other=other: _same(
                sdk.loadAgent(other.agentId).description, other.description) and None)


# ---------------------------------------------------------------- reputation and validation


def trust(config: dict[str, Any]) -> None:
    keys = config["keys"]
    base = serve_endpoints()
    carol = Account.from_key(keys["carol"])  # a client of the agent
    dave = Account.from_key(keys["dave"])  # a validator
    owner_sdk = make_sdk(config, keys["alice"])
    client_sdk = make_sdk(config, keys["carol"])
    validator_sdk = make_sdk(config, keys["dave"])

    agent = trading_agent(owner_sdk, base)
    if step("registerOnChain", lambda: mined(agent.registerOnChain())) is None:
        return
    agent_id, n = agent.agentId, token_id(agent.agentId)
    endpoint = f"{base}/mcp"

    step("giveFeedback", lambda: mined(client_sdk.giveFeedback(agent_id, 87, "fill-quality", "latency", endpoint)))
    step("giveFeedback with decimals", lambda: mined(client_sdk.giveFeedback(agent_id, 4.5, "fill-quality")))
    step("owner cannot rate its own agent",
         lambda: mined(owner_sdk.giveFeedback(agent_id, 100, "fill-quality")))
    step("getFeedback", lambda: _feedback(client_sdk.getFeedback(agent_id, carol.address, 1)))
    step("searchFeedback", lambda: [_feedback(f) for f in client_sdk.searchFeedback(agentId=agent_id)])
    step("getReputationSummary", lambda: client_sdk.getReputationSummary(agent_id))
    step("getReputationSummary naming the clients",
         lambda: client_sdk.feedback_manager.getReputationSummary(agent_id, clientAddresses=[carol.address]))
    step("appendResponse", lambda: mined(owner_sdk.appendResponse(
        agent_id, carol.address, 1, {"text": "Thanks: the latency came from a congested RPC, now replaced."})))
    response_uri = "data:application/json;base64," + base64.b64encode(b'{"text":"RPC replaced"}').decode()
    reputation = owner_sdk.reputation_registry
    step("appendResponse through agent0's registry binding", lambda: owner_sdk.web3_client.wait_for_transaction(
        owner_sdk.web3_client.transact_contract(reputation, "appendResponse", n, carol.address, 1, response_uri,
                                                Web3.keccak(text=response_uri))) and None)
    step("getResponseCount", lambda: owner_sdk.web3_client.call_contract(
        reputation, "getResponseCount", n, carol.address, 1, []))
    step("revokeFeedback", lambda: _feedback(mined(client_sdk.revokeFeedback(agent_id, 2))))
    step("getLastIndex", lambda: client_sdk.web3_client.call_contract(reputation, "getLastIndex", n, carol.address))

    # agent0-sdk has no validation methods: its registry binding (ABI) is all there is.
    validation = owner_sdk.validation_registry
    request_uri = "data:application/json;base64," + base64.b64encode(b'{"check":"fills settled"}').decode()
    request_hash = Web3.keccak(text=request_uri)
    ow3, vw3 = owner_sdk.web3_client, validator_sdk.web3_client
    step("validationRequest", lambda: ow3.wait_for_transaction(ow3.transact_contract(
        validation, "validationRequest", dave.address, n, request_uri, request_hash)) and None)
    step("validationResponse", lambda: vw3.wait_for_transaction(vw3.transact_contract(
        validator_sdk.validation_registry, "validationResponse", request_hash, 95, request_uri,
        Web3.keccak(text="report"), "settlement")) and None)
    step("getValidationStatus", lambda: vw3.call_contract(validation, "getValidationStatus", request_hash))
    step("validation getSummary", lambda: vw3.call_contract(validation, "getSummary", n, [dave.address], ""))
    step("getAgentValidations", lambda: vw3.call_contract(validation, "getAgentValidations", n))
    step("getValidatorRequests", lambda: vw3.call_contract(validation, "getValidatorRequests", dave.address))
    step("getIdentityRegistry", lambda: (vw3.call_contract(reputation, "getIdentityRegistry"),
                                         vw3.call_contract(validation, "getIdentityRegistry")))


def backed(config: dict[str, Any]) -> None:
    """The receipt-backed registry, as agent0 sees it when pointed at it as its REPUTATION registry:
    the opener's owner gives feedback on the filler's agent with the settled order's id as
    feedbackHash (through agent0's own registry binding: its giveFeedback method computes the hash
    itself), then agent0's usual reads; without a settled order, or citing it twice, it is refused."""
    order = config["backed"]
    pointed = {**config, "registries": {**config["registries"], "REPUTATION": order["registry"]}}
    alice = Account.from_key(config["keys"]["alice"])
    opener_sdk = make_sdk(pointed, config["keys"]["alice"])
    stranger_sdk = make_sdk(pointed, config["keys"]["carol"])
    n = order["filler_agent"]
    agent_id = f"{config['chain_id']}:{n}"
    w3c, reputation = opener_sdk.web3_client, opener_sdk.reputation_registry
    order_id = bytes.fromhex(order["order_id"][2:])

    def cite() -> None:
        w3c.wait_for_transaction(w3c.transact_contract(reputation, "giveFeedback", n, 95, 0, "settled", "", "", "",
                                                       order_id))

    step("backed: giveFeedback citing the settled order", cite)
    step("backed: getFeedback", lambda: _feedback(opener_sdk.getFeedback(agent_id, alice.address, 1)))
    step("backed: searchFeedback", lambda: [_feedback(f) for f in stranger_sdk.searchFeedback(agentId=agent_id)])
    step("backed: getReputationSummary naming the clients",
         lambda: stranger_sdk.feedback_manager.getReputationSummary(agent_id, clientAddresses=[alice.address]))
    step("backed: giveFeedback without a settled order",
         lambda: mined(stranger_sdk.giveFeedback(agent_id, 100, "settled")))
    step("backed: the same order again", cite)


# ---------------------------------------------------------------- checks


def _same(got: Any, want: Any) -> Any:
    if got != want:
        raise AssertionError(f"got {_plain(got)!r}, expected {_plain(want)!r}")
    return got


def _check(ok: bool, detail: Any) -> Any:
    if not ok:
        raise AssertionError(f"unexpected: {_plain(detail)!r}")
    return detail


def _registered_event(sdk: SDK, n: int, uri: str, owner: str) -> dict[str, Any]:
    receipt_logs = sdk.identity_registry.events.Registered().get_logs(from_block=0, argument_filters={"agentId": n})
    assert len(receipt_logs) == 1, receipt_logs
    args = receipt_logs[0]["args"]
    _same(args["agentURI"], uri)
    _same(args["owner"], owner)
    return {"agentId": args["agentId"], "owner": args["owner"], "uriBytes": len(args["agentURI"])}


def _feedback(feedback: Any) -> dict[str, Any]:
    return {"id": repr(feedback.id), "value": feedback.value, "tags": feedback.tags, "revoked": feedback.isRevoked}


def main(argv: list[str]) -> int:
    part, config_path = argv
    config = json.loads(Path(config_path).read_text())
    {"identity": identity, "trust": trust, "backed": backed}[part](config)
    print(json.dumps({"steps": STEPS}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

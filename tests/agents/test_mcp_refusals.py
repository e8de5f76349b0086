"""``charter mcp`` while the principal acts: revoke, pause and expiry stop the next tool call; bad
configurations and grant files are refused at start with one line; URL elicitation reaches the client.

The server runs in-process here (``mcp.Client(build_server(service))``: the real tool layer without
the JSON-RPC framing); tests/agents/test_mcp.py drives the real command over stdio and HTTP.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import ElicitRequestURLParams, ElicitResult

from charter import LocalSigner
from charter.agents import AgentService, Refusal, load_agent_config
from charter.agents.server import build_server
from charter.exceptions import InvalidInput
from charter.sessions import equals

from .conftest import USDC, World
from .test_mcp import TRANSFER, _key_hex, data, write_config


def service_for(world: World, folder: Path, key: LocalSigner, grants: list[Path],
                approvals: str = "off") -> AgentService:
    config = write_config(world, folder, grants, approvals)
    return AgentService(load_agent_config(config), key)


def pay_bob(world: World, key: LocalSigner, folder: Path, name: str = "pay.json", **window: int) -> Path:
    signed = world.grant(key, lambda b: (b.allow(world.token.address, "transfer(address to,uint256 amount)",
                                                 to=equals(world.bob.address))
                                         .token_budget(world.token.address, cap=5 * USDC)
                                         .valid_for(**(window or {"hours": 1}))))
    return world.save(signed, folder / name)


def session(service: AgentService, body: Callable[[Client], Awaitable[None]], **client: Any) -> None:
    async def main() -> None:
        async with Client(build_server(service), **client) as c:
            await body(c)

    anyio.run(main)


def one_usdc(world: World) -> dict[str, Any]:
    return {"calls": [{"target": world.token.address, "function": TRANSFER, "args": [world.bob.address, "1 USDC"]}]}


def test_revoke_pause_and_expiry_stop_the_next_call(world: World, tmp_path: Path) -> None:
    key = world.session_key()
    service = service_for(world, tmp_path, key, [pay_bob(world, key, tmp_path)])
    alice = world.charter(world.alice)
    before = world.balance(world.bob.address)

    async def body(client: Client) -> None:
        assert data(await client.call_tool("charter_call", one_usdc(world)))["done"]
        alice.registry.pause(world.agent_id)
        try:
            paused = await client.call_tool("charter_call", one_usdc(world))
            assert paused.is_error and data(paused)["reason"] == "SessionAgentInactive"
            assert "resume" in data(paused)["fix"]
            status = data(await client.call_tool("charter_status", {}))
            assert status["agent"]["chains"][str(world.w3.eth.chain_id)]["status"] == "paused"
            assert status["grants"][0]["can_move_now"][0]["raw"] == 0
        finally:
            alice.registry.resume(world.agent_id)
        assert data(await client.call_tool("charter_call", one_usdc(world)))["done"]
        alice.sessions.revoke_all(world.alice.address, world.alice)
        revoked = await client.call_tool("charter_call", one_usdc(world))
        assert revoked.is_error and data(revoked)["reason"] == "GrantRevoked"
        assert data(await client.call_tool("charter_status", {}))["grants"][0]["usable"] is False

    session(service, body)
    assert world.balance(world.bob.address) == before + 2 * USDC


def test_an_expired_grant_is_refused_with_its_reason(world: World, tmp_path: Path) -> None:
    key = world.session_key()
    service = service_for(world, tmp_path, key, [pay_bob(world, key, tmp_path, minutes=5)])
    world.warp(600)

    async def body(client: Client) -> None:
        expired = await client.call_tool("charter_call", one_usdc(world))
        assert expired.is_error and data(expired)["reason"] == "GrantExpired"
        assert "charter_request_grant" in data(expired)["fix"]

    session(service, body)


def test_a_grant_request_is_offered_as_url_elicitation(world: World, tmp_path: Path) -> None:
    key = world.session_key()
    service = service_for(world, tmp_path, key, [], approvals="127.0.0.1:0")
    from charter.agents.approvals import ApprovalsServer

    approvals = ApprovalsServer(service, "127.0.0.1", 0)
    approvals.start()
    asked: list[ElicitRequestURLParams] = []

    async def elicit(context: Any, params: Any) -> ElicitResult:
        asked.append(params)
        return ElicitResult(action="accept")

    async def body(client: Client) -> None:
        request = data(await client.call_tool("charter_request_grant", {
            "chain_id": world.w3.eth.chain_id, "allow": [f"{world.token.address}:transfer(address,uint256)"],
            "token_budgets": [f"{world.token.address}:{USDC}"]}))
        assert request["elicitation"] == "accept"
        assert asked and asked[0].url == request["url"] and asked[0].elicitation_id == request["request_id"]

    try:
        session(service, body, elicitation_callback=elicit, mode="legacy")
    finally:
        approvals.stop()


def test_a_request_with_no_budget_warns_the_principal(world: World, tmp_path: Path) -> None:
    key = world.session_key()
    service = service_for(world, tmp_path, key, [])
    request = service.request_grant(int(world.w3.eth.chain_id), [f"{world.token.address}:transfer(address,uint256)"])
    assert request["unbounded"] and "no token budget" in request["unbounded"][0]
    from charter.agents.approvals import render

    page = render(service.grant_request(request["request_id"]), "http://x/grant-requests/1")
    assert "Warning" in page and "no token budget" in page
    hostile = service.request_grant(int(world.w3.eth.chain_id), [f"{world.token.address}:transfer(address,uint256)"],
                                    reason="<script>alert(1)</script>")
    assert "<script>alert(1)" not in render(service.grant_request(hostile["request_id"]), "http://x")


def test_grant_files_for_another_key_or_agent_are_refused_at_start(world: World, tmp_path: Path) -> None:
    key, other = world.session_key(eth=0), world.session_key(eth=0)
    theirs = pay_bob(world, other, tmp_path, "theirs.json")
    with pytest.raises(InvalidInput, match="is for session key"):
        service_for(world, tmp_path, key, [theirs])


@pytest.mark.parametrize(("line", "message"), [
    ("agent_idd = 1", "did you mean `agent_id`"),
    ('session_key_env = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"', "never the key"),
    ('approvals = "localhost"', "HOST:PORT"),
    ("rpc_timeout = 0", "rpc_timeout"),
])
def test_configuration_mistakes_get_one_line(world: World, tmp_path: Path, line: str, message: str) -> None:
    config = write_config(world, tmp_path, [])
    key = line.split("=")[0].strip()
    kept = [kept for kept in config.read_text().splitlines() if not kept.startswith(key + " ")]
    config.write_text("\n".join([line, *kept]) + "\n")
    with pytest.raises(InvalidInput, match=message):
        load_agent_config(config)


def test_the_command_refuses_without_a_traceback(world: World, tmp_path: Path) -> None:
    config = write_config(world, tmp_path, [tmp_path / "missing.json"])
    env = {k: v for k, v in os.environ.items() if k != "CHARTER_SESSION_KEY"}
    unset = subprocess.run([sys.executable, "-m", "charter.cli", "mcp", "--config", str(config)], env=env,
                           capture_output=True, text=True, timeout=60)
    assert unset.returncode != 0 and "CHARTER_SESSION_KEY" in unset.stderr and "Traceback" not in unset.stderr
    key = world.session_key(eth=0)
    missing = subprocess.run([sys.executable, "-m", "charter.cli", "mcp", "--config", str(config)],
                             env={**env, "CHARTER_SESSION_KEY": _key_hex(key)}, capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode != 0 and "missing.json does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_the_approvals_page_refuses_other_hosts_and_unknown_requests(world: World, tmp_path: Path) -> None:
    import requests

    from charter.agents.approvals import ApprovalsServer

    key = world.session_key(eth=0)
    service = service_for(world, tmp_path, key, [])
    approvals = ApprovalsServer(service, "127.0.0.1", 0)
    base = approvals.start()
    try:
        allow = [f"{world.token.address}:transfer(address,uint256)"]
        request = service.request_grant(int(world.w3.eth.chain_id), allow,
                                        token_budgets=[f"{world.token.address}:{USDC}"])
        assert requests.get(request["url"], timeout=10).status_code == 200
        rebound = requests.get(request["url"], headers={"Host": "attacker.example"}, timeout=10)
        assert rebound.status_code == 400
        assert requests.get(f"{base}/grant-requests/0123456789abcdef", timeout=10).status_code == 404
        assert requests.get(f"{base}/grant-requests/..%2f..%2fmcp.toml", timeout=10).status_code == 404
        refused = requests.post(request["url"] + "/refuse", timeout=10).json()
        assert refused["status"] == "refused"
        late = requests.post(request["url"], json={"signature": "0x" + "11" * 65}, timeout=10)
        assert late.status_code == 400 and "refused, not pending" in late.json()["message"]
    finally:
        approvals.stop()


def test_an_intent_to_another_chain_needs_the_operators_oracle(world: World, tmp_path: Path) -> None:
    key = world.session_key(eth=0)
    service = service_for(world, tmp_path, key, [pay_bob(world, key, tmp_path)])
    with pytest.raises(Refusal) as refused:
        service.open_intent(None, 999, [{"token": world.token.address, "amount": 10}],
                            [{"token": world.token.address, "amount": 9}])
    assert refused.value.reason == "OrderInvalid" and "oracle" in refused.value.fix


def test_unicode_digits_booleans_and_floods_are_refused(world: World, tmp_path: Path) -> None:
    key = world.session_key()
    service = service_for(world, tmp_path, key, [pay_bob(world, key, tmp_path)])
    for amount in ("٣ USDC", "２.５ USDC", "1.0000001 USDC"):
        with pytest.raises(Refusal) as refused:
            service.call(None, [{"target": world.token.address, "function": TRANSFER,
                                 "args": [world.bob.address, amount]}])
        assert refused.value.reason == "InvalidInput", amount

    async def body(client: Client) -> None:
        flag = await client.call_tool("charter_call", {"calls": [{"target": world.bob.address, "value": True}]})
        assert flag.is_error and data(flag)["reason"] == "InvalidInput"

    session(service, body)
    allow = [f"{world.token.address}:transfer(address,uint256)"]
    budget = [f"{world.token.address}:{USDC}"]
    from charter.agents.service import MAX_PENDING

    for _ in range(MAX_PENDING):
        service.request_grant(int(world.w3.eth.chain_id), allow, token_budgets=budget)
    with pytest.raises(Refusal) as flooded:
        service.request_grant(int(world.w3.eth.chain_id), allow, token_budgets=budget)
    assert flooded.value.reason == "TooManyRequests"
    service.refuse(service.status()["pending_requests"][0])
    service.request_grant(int(world.w3.eth.chain_id), allow, token_budgets=budget)


def test_an_approval_counts_only_with_the_accounts_signature_of_this_grant_here(world: World, tmp_path: Path) -> None:
    """Wrong signer, the grant signed for another chain, another grant, a replay after approval: refused."""
    from charter._core.eip712 import sign_typed
    from charter.sessions import Grant

    key = world.session_key(eth=0)
    service = service_for(world, tmp_path, key, [])
    sessions = world.charter().sessions
    allow = [f"{world.token.address}:transfer(address,uint256)"]
    request = service.request_grant(int(world.w3.eth.chain_id), allow, token_budgets=[f"{world.token.address}:{USDC}"])
    record = service.grant_request(request["request_id"])
    grant = Grant.model_validate(record["grant"])
    other = service.grant_request(service.request_grant(int(world.w3.eth.chain_id), allow)["request_id"])
    wrong = {
        "wrong signer": sign_typed(world.bob, record["typed_data"]),
        "other chain": sign_typed(world.alice, grant.typed_data(1, sessions.address)),
        "other grant": sign_typed(world.alice, other["typed_data"]),
    }
    for case, signature in wrong.items():
        with pytest.raises(Refusal) as refused:
            service.approve(request["request_id"], "0x" + signature.hex())
        assert refused.value.reason == "GrantSignatureInvalid", case
    assert service.status()["grants"] == []
    good = sign_typed(world.alice, record["typed_data"])
    assert service.approve(request["request_id"], "0x" + good.hex())["grant"] == request["grant_hash"]
    with pytest.raises(Refusal, match="approved, not pending"):
        service.approve(request["request_id"], "0x" + good.hex())


def test_charter_grant_approve_refuses_a_request_whose_grant_does_not_hash_to_what_it_shows(
    world: World, tmp_path: Path,
) -> None:
    """A hostile or broken server edits the grant after showing its hash: nothing is signed."""
    import json

    from charter.agents.approvals import ApprovalsServer

    key = world.session_key(eth=0)
    service = service_for(world, tmp_path, key, [])
    approvals = ApprovalsServer(service, "127.0.0.1", 0)
    approvals.start()
    try:
        allow = [f"{world.token.address}:transfer(address,uint256)"]
        request = service.request_grant(int(world.w3.eth.chain_id), allow,
                                        token_budgets=[f"{world.token.address}:{USDC}"])
        path = tmp_path / "state" / "requests" / f"{request['request_id']}.json"
        record = json.loads(path.read_text())
        record["grant"]["token_budgets"][0]["cap"] = 10**30  # the page still shows 1 USDC and the old hash
        path.write_text(json.dumps(record))
        answer = subprocess.run(
            [sys.executable, "-m", "charter.cli", "--rpc", world.url, "grant", "approve", request["url"], "--yes"],
            env={**os.environ, "CHARTER_PRIVATE_KEY": _key_hex(world.alice)}, capture_output=True, text=True,
            timeout=120)
        assert answer.returncode != 0 and "does not hash to the grant_hash" in answer.stderr
        assert "Traceback" not in answer.stderr
        assert service.grant_request(request["request_id"])["status"] == "pending"
    finally:
        approvals.stop()

"""The principal's other answers to a grant request, as both requesters take them (``charter mcp``'s
AgentService and ``charter grant request``'s OneRequest, through the shared answered_grant):

- ``issued_tx``: the grant issued on chain, taken only when the chain shows that very grant active
  for the account (another grant's transaction, a revoked grant, a transaction never mined: refused);
- ``grant`` with a signature: a grant edited down, taken only when it is within the grant requested
  (narrower); a wider one is refused and the request stays pending.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from charter.agents import Refusal
from charter.agents.approvals import ApprovalsServer
from charter.agents.requester import OneRequest
from charter.agents.service import AgentService, issued_grant
from charter.exceptions import OverBudget
from charter.sessions import Grant, SignedGrant, equals
from charter.sessions.describe import TokenLookup

from .conftest import USDC, World
from .test_mcp import TRANSFER
from .test_mcp_refusals import service_for


def _ask(world: World, service: AgentService, cap: int = 5 * USDC) -> tuple[str, Grant]:
    """The agent asks to pay bob, `cap` at most: the request id and the requested grant."""
    allow = f"{world.token.address}:transfer(address to,uint256 amount):to={world.bob.address}"
    request = service.request_grant(int(world.w3.eth.chain_id), [allow], token_budgets=[f"{world.token.address}:{cap}"])
    return request["request_id"], Grant.model_validate(service.grant_request(request["request_id"])["grant"])


def _capped(grant: Grant, cap: int) -> Grant:
    budget = grant.token_budgets[0].model_copy(update={"cap": cap})
    return grant.model_copy(update={"token_budgets": (budget,)})


def _as_json(grant: Grant) -> dict[str, Any]:
    return json.loads(grant.model_dump_json())


def _pay(service: AgentService, grant_hash: str, amount: str, world: World) -> dict[str, Any]:
    return service.call(grant_hash, [{"target": world.token.address, "function": TRANSFER,
                                      "args": [world.bob.address, amount]}])


def test_an_issued_grant_counts_only_when_the_chain_shows_it(world: World, tmp_path: Path) -> None:
    key = world.session_key()
    service = service_for(world, tmp_path, key, [])
    alice = world.charter(world.alice).sessions
    request_id, grant = _ask(world, service)

    other_id, other = _ask(world, service, cap=2 * USDC)  # another grant issued: its transaction proves nothing here
    _, other_tx = alice.issue(other, world.alice)
    with pytest.raises(Refusal) as refused:
        service.approve(request_id, issued_tx=other_tx.tx_hash)
    assert refused.value.reason == "GrantNotIssued" and "did not issue this grant" in refused.value.message

    revoked_id, revoked = _ask(world, service, cap=3 * USDC)  # issued, then revoked: the state decides
    _, revoked_tx = alice.issue(revoked, world.alice)
    alice.revoke(revoked, world.alice)
    with pytest.raises(Refusal) as refused:
        service.approve(revoked_id, issued_tx=revoked_tx.tx_hash)
    assert refused.value.reason == "GrantNotIssued" and "revoked" in refused.value.message
    with pytest.raises(Refusal, match="not in the chain"):
        issued_grant(alice, grant, "0x" + "ab" * 32, timeout=0.2)
    with pytest.raises(Refusal, match="either|one of them"):
        service.approve(request_id, "0x" + "11" * 65, issued_tx=other_tx.tx_hash)
    assert service.status()["grants"] == [] and request_id in service.pending

    _, tx = alice.issue(grant, world.alice)
    answer = service.approve(request_id, issued_tx=tx.tx_hash)
    assert answer == {"approved": True, "grant": "0x" + grant.hash(alice.chain_id, alice.address).hex(),
                      "request_id": request_id, "issued_tx": tx.tx_hash}
    record = service.grant_request(request_id)
    assert record["status"] == "approved" and record["approved"]["how"] == "issued on chain"
    saved = SignedGrant.from_json((tmp_path / "state" / "grants" / f"{answer['grant']}.json").read_text())
    assert saved.grant == grant and not saved.signature  # an issued grant: no signature to present
    before = world.balance(world.bob.address)
    _pay(service, answer["grant"], "1 USDC", world)  # the agent acts under it
    assert world.balance(world.bob.address) == before + USDC
    assert other_id in service.pending  # answered with the wrong transaction: still waiting


def test_a_grant_edited_down_is_taken_and_a_wider_one_refused(world: World, tmp_path: Path) -> None:
    key = world.session_key()
    service = service_for(world, tmp_path, key, [])
    alice = world.charter(world.alice).sessions
    request_id, grant = _ask(world, service, cap=5 * USDC)

    wider = _capped(grant, 6 * USDC)
    signature = "0x" + alice.sign(wider, world.alice).signature.hex()
    with pytest.raises(Refusal) as refused:
        service.approve(request_id, signature, grant=_as_json(wider))
    assert refused.value.reason == "WiderThanRequested"
    assert f"raises the cap of token {world.token.address} (5,000,000 -> 6,000,000)" in refused.value.message
    narrower = _capped(grant, 2 * USDC)
    with pytest.raises(Refusal) as refused:  # the requested grant's signature does not sign the edited one
        service.approve(request_id, "0x" + alice.sign(grant, world.alice).signature.hex(), grant=_as_json(narrower))
    assert refused.value.reason == "GrantSignatureInvalid"
    assert service.grant_request(request_id)["status"] == "pending"

    signature = "0x" + alice.sign(narrower, world.alice).signature.hex()
    answer = service.approve(request_id, signature, grant=_as_json(narrower))
    given = "0x" + narrower.hash(alice.chain_id, alice.address).hex()
    assert answer == {"approved": True, "grant": given, "request_id": request_id, "narrowed": True,
                      "requested_grant": "0x" + grant.hash(alice.chain_id, alice.address).hex()}
    record = service.grant_request(request_id)
    assert record["approved"]["grant_hash"] == given and record["approved"]["narrowed"] is True
    assert [g["grant"] for g in service.status()["grants"]] == [given]
    with pytest.raises(OverBudget):
        _pay(service, given, "3 USDC", world)  # within the 5 asked for, above the 2 given
    _pay(service, given, "2 USDC", world)


def test_charter_grant_requests_one_request_takes_them_over_the_protocol(world: World, tmp_path: Path) -> None:
    """OneRequest behind the approvals site: a wider grant refused (400, still pending), then the grant
    edited down and issued on chain, taken; the requester keeps the grant given."""
    key = world.session_key()
    sessions = world.charter().sessions
    grant = sessions.prepare(sessions.builder(world.alice.address, world.agent_id, key.address)
                             .allow(world.token.address, "transfer(address to,uint256 amount)",
                                    to=equals(world.bob.address))
                             .token_budget(world.token.address, cap=4 * USDC).valid_for(hours=1))
    kept: list[SignedGrant] = []
    requester = OneRequest(sessions, grant, [None], TokenLookup(world.w3), on_approved=kept.append)
    server = ApprovalsServer(requester, "127.0.0.1", 0)
    server.start()
    try:
        url = str(requester.url)
        alice = world.charter(world.alice).sessions
        wider = grant.model_copy(update={"valid_until": grant.valid_until + 60})
        answer = requests.post(url, json={"signature": "0x" + alice.sign(wider, world.alice).signature.hex(),
                                          "grant": _as_json(wider)}, timeout=30)
        assert answer.status_code == 400 and answer.json()["reason"] == "WiderThanRequested"
        assert "ends the window later" in answer.json()["message"] and requester.status == "pending"
        assert requests.post(url, json={"grant": _as_json(grant)}, timeout=30).status_code == 400  # no answer in it

        narrower = _capped(grant, USDC).model_copy(update={"max_calls": 1})
        _, tx = alice.issue(narrower, world.alice)
        answer = requests.post(url, json={"issued_tx": tx.tx_hash, "grant": _as_json(narrower)}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["narrowed"] is True and answer.json()["issued_tx"] == tx.tx_hash
        assert requester.wait(1) == "approved" and requester.issued_tx == tx.tx_hash
        record = requests.get(url + ".json", timeout=10).json()
        assert record["approved"]["grant_hash"] == answer.json()["grant"] != record["grant_hash"]
    finally:
        server.stop()
    assert requester.signed is not None and requester.signed.grant == narrower and kept == [requester.signed]
    with pytest.raises(OverBudget):
        world.charter(key).sessions.execute(requester.signed, _transfer(world, 2 * USDC), key=key)


def _transfer(world: World, amount: int) -> Any:
    from charter import Call

    return Call.to(world.token.address, "transfer(address,uint256)", world.bob.address, amount)

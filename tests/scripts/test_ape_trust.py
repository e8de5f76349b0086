"""`ape run feedback` and `ape run validation` against one anvil: a local order of test account 0's
agent filled by test account 1's agent (its fill settles it) backs feedback; the plain registry,
a response, a revocation, a validation. Each command is its own process (APE_FOUNDRY_HOST)."""

from __future__ import annotations

import pytest
from ape_helpers import ape_runner, ok, refused

from charter import Charter, LocalSigner
from charter.devchain import DEV_KEYS, local_anvil
from charter.intents import NATIVE, FillRecord, Input, Output
from charter.trust import request_hash_of


@pytest.fixture(scope="module")
def world():
    with local_anvil() as chain:
        opener, filler, other = (LocalSigner.from_key(k) for k in DEV_KEYS[:3])
        Charter.deploy(chain.w3, opener)
        alice, solver = Charter.connect(chain.w3, signer=opener), Charter.connect(chain.w3, signer=filler)
        agent = alice.registry.register("ipfs://charter-test/agent.json")
        solver_agent = solver.registry.register("ipfs://charter-test/solver.json")
        here = chain.w3.eth.chain_id
        order = alice.intents.order(
            user=opener.address, agent_id=agent, inputs=[Input(token=NATIVE, amount=10**15)],
            outputs=[Output(token=NATIVE, amount=10**15, recipient=other.address, chain_id=here)],
            destination_chain_id=here, fill_within=600)
        alice.intents.open(order)
        solver.intents.fill(order, FillRecord(payout=filler.address, filler_agent_id=solver_agent))
        yield {"run": ape_runner(chain.url), "order": order.order_id_hex, "agent": str(agent),
               "solver_agent": str(solver_agent), "other": other.address, "opener": opener.address}


def test_feedback_and_validation_scripts(world):
    run, order, agent = world["run"], world["order"], world["agent"]
    given = ok(run("feedback", "give", order, "92.5"))  # test account 0, the order's user: reviews the filler's agent
    assert "recorded the order's receipt first" in given
    assert f"agent {world['solver_agent']} from {world['opener']} #1: 92.5 [settled], order {order}" in given
    assert "already backs a feedback" in refused(run("feedback", "give", order, "100"))

    plain = ok(run("feedback", "give-plain", agent, "87", "--tag1", "starred", "--sender", "TEST::2"))
    assert f"agent {agent} from {world['other']} #1: 87 [starred]" in plain
    assert "1 response(s)" in ok(run("feedback", "respond", agent, world["other"], "1", "ipfs://reply"))
    assert "revoked" in ok(run("feedback", "revoke", agent, "1", "--sender", "TEST::2"))
    read = ok(run("feedback", "reputation", world["solver_agent"], "--entries"))
    assert "ERC-8004 (" in read and "0 feedback, average -" in read
    assert "1 settled order(s), average 92.5, settled 1,000,000,000,000,000 of " in read

    asked = ok(run("validation", "request", world["other"], agent, "ipfs://work"))
    request = "0x" + request_hash_of("ipfs://work").hex()
    assert f"request {request}: validator {world['other']}, agent {agent}, response 0" in asked
    assert "response 100 [fill]" in ok(run("validation", "respond", request, "100", "--tag", "fill",
                                           "--sender", "TEST::2"))

"""ERC-8004 trust registries: full-transaction gas on the suite's
ReputationRegistry and ValidationRegistry.

Used by ``benchmarks/gas.py`` on its anvil (the suite deployed), after the
registry and session benchmarks. An agent is registered by dev account 6;
the reviewers (dev accounts 7, 8, 9) hold no agent. Every figure is a full
transaction (21,000 base and calldata included); no DESIGN.md target.

- ``trust.give_feedback``: the plain case: a client's first feedback to an
  agent that other clients already reviewed (value 87, 0 decimals, tag1
  ``starred``, empty tag2, a 25-byte endpoint, a 59-character ipfs://
  feedbackURI, a feedbackHash);
- ``trust.give_feedback_first_client``: the same as the agent's very first
  feedback (its client list goes from empty to one);
- ``trust.give_feedback_again``: the same client's next feedback;
- ``trust.revoke_feedback``: revoking that feedback;
- ``trust.append_response``: a first response (the agent's owner) with a
  59-character ipfs:// URI;
- ``trust.validation_request``: a request by the owner naming a validator,
  59-character URI;
- ``trust.validation_response``: the validator's first answer (score, a
  59-character URI, a hash, a 4-byte tag); ``trust.validation_response_again``
  a second answer to the same request.

The reference deployment (erc-8004-contracts 2.0.0, Solidity behind a UUPS
proxy) is not measured here: no Solidity compiler in the toolchain.
"""

from __future__ import annotations

from web3 import Web3
from web3.logs import DISCARD

from charter._core.artifacts import abi
from charter.deployments import create2_address

URI_59 = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa"
ENDPOINT = "https://agent.example/mcp"
DIGEST = Web3.keccak(text="feedback file")


def _gas(w3: Web3, tx_hash: bytes) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise SystemExit(f"benchmark transaction reverted: {receipt['transactionHash'].hex()}")
    return int(receipt["gasUsed"])


def bench_trust(w3: Web3) -> dict[str, int]:
    registry = w3.eth.contract(address=create2_address("AgentRegistry"), abi=abi("AgentRegistry"))
    reputation = w3.eth.contract(address=create2_address("ReputationRegistry"), abi=abi("ReputationRegistry")).functions
    validation = w3.eth.contract(address=create2_address("ValidationRegistry"), abi=abi("ValidationRegistry")).functions
    owner, first, client, validator = w3.eth.accounts[6:10]
    receipt = w3.eth.wait_for_transaction_receipt(registry.functions.register(URI_59).transact({"from": owner}))
    (registered,) = registry.events.Registered().process_receipt(receipt, errors=DISCARD)
    agent = int(registered["args"]["agentId"])

    def give(sender: str) -> int:
        return _gas(w3, reputation.giveFeedback(agent, 87, 0, "starred", "", ENDPOINT, URI_59, DIGEST).transact(
            {"from": sender}
        ))

    out = {
        "trust.give_feedback_first_client": give(first),
        "trust.give_feedback": give(client),
        "trust.give_feedback_again": give(client),
    }
    out["trust.revoke_feedback"] = _gas(w3, reputation.revokeFeedback(agent, 2).transact({"from": client}))
    out["trust.append_response"] = _gas(
        w3, reputation.appendResponse(agent, client, 1, URI_59, DIGEST).transact({"from": owner})
    )
    request = Web3.keccak(text="validation request")
    out["trust.validation_request"] = _gas(
        w3, validation.validationRequest(validator, agent, URI_59, request).transact({"from": owner})
    )
    out["trust.validation_response"] = _gas(
        w3, validation.validationResponse(request, 95, URI_59, DIGEST, "zkml").transact({"from": validator})
    )
    out["trust.validation_response_again"] = _gas(
        w3, validation.validationResponse(request, 97, URI_59, DIGEST, "zkml").transact({"from": validator})
    )
    return out

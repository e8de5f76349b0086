"""agent0-sdk, the most used third-party ERC-8004 Python client, drives Charter's registries unchanged.

agent0-sdk 1.7.1 needs a newer web3 than ape's, so it lives in its own
virtualenv (``.venv-agent0``, pinned in requirements-agent0.txt, made by
``make setup``) and runs tests/erc8004/agent0_driver.py as a subprocess
against an anvil with the Charter suite deployed. The driver records every
step with the client's own result or exact error; these tests check that
each step works, except the few that agent0 cannot do unchanged, which must
fail exactly as pinned in ``EXPECTED_REFUSALS`` (so a change on either side
shows up here). docs/registry.md explains each of them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from charter import Charter, LocalSigner
from charter.deployments import Manifest, create2_address
from charter.devchain import DEV_KEYS, local_anvil
from charter.intents import NATIVE, FillRecord, Input, OrderStatus, Output

ROOT = Path(__file__).resolve().parents[2]
AGENT0_PYTHON = ROOT / ".venv-agent0" / "bin" / "python"
DRIVER = Path(__file__).with_name("agent0_driver.py")
CHAIN_ID = 31_337

# Steps agent0-sdk 1.7.1 cannot do unchanged against Charter, and the error each gives.
EXPECTED_REFUSALS = {
    "identity": {
        # SDK.__init__ builds the reputation binding eagerly, even for identity-only use.
        "sdk without a REPUTATION address": "No reputation registry address for chain 31337",
        # The card is past the registry's 20,480 bytes: refused with the reason when web3 estimates gas.
        "registerOnChain with a card past the limit": "registry: uri too long",
    },
    "trust": {
        # ERC-8004: an agent's owner or operators may not rate it.
        "owner cannot rate its own agent": "reputation: self-feedback",
        # ERC-8004 getSummary requires the client list; agent0's getReputationSummary passes none.
        "getReputationSummary": "reputation: clients required",
        # Without IPFS agent0 sends an empty responseURI, which the registry refuses.
        "appendResponse": "reputation: empty URI",
        # agent0's ABI has the draft's five outputs; ERC-8004 v1 (and Charter) return responseHash too.
        "getValidationStatus": "Could not decode contract function call to getValidationStatus",
    },
    "backed": {
        # The receipt-backed registry: feedback must cite a settled order of its counterparty, once.
        "backed: giveFeedback without a settled order": "reputation: no receipt",
        "backed: the same order again": "reputation: receipt used",
    },
}


@pytest.fixture(scope="module")
def suite() -> Iterator[dict[str, Any]]:
    """An anvil with the Charter suite, and the driver's configuration for it."""
    if not AGENT0_PYTHON.exists():
        pytest.fail(f"{AGENT0_PYTHON.relative_to(ROOT)} is missing: run `make setup` (or `make agent0`)")
    with local_anvil(chain_id=CHAIN_ID) as chain:
        manifest = Manifest(path=None)
        Charter.deploy(chain.w3, LocalSigner.from_key(DEV_KEYS[0]), manifest=manifest)
        settled = _settled_local_order(chain.w3)
        registries = {
            "IDENTITY": create2_address("AgentRegistry"),
            "REPUTATION": create2_address("ReputationRegistry"),
            "VALIDATION": create2_address("ValidationRegistry"),
        }
        yield {
            "rpc": chain.url,
            "chain_id": CHAIN_ID,
            "registries": registries,
            "keys": {
                "alice": DEV_KEYS[1],
                "bob": DEV_KEYS[2],
                "carol": DEV_KEYS[3],
                "dave": DEV_KEYS[4],
                "wallet": Account.create().key.to_0x_hex(),
            },
            "backed": settled,
        }


def _settled_local_order(w3: Any) -> dict[str, Any]:
    """A local order of alice's agent filled (so settled) by bob's agent, its receipt recorded in the
    receipt-backed registry: what agent0 then cites."""
    alice, bob = Charter.connect(w3, signer=DEV_KEYS[1]), Charter.connect(w3, signer=DEV_KEYS[2])
    opener = alice.registry.register("ipfs://charter-test/opener.json")
    filler = bob.registry.register("ipfs://charter-test/filler.json")
    order = alice.intents.order(user=alice.signer.address, agent_id=opener, destination_chain_id=CHAIN_ID,
                                inputs=[Input(token=NATIVE, amount=10**15)],
                                outputs=[Output(token=NATIVE, amount=10**15, recipient=alice.signer.address,
                                                chain_id=CHAIN_ID)])
    alice.intents.open(order)
    bob.intents.fill(order, FillRecord(payout=bob.signer.address, filler_agent_id=filler))
    assert alice.intents.origin_status(order.order_id) == OrderStatus.SETTLED
    alice.backed_reputation.record_receipt(order.order_id)
    return {"registry": create2_address("BackedReputationRegistry"), "order_id": order.order_id_hex,
            "filler_agent": filler}


def run_driver(part: str, config: dict[str, Any], tmp_path: Path) -> dict[str, dict[str, Any]]:
    path = tmp_path / f"agent0-{part}.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [str(AGENT0_PYTHON), str(DRIVER), part, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-4000:]
    steps = json.loads(done.stdout.strip().splitlines()[-1])["steps"]
    return {s["step"]: s for s in steps}


def check(part: str, steps: dict[str, dict[str, Any]]) -> None:
    refusals = EXPECTED_REFUSALS[part]
    failed = {name: s["error"] for name, s in steps.items() if not s["ok"] and name not in refusals}
    assert not failed, json.dumps(failed, indent=2)
    for name, fragment in refusals.items():
        assert name in steps, f"step {name!r} did not run"
        assert not steps[name]["ok"], f"{name!r} now works: {steps[name].get('detail')!r}; update the test and docs"
        assert fragment in steps[name]["error"], steps[name]["error"]


def test_identity_registry(suite: dict[str, Any], tmp_path: Path) -> None:
    """Register with an on-chain card over 4 KiB, read back, wallet, metadata, URI update, operators, transfer."""
    steps = run_driver("identity", suite, tmp_path)
    check("identity", steps)
    card = steps["card built"]["detail"]
    assert card["over 4 KiB"] and card["mcpTools"] == 96 and card["a2aSkills"] > 12
    assert steps["Registered event"]["detail"]["uriBytes"] == card["bytes"]
    assert 16_384 <= steps["a 16 KiB card: built"]["detail"]["bytes"] <= 16_500
    assert steps["a card past the limit: built"]["detail"]["bytes"] > 20_480


def test_reputation_and_validation_registries(suite: dict[str, Any], tmp_path: Path) -> None:
    """Feedback given, read, searched, summarised, answered and revoked; a validation requested and answered."""
    steps = run_driver("trust", suite, tmp_path)
    check("trust", steps)
    given = steps["getFeedback"]["detail"]
    assert given["value"] == 87 and given["tags"] == ["fill-quality", "latency"] and not given["revoked"]
    assert steps["revokeFeedback"]["detail"]["revoked"] is True
    summary = steps["getReputationSummary naming the clients"]["detail"]
    assert summary["count"] == 2
    assert steps["getResponseCount"]["detail"] == 1
    assert steps["validation getSummary"]["detail"] == [1, 95]
    assert len(steps["getAgentValidations"]["detail"]) == 1
    assert steps["getValidatorRequests"]["detail"] == steps["getAgentValidations"]["detail"]


def test_an_unmodified_client_reads_only_backed_feedback(suite: dict[str, Any], tmp_path: Path) -> None:
    """agent0 pointed at the receipt-backed registry: the opener's owner cites the settled order as
    feedbackHash; agent0's reads see it; without a settled order, or twice, it is refused."""
    steps = run_driver("backed", suite, tmp_path)
    check("backed", steps)
    assert steps["backed: getFeedback"]["detail"]["value"] == 95
    assert steps["backed: getReputationSummary naming the clients"]["detail"]["count"] == 1
    assert [f["value"] for f in steps["backed: searchFeedback"]["detail"]] == [95]

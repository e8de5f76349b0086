"""`charter feedback`, `charter validation` and `charter agent reputation` on two real anvils: feedback
backed by an order opened on A and filled on B (the filler's agent represented on A), the plain
registry, validations; every refusal is one `error:` line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from charter import LocalSigner
from charter.cli import cli
from charter.devchain import DEV_KEYS
from charter.registry.represent import AgentState, CommitteeInbox, represented_id

from .conftest import CHAIN_A, CHAIN_B, COMMITTEE, World

USER, FILLER = DEV_KEYS[1], DEV_KEYS[2]


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart by default


def charter(world: World, key: str, *args: str) -> Result:
    """`charter --rpc A ARGS` sending with `key`."""
    env: dict[str, str | None] = {"CHARTER_PRIVATE_KEY": key, "CHARTER_RPC": None, "CHARTER_MANIFEST": None}
    return _runner().invoke(cli, ["--rpc", world.a.chain.url, *args], env=env, catch_exceptions=False)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def refused(result: Result, code: int) -> str:
    """One `error: ...` line on stderr, exit `code`, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "Traceback" not in result.stdout + result.stderr
    return line


@pytest.fixture(scope="module")
def filler_on_a(world: World) -> int:
    """The filler's agent (of B) as A knows it: represented through the committee's oracle (once per session)."""
    local = represented_id(world.oracle, CHAIN_B, world.filler_agent)
    if world.a.user.registry.home_of(local) is not None:
        return local
    state = AgentState.read(world.b.filler.registry, world.filler_agent)
    inbox = CommitteeInbox(world.a.w3, world.oracle, world.deployer)
    return int(inbox.deliver(state, inbox.proof(state, COMMITTEE[:2])).agent_id or 0)


@pytest.fixture(scope="module")
def stranger(world: World) -> str:
    """A funded key that is party to nothing."""
    account = Account.create()
    world.a.w3.eth.wait_for_transaction_receipt(
        world.deployer.send_transaction(world.a.w3, {"to": account.address, "value": 10**18}))
    return str(account.key.to_0x_hex())


def test_backed_feedback_both_ways_read_revoked_and_refused(world: World, filler_on_a: int, stranger: str) -> None:
    order = world.settled()
    oid = order.order_id_hex
    token = world.a.token.address

    assert "is not a number" in refused(charter(world, USER, "feedback", "give", oid, "great"), 1)
    assert "0 to 18 decimals" in refused(charter(world, USER, "feedback", "give", oid, "0." + "0" * 18 + "1"), 1)
    assert world.a.user.backed_reputation.receipt(order.order_id) is None  # bad scores sent nothing

    given = as_json(charter(world, USER, "feedback", "give", oid, "92.5", "--json"))
    assert given["receipt_recorded"] is True and "recorded the order's receipt first" in given["note"]
    entry = given["feedback"]
    assert (entry["agent_id"], entry["client"], entry["score"], entry["tag1"]) == (
        filler_on_a, world.user.address, "92.5", "settled")
    assert entry["backing"] == {"order_id": oid, "token": token, "amount": 10**18}

    back = ok(charter(world, FILLER, "feedback", "give", oid, "80", "--tag2", "fast"))
    assert "recorded" not in back
    assert (f"receipt-backed feedback 80 on agent {world.user_agent} from {world.filler.address} (index "
            in back) and f"backed by order {oid} (1,000,000,000,000,000,000 of {token})" in back

    # Once per direction; strangers and unsettled orders are refused with the registry's reason.
    assert "ReceiptUsed" in refused(charter(world, USER, "feedback", "give", oid, "100"), 3)
    assert "not a counterparty" in refused(charter(world, stranger, "feedback", "give", oid, "100"), 3)
    opened = world.order()
    world.a.user.intents.open(opened)
    assert "is not settled on chain" in refused(charter(world, USER, "feedback", "give", opened.order_id_hex, "9"), 3)
    assert "ORDER_ID" in refused(charter(world, USER, "feedback", "give", "0x1234", "9"), 1)

    # Read: summary with the value filter, entries, one entry.
    summary = as_json(charter(world, USER, "agent", "reputation", str(filler_on_a), "--backed", "--min-value",
                              str(10**18), "--token", token, "--json"))["backed"]
    assert summary["count"] >= 1 and summary["volume"] == [{"token": token, "amount": summary["count"] * 10**18}]
    assert "plain" not in as_json(charter(world, USER, "agent", "reputation", str(filler_on_a), "--backed",
                                          "--json"))
    dust = as_json(charter(world, USER, "agent", "reputation", str(filler_on_a), "--backed", "--min-value",
                           str(10**18 + 1), "--json"))["backed"]
    assert dust["count"] == 0 and dust["ignored"] >= 1
    table = ok(charter(world, USER, "agent", "reputation", str(world.user_agent), "--entries"))
    assert "ERC-8004 reputation" in table and "receipt-backed reputation" in table
    assert world.filler.address in table and oid in table and "fast" in table
    shown = ok(charter(world, USER, "feedback", "show", str(filler_on_a), world.user.address, str(entry["index"]),
                       "--backed"))
    assert "92.5 (value 925, 1 decimals)" in shown and oid in shown
    assert "--min-value and --token" in refused(charter(world, USER, "agent", "reputation", "1", "--plain",
                                                        "--min-value", "5"), 1)

    # Revoke: the entry stays, flagged, and leaves the summary.
    before = summary["count"]
    revoked = as_json(charter(world, USER, "feedback", "revoke", str(filler_on_a), str(entry["index"]), "--backed",
                              "--json"))
    assert revoked["feedback"]["revoked"] is True
    after = as_json(charter(world, USER, "agent", "reputation", str(filler_on_a), "--backed", "--min-value",
                            str(10**18), "--token", token, "--json"))["backed"]
    assert after["count"] == before - 1
    assert "already revoked" in refused(charter(world, USER, "feedback", "revoke", str(filler_on_a),
                                                str(entry["index"]), "--backed"), 3)


def test_plain_feedback_respond_show_revoke_and_an_unreviewed_agent(world: World, stranger: str) -> None:
    agent = str(world.user_agent)
    me = LocalSigner.from_key(stranger).address
    given = as_json(charter(world, stranger, "feedback", "give-plain", agent, "87.25", "--tag1", "starred",
                            "--endpoint", "https://agent.example/mcp", "--json"))
    index = str(given["feedback"]["index"])
    assert given["registry"] == "ERC-8004" and given["feedback"]["score"] == "87.25"
    assert given["feedback"]["backing"] is None
    assert "may not review itself" in refused(charter(world, USER, "feedback", "give-plain", agent, "100"), 3)

    responded = ok(charter(world, USER, "feedback", "respond", agent, me, index, "ipfs://reply"))
    assert f"responded to ERC-8004 feedback {index} of {me} on agent {agent}" in responded
    shown = as_json(charter(world, USER, "feedback", "show", agent, me, index, "--json"))
    assert (shown["score"], shown["tag1"], shown["responses"], shown["revoked"]) == ("87.25", "starred", 1, False)
    assert "no feedback with this index" in refused(charter(world, USER, "feedback", "show", agent, me, "999"), 3)

    plain = as_json(charter(world, USER, "agent", "reputation", agent, "--plain", "--client", me, "--tag1",
                            "starred", "--json"))["plain"]
    assert plain["count"] == int(index) and plain["clients"] == 1
    assert "revoked ERC-8004 feedback" in ok(charter(world, stranger, "feedback", "revoke", agent, index))
    assert "FeedbackAlreadyRevoked" in refused(charter(world, stranger, "feedback", "revoke", agent, index), 3)

    fresh = world.a.user.registry.register("ipfs://charter-test/unreviewed.json")
    nobody = as_json(charter(world, USER, "agent", "reputation", str(fresh), "--json"))
    assert (nobody["plain"]["count"], nobody["plain"]["average"]) == (0, None)
    assert (nobody["backed"]["count"], nobody["backed"]["volume"], nobody["backed"]["clients"]) == (0, [], 0)
    assert "settled orders │ 0" in ok(charter(world, USER, "agent", "reputation", str(fresh)))
    assert "UnknownAgent" in refused(charter(world, USER, "agent", "reputation", "987654"), 3)


def test_validation_request_answer_read_and_refusals(world: World, stranger: str) -> None:
    agent, validator = str(world.user_agent), world.filler.address
    uri = f"ipfs://charter-test/work-{world.a.now}"
    asked = as_json(charter(world, USER, "validation", "request", validator, agent, uri, "--json"))
    request = asked["request_hash"]
    assert "ValidationRequestExists" in refused(charter(world, USER, "validation", "request", validator, agent, uri), 3)
    assert "may not ask" in refused(charter(world, stranger, "validation", "request", validator, agent, uri + "x"), 3)
    assert "give the request's URI" in refused(charter(world, USER, "validation", "request", validator, agent), 1)

    order = f"0x{world.a.now:064x}"
    filled = ok(charter(world, USER, "validation", "request", "--fill", f"{CHAIN_A}:{order}", validator, agent))
    assert f"(charter:fill:{CHAIN_A}:{order})" in filled
    assert "ORIGIN_CHAIN:ORDER_ID" in refused(charter(world, USER, "validation", "request", "--fill", order,
                                                      validator, agent), 1)

    assert "not the validator" in refused(charter(world, USER, "validation", "respond", request, "100"), 3)
    assert "whole score from 0 to 100" in refused(charter(world, FILLER, "validation", "respond", request, "101"), 1)
    assert "whole score" in refused(charter(world, FILLER, "validation", "respond", request, "92.5"), 1)
    answered = ok(charter(world, FILLER, "validation", "respond", request, "100", "--tag", "fill"))
    assert f"answered request {request} on agent {agent}: 100 (tag 'fill')" in answered

    status = as_json(charter(world, USER, "validation", "status", request, "--json"))
    assert (status["validator"], status["agent_id"], status["response"], status["tag"]) == (validator, int(agent),
                                                                                           100, "fill")
    listed = as_json(charter(world, USER, "validation", "list", "--agent", agent, "--json"))
    assert request in [r["request_hash"] for r in listed["requests"]] and listed["answered"] >= 1
    assert request in ok(charter(world, USER, "validation", "list", "--validator", validator))
    assert "one of them" in refused(charter(world, USER, "validation", "list"), 1)
    assert "UnknownValidationRequest" in refused(charter(world, USER, "validation", "status", "0x" + "77" * 32), 3)

"""`charter intent open / status / fill` on one anvil (a local order: filled and settled in one step)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_typing import ChecksumAddress

from charter import LocalSigner

from .test_cli import Invoke, _json, _ok, _refused, invoke, principal_key, token  # noqa: F401 - fixtures


def _open(invoke: Invoke, token: Any, bob: str, out: Path, *extra: str) -> dict[str, Any]:  # noqa: F811
    return dict(_json(invoke(
        "intent", "open", "--input", f"{token.address}:100", "--output", f"{token.address}:99:{bob}",
        "--fill-within", "10m", "--out", str(out), "--json", *extra,
    )))


def test_open_status_fill(
    invoke: Invoke, token: Any, alice: LocalSigner, dev_accounts: list[ChecksumAddress], tmp_path: Path,  # noqa: F811
    w3: Any, rpc_url: str,
) -> None:
    bob, solver = dev_accounts[2], dev_accounts[4]
    token.functions.mint(alice.address, 1_000).transact({"from": dev_accounts[0]})
    token.functions.mint(solver, 1_000).transact({"from": dev_accounts[0]})
    out = tmp_path / "order.json"
    opened = _open(invoke, token, bob, out)
    order_id = opened["order_id"]
    assert opened["action"] == "open" and opened["status"] == "OPEN" and opened["file"] == str(out)
    assert opened["order"]["order_id"] == order_id and opened["order"]["user"] == alice.address
    written = json.loads(out.read_text())
    assert written["user"] == alice.address and written["data"]["inputs"][0]["token"] == token.address
    assert written["data"]["outputs"][0]["recipient"] == bob
    assert written["data"]["destination_chain_id"] == int(w3.eth.chain_id) and written["order_id"] == order_id
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**written, "fill_deadline": written["fill_deadline"] + 1}))
    assert "the file was changed" in _refused(invoke("intent", "status", str(tampered), key=None))

    assert _json(invoke("intent", "status", order_id, "--json", key=None))["status"] == "OPEN"
    by_file = _json(invoke("intent", "status", str(out), "--destination-rpc", rpc_url, "--json", key=None))
    assert by_file["status"] == "OPEN" and by_file["order_id"] == order_id
    assert "OPEN (in escrow" in _ok(invoke("intent", "status", str(out), key=None))

    before = token.functions.balanceOf(bob).call()
    filled = _json(invoke("--unlocked", solver, "intent", "fill", str(out), "--json", key=None))
    assert filled["action"] == "fill" and filled["payout"] == solver and filled["order_id"] == order_id
    assert token.functions.balanceOf(bob).call() == before + 99
    assert _json(invoke("intent", "status", order_id, "--json", key=None))["status"] == "SETTLED"
    # Filled once only: refused before sending (the order is settled on its origin, this chain).
    assert "already SETTLED on its origin" in _refused(invoke("--unlocked", solver, "intent", "fill", str(out),
                                                              key=None))


def test_open_and_status_refusals(
    invoke: Invoke, token: Any, dev_accounts: list[ChecksumAddress], tmp_path: Path, w3: Any,  # noqa: F811
    rpc_url: str, manifest_path: Path,
) -> None:
    bob = dev_accounts[2]
    base = ("intent", "open", "--output", f"{token.address}:99:{bob}")
    assert "TOKEN:AMOUNT" in _refused(invoke(*base, "--input", "100"))
    assert "not an amount" in _refused(invoke(*base, "--input", f"{token.address}:lots"))
    assert "must be positive" in _refused(invoke(*base, "--input", f"{token.address}:0"))
    assert "TOKEN:AMOUNT:RECIPIENT" in _refused(invoke("intent", "open", "--input", f"{token.address}:1",
                                                       "--output", f"{token.address}:99"))
    assert "needs an oracle" in _refused(invoke(*base, "--input", f"{token.address}:1", "--destination-chain", "999"),
                                         3)
    # Nothing to escrow: a stranger holds no tokens and the SDK refuses before opening.
    poor = Account.create().key.to_0x_hex()
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
        {"from": dev_accounts[0], "to": Account.from_key(poor).address, "value": 10**18}))
    assert "TokenRefused" in _refused(invoke(*base, "--input", f"{token.address}:1", key=poor), 3)
    # Status: an id never opened, malformed ids, a destination on another chain, a malformed order file.
    unknown = "0x" + "ab" * 32
    assert _json(invoke("intent", "status", unknown, "--json", key=None))["status"] == "UNKNOWN"
    assert "neither an order file nor an order id" in _refused(invoke("intent", "status", "0x12", key=None))
    assert "needs the order file" in _refused(invoke("intent", "status", unknown, "--destination-rpc",
                                                     rpc_url, key=None))
    order = tmp_path / "far.json"
    from charter import Charter
    from charter.deployments import Manifest
    from charter.intents.models import Input, Output

    intents = Charter.connect(w3, manifest=Manifest.load(manifest_path)).intents
    far = intents.order(user=bob, inputs=[Input(token=token.address, amount=1)],
                        outputs=[Output(token=token.address, amount=1, recipient=bob, chain_id=999)],
                        destination_chain_id=999, oracle="0x" + "11" * 20)
    order.write_text(far.model_dump_json())
    line = _refused(invoke("intent", "status", str(order), "--destination-rpc", rpc_url, key=None))
    assert "but the order's destination is chain 999" in line
    assert _json(invoke("intent", "status", str(order), "--json", key=None))["status"] == "UNKNOWN"
    order.write_text('{"user": 1}')
    assert "not a Charter order" in _refused(invoke("intent", "status", str(order), key=None))
    assert "not a Charter order" in _refused(invoke("intent", "fill", str(order), key=None))


def test_an_exclusive_order_is_filled_only_by_its_filler(
    invoke: Invoke, token: Any, alice: LocalSigner, dev_accounts: list[ChecksumAddress], tmp_path: Path,  # noqa: F811
) -> None:
    bob, solver, other = dev_accounts[2], dev_accounts[4], dev_accounts[5]
    token.functions.mint(alice.address, 100).transact({"from": dev_accounts[0]})
    for filler in (solver, other):
        token.functions.mint(filler, 100).transact({"from": dev_accounts[0]})
    out = tmp_path / "order.json"
    assert "go together" in _refused(invoke("intent", "open", "--input", f"{token.address}:10", "--output",
                                            f"{token.address}:9:{bob}", "--exclusive-filler", solver))
    opened = _open(invoke, token, bob, out, "--exclusive-filler", solver, "--exclusive-for", "5m")
    assert opened["order"]["data"]["exclusive_filler"] == solver
    assert "NotExclusiveFiller" in _refused(invoke("--unlocked", other, "intent", "fill", str(out), key=None), 3)
    _ok(invoke("--unlocked", solver, "intent", "fill", str(out), "--filler-agent", "0", key=None))
    assert _json(invoke("intent", "status", str(out), "--json", key=None))["status"] == "SETTLED"


def test_an_agent_opens_for_its_principal_under_a_grant(
    invoke: Invoke, token: Any, principal_key: str, dev_accounts: list[ChecksumAddress], tmp_path: Path,  # noqa: F811
    w3: Any, manifest_path: Path,
) -> None:
    me = Account.from_key(principal_key).address
    _ok(invoke("account", "upgrade", key=principal_key))
    agent = _json(invoke("agent", "register", "--json", key=principal_key))["agent_id"]
    token.functions.mint(me, 1_000).transact({"from": dev_accounts[0]})
    session = Account.create()
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": dev_accounts[0], "to": session.address, "value": 10**18}))
    from charter import Charter
    from charter.deployments import Manifest

    settler_address = Charter.connect(w3, manifest=Manifest.load(manifest_path)).intents.address
    grant = tmp_path / "grant.json"
    _ok(invoke("grant", "create", "--agent", str(agent), "--key", session.address,
               "--allow", f"{token.address}:approve(address spender,uint256 amount):spender={settler_address}",
               "--allow", f"{settler_address}:open((uint32,bytes32,bytes) order)",
               "--token-budget", f"{token.address}:150", "--valid-for", "1h", "--out", str(grant), key=principal_key))
    bob = dev_accounts[2]
    base = ("intent", "open", "--grant", str(grant), "--output", f"{token.address}:99:{bob}")
    env = {"CHARTER_SESSION_KEY": session.key.to_0x_hex()}
    opened = _json(invoke(*base, "--input", f"{token.address}:100", "--json", key=None, **env))
    assert opened["status"] == "OPEN" and opened["order"]["user"] == me and opened["order"]["data"]["agent_id"] == agent
    assert _json(invoke("intent", "status", opened["order_id"], "--json", key=None))["status"] == "OPEN"
    # The grant's token cap bounds what the agent escrows: 100 of 150 used, 100 more is over.
    assert "OverBudget" in _refused(invoke(*base, "--input", f"{token.address}:100", key=None, **env), 3)
    assert "not the grant's agent" in _refused(
        invoke(*base, "--input", f"{token.address}:1", "--agent", str(agent + 1), key=None, **env))
    assert "CHARTER_SESSION_KEY" in _refused(invoke(*base, "--input", f"{token.address}:1", key=None))
    assert "--key-env goes with --grant" in _refused(invoke(
        "intent", "open", "--key-env", "X", "--input", f"{token.address}:1", "--output", f"{token.address}:1:{bob}"))


def test_gasless_sign_open_for_and_cancel(
    invoke: Invoke, token: Any, alice: LocalSigner, dev_accounts: list[ChecksumAddress], tmp_path: Path,  # noqa: F811
    w3: Any, manifest_path: Path,
) -> None:
    from charter import Charter
    from charter.deployments import Manifest

    bob, relayer = dev_accounts[2], dev_accounts[5]
    settler = Charter.connect(w3, manifest=Manifest.load(manifest_path)).intents.address
    token.functions.mint(alice.address, 100).transact({"from": dev_accounts[0]})
    token.functions.approve(settler, 100).transact({"from": alice.address})
    out = tmp_path / "gasless.json"
    signed = _json(invoke("intent", "sign", "--input", f"{token.address}:10", "--output", f"{token.address}:9:{bob}",
                          "--out", str(out), "--json"))
    assert signed["signature"].startswith("0x") and len(signed["signature"]) == 132
    written = json.loads(out.read_text())
    assert written["signature"] == signed["signature"] and written["order_id"] == signed["order_id"]
    assert _json(invoke("intent", "status", signed["order_id"], "--json", key=None))["status"] == "UNKNOWN"
    opened = _json(invoke("--unlocked", relayer, "intent", "open-for", str(out), "--json", key=None))
    assert opened["status"] == "OPEN" and opened["order"]["user"] == alice.address
    assert token.functions.balanceOf(alice.address).call() == 90

    # A cancelled nonce cannot be opened; a file without a signature is refused.
    other = tmp_path / "cancelled.json"
    nonce = _json(invoke("intent", "sign", "--input", f"{token.address}:10", "--output", f"{token.address}:9:{bob}",
                         "--out", str(other), "--json"))["nonce"]
    done = _json(invoke("intent", "cancel", str(nonce), "--json"))
    assert done["action"] == "cancel" and done["nonces"] == [nonce] and done["user"] == alice.address
    assert "OrderNonceUsed" in _refused(invoke("--unlocked", relayer, "intent", "open-for", str(other), key=None), 3)
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps({k: v for k, v in written.items() if k != "signature"}))
    assert "has no signature" in _refused(invoke("--unlocked", relayer, "intent", "open-for", str(unsigned), key=None))
    # Native value cannot be gasless.
    assert "cannot escrow native value" in _refused(
        invoke("intent", "sign", "--input", "native:10", "--output", f"native:9:{bob}"), 3
    )


def test_refund_of_a_local_order_past_its_deadline(
    invoke: Invoke, token: Any, alice: LocalSigner, dev_accounts: list[ChecksumAddress], tmp_path: Path,  # noqa: F811
    w3: Any,
) -> None:
    import time

    bob = dev_accounts[2]
    token.functions.mint(alice.address, 50).transact({"from": dev_accounts[0]})
    before = token.functions.balanceOf(alice.address).call()
    out = tmp_path / "order.json"
    _ok(invoke("intent", "open", "--input", f"{token.address}:50", "--output", f"{token.address}:49:{bob}",
               "--fill-within", "3", "--out", str(out)))
    assert token.functions.balanceOf(alice.address).call() == before - 50
    assert "FillDeadlinePassed" in _refused(invoke("--unlocked", dev_accounts[5], "intent", "refund", str(out),
                                                   key=None), 3)
    time.sleep(4)
    w3.provider.make_request("evm_mine", [])
    assert _json(invoke("intent", "status", str(out), "--json", key=None))["status"] == "EXPIRED"
    done = _json(invoke("--unlocked", dev_accounts[5], "intent", "refund", str(out), "--json", key=None))
    assert done["action"] == "refund" and done["status"] == "REFUNDED" and done["user"] == alice.address
    assert token.functions.balanceOf(alice.address).call() == before
    assert "not hex bytes" in _refused(invoke("intent", "refund", str(out), "--proof", "zz"))


def _mock(w3: Any, deployer: str, name: str) -> Any:
    """A test mock (tests/mocks/`name`.vy) compiled here and deployed."""
    import vyper

    source = (Path(__file__).resolve().parents[1] / "mocks" / f"{name}.vy").read_text()
    out = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": deployer, "data": out["bytecode"]}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=out["abi"])


def test_a_refused_payment_is_credited_and_withdrawn(
    invoke: Invoke, token: Any, alice: LocalSigner, dev_accounts: list[ChecksumAddress], tmp_path: Path,  # noqa: F811
    w3: Any,
) -> None:
    """A local order whose input token refuses to pay the escrow out when the fill settles it:
    the fill goes through, the payout is credited (charter intent credits), and collects it
    once the token pays again (charter intent withdraw); then nothing is left to withdraw."""
    from charter import Charter

    bob, solver, elsewhere = dev_accounts[2], dev_accounts[4], dev_accounts[6]
    false = _mock(w3, dev_accounts[0], "FalseToken")
    false.functions.set_failing(False).transact({"from": dev_accounts[0]})
    false.functions.mint(alice.address, 100).transact({"from": dev_accounts[0]})
    settler = Charter.connect(w3).intents
    false.functions.approve(settler.address, 100).transact({"from": alice.address})  # it logs no Approval
    token.functions.mint(solver, 1_000).transact({"from": dev_accounts[0]})
    out = tmp_path / "order.json"
    _ok(invoke("intent", "open", "--input", f"{false.address}:100", "--output", f"{token.address}:99:{bob}",
               "--fill-within", "10m", "--out", str(out)))
    false.functions.set_failing(True).transact({"from": dev_accounts[0]})  # it no longer pays out
    filled = _json(invoke("--unlocked", solver, "intent", "fill", str(out), "--json", key=None))
    order_id = filled["order_id"]
    assert _json(invoke("intent", "status", order_id, "--json", key=None))["status"] == "SETTLED"

    read = ("intent", "credits", "--account", solver, "--json")
    assert _json(invoke(*read, "--token", false.address, key=None))["credits"] == [
        {"token": false.address, "amount": 100}]
    found = _json(invoke(*read, "--from-block", "0", key=None))["credits"]  # native, then what its events name
    assert found == [{"token": "0x" + "00" * 20, "amount": 0}, {"token": false.address, "amount": 100}]
    assert "100 of token" in _ok(invoke("intent", "credits", "--account", solver, "--token", false.address, key=None))
    assert "TokenRefused" in _refused(invoke("--unlocked", solver, "intent", "withdraw", "--token", false.address,
                                             key=None), 3)  # the token still refuses: the credit stays
    false.functions.set_failing(False).transact({"from": dev_accounts[0]})
    done = _json(invoke("--unlocked", solver, "intent", "withdraw", "--token", false.address, "--to", elsewhere,
                        "--json", key=None))
    assert done["action"] == "withdraw" and done["amount"] == 100 and done["to"] == elsewhere
    assert false.functions.balanceOf(elsewhere).call() == 100
    assert settler.credits(solver, false.address) == 0
    assert "NoCredit" in _refused(invoke("--unlocked", solver, "intent", "withdraw", "--token", false.address,
                                         key=None), 3)
    assert "NoCredit" in _refused(invoke("--unlocked", solver, "intent", "withdraw", key=None), 3)  # native: none

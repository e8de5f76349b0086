"""`charter intent fill` checks the order before paying for it (issue 18, finding 3).

A filler delivers the outputs from its own balance and is paid on the origin
only if the order is OPEN there. So the fill is refused unless the file names
its order id and its fields hash to it, the order is OPEN on its origin
(`--origin-rpc URL`, or the connected node for a local order) and the
destination holds no record for it yet; `--skip-origin-check` takes the risk
explicitly. The origin is ape's anvil; the destination a second anvil.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_typing import ChecksumAddress
from web3 import Web3

from charter import Charter, LocalSigner
from charter.devchain import LocalChain, local_anvil

from .conftest import dev_key
from .test_cli import Invoke, _json, _ok, _refused, invoke, token  # noqa: F401 - fixtures

DESTINATION = 31_338


@dataclass
class Destination:
    chain: LocalChain
    w3: Web3
    token: Any
    solver: LocalSigner


@pytest.fixture(scope="module")
def destination() -> Iterator[Destination]:
    """A second chain with the suite and a token the solver holds plenty of."""
    from charter._core.artifacts import abi, init_code

    deployer, solver = LocalSigner.from_key(dev_key(0)), LocalSigner.from_key(dev_key(4))
    with local_anvil(chain_id=DESTINATION) as chain:
        w3 = chain.w3
        Charter.deploy(w3, deployer)
        receipt = w3.eth.wait_for_transaction_receipt(deployer.send_transaction(w3, {"data": init_code("DemoToken")}))
        token = w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))
        tx = deployer.send_transaction(w3, token.functions.mint(solver.address, 10**9).build_transaction(
            {"from": deployer.address}))
        w3.eth.wait_for_transaction_receipt(tx)
        yield Destination(chain, w3, token, solver)


def _open_cross_chain(invoke: Invoke, token: Any, dest: Destination, alice: LocalSigner,  # noqa: F811
                      dev_accounts: list[ChecksumAddress], registry_address: str, out: Path) -> dict[str, Any]:
    """An order on ape's chain for 99 of the destination token to bob on the destination chain
    (its oracle: any contract, here the registry; nothing settles it in these tests)."""
    _level_clocks(token.w3, dest)
    token.functions.mint(alice.address, 100).transact({"from": dev_accounts[0]})
    return dict(_json(invoke(
        "intent", "open", "--input", f"{token.address}:100", "--output", f"{dest.token.address}:99:{dev_accounts[2]}",
        "--destination-chain", str(DESTINATION), "--oracle", registry_address, "--out", str(out), "--json",
    )))


def _level_clocks(origin: Web3, dest: Destination) -> None:
    """Bring the origin's clock level with the destination's before an order is made: two anvils
    started minutes apart drift apart when the machine's wall clock is stepped, and the fill
    deadline, set by the origin's clock, is checked by the destination's."""
    ahead = int(dest.w3.eth.get_block("latest")["timestamp"]) - int(origin.eth.get_block("latest")["timestamp"])
    if ahead > 0:
        origin.provider.make_request("evm_increaseTime", [ahead])  # type: ignore[arg-type]
        origin.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _fill(invoke: Invoke, dest: Destination, order: Path, *extra: str) -> Any:  # noqa: F811
    return invoke("intent", "fill", str(order), *extra, key=dev_key(4), CHARTER_RPC=dest.chain.url)


def test_a_cross_chain_fill_needs_the_origin_and_fills_once(
    invoke: Invoke, token: Any, destination: Destination, alice: LocalSigner,  # noqa: F811
    dev_accounts: list[ChecksumAddress], registry_address: ChecksumAddress, rpc_url: str, tmp_path: Path, w3: Any,
) -> None:
    out = tmp_path / "order.json"
    opened = _open_cross_chain(invoke, token, destination, alice, dev_accounts, registry_address, out)
    bob = dev_accounts[2]
    before = destination.token.functions.balanceOf(bob).call()

    # Without a way to read the origin, nothing is filled.
    line = _refused(_fill(invoke, destination, out))
    assert f"origin is chain {int(w3.eth.chain_id)}" in line and "--origin-rpc" in line
    assert "--skip-origin-check" in line
    # A node of another chain is not the origin.
    line = _refused(_fill(invoke, destination, out, "--origin-rpc", destination.chain.url))
    assert f"--origin-rpc {destination.chain.url} is chain {DESTINATION}" in line
    assert destination.token.functions.balanceOf(bob).call() == before

    filled = _json(_fill(invoke, destination, out, "--origin-rpc", rpc_url, "--json"))
    assert filled["action"] == "fill" and filled["order_id"] == opened["order_id"] and filled["origin_status"] == "OPEN"
    assert destination.token.functions.balanceOf(bob).call() == before + 99

    # The destination now holds its record: a second fill is refused before anything is sent,
    # whether or not the origin is checked.
    for extra in (("--origin-rpc", rpc_url), ("--skip-origin-check",)):
        line = _refused(_fill(invoke, destination, out, *extra))
        assert "already has a record on its destination" in line and "filled" in line
    assert destination.token.functions.balanceOf(bob).call() == before + 99


def test_a_file_without_its_order_id_is_not_filled(
    invoke: Invoke, token: Any, destination: Destination, alice: LocalSigner,  # noqa: F811
    dev_accounts: list[ChecksumAddress], registry_address: ChecksumAddress, rpc_url: str, tmp_path: Path,
) -> None:
    out = tmp_path / "order.json"
    _open_cross_chain(invoke, token, destination, alice, dev_accounts, registry_address, out)
    data = json.loads(out.read_text())
    # The order id deleted and an output raised: the file no longer describes the order opened.
    data.pop("order_id")
    data["data"]["outputs"][0]["amount"] = 98
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    before = destination.token.functions.balanceOf(dev_accounts[2]).call()
    for extra in ((), ("--origin-rpc", rpc_url), ("--skip-origin-check",)):
        line = _refused(_fill(invoke, destination, edited, *extra))
        assert "has no order_id" in line and "intent open --out" in line
    assert destination.token.functions.balanceOf(dev_accounts[2]).call() == before


def test_an_order_never_opened_is_unknown_on_its_origin(
    invoke: Invoke, token: Any, destination: Destination, dev_accounts: list[ChecksumAddress],  # noqa: F811
    registry_address: ChecksumAddress, rpc_url: str, tmp_path: Path,
) -> None:
    """A signed gasless order nobody opened (or one a lagging origin node does not show yet)."""
    out = tmp_path / "gasless.json"
    _ok(invoke("intent", "sign", "--input", f"{token.address}:10",
               "--output", f"{destination.token.address}:9:{dev_accounts[2]}", "--destination-chain",
               str(DESTINATION), "--oracle", registry_address, "--out", str(out)))
    line = _refused(_fill(invoke, destination, out, "--origin-rpc", rpc_url))
    assert "UNKNOWN on its origin" in line and "lags" in line and "nothing was sent" in line


def test_skip_origin_check_fills_at_the_fillers_risk(
    invoke: Invoke, token: Any, destination: Destination, dev_accounts: list[ChecksumAddress],  # noqa: F811
    registry_address: ChecksumAddress, tmp_path: Path,
) -> None:
    out = tmp_path / "gasless.json"
    _level_clocks(token.w3, destination)
    _ok(invoke("intent", "sign", "--input", f"{token.address}:10",
               "--output", f"{destination.token.address}:9:{dev_accounts[2]}", "--destination-chain",
               str(DESTINATION), "--oracle", registry_address, "--out", str(out)))
    before = destination.token.functions.balanceOf(dev_accounts[2]).call()
    result = _fill(invoke, destination, out, "--skip-origin-check")
    _ok(result)
    assert "warning: --skip-origin-check" in result.stderr and "may never settle" in result.stderr
    assert destination.token.functions.balanceOf(dev_accounts[2]).call() == before + 9
    line = _refused(_fill(invoke, destination, out, "--skip-origin-check", "--origin-rpc", "http://127.0.0.1:1"))
    assert "--skip-origin-check and --origin-rpc" in line


def test_a_local_order_settled_or_refunded_is_not_filled_again(
    invoke: Invoke, token: Any, alice: LocalSigner, dev_accounts: list[ChecksumAddress], tmp_path: Path,  # noqa: F811
    w3: Any,
) -> None:
    """A local order is read on the connected node (its origin): no --origin-rpc needed."""
    bob, solver = dev_accounts[2], dev_accounts[4]
    token.functions.mint(alice.address, 200).transact({"from": dev_accounts[0]})
    token.functions.mint(solver, 200).transact({"from": dev_accounts[0]})
    settled, refunded = tmp_path / "settled.json", tmp_path / "refunded.json"
    _ok(invoke("intent", "open", "--input", f"{token.address}:10", "--output", f"{token.address}:9:{bob}",
               "--out", str(settled)))
    _ok(invoke("intent", "open", "--input", f"{token.address}:10", "--output", f"{token.address}:9:{bob}",
               "--fill-within", "3", "--out", str(refunded)))
    _ok(invoke("--unlocked", solver, "intent", "fill", str(settled), key=None))
    line = _refused(invoke("--unlocked", solver, "intent", "fill", str(settled), key=None))
    assert "SETTLED on its origin" in line and "nothing was sent" in line

    time.sleep(4)
    w3.provider.make_request("evm_mine", [])
    _ok(invoke("--unlocked", dev_accounts[5], "intent", "refund", str(refunded), key=None))
    before = token.functions.balanceOf(bob).call()
    line = _refused(invoke("--unlocked", solver, "intent", "fill", str(refunded), key=None))
    assert "REFUNDED on its origin" in line and "escrow went back to its user" in line
    assert token.functions.balanceOf(bob).call() == before

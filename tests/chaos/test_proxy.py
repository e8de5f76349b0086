"""The chaos harness's RPC proxy answers as the faults it stands for (checked against one anvil)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .harness import Anvil, RpcProxy
from .harness.proxy import HEADER_NOT_FOUND, free_port

DEV = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's first account


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    anvil = Anvil("P", 31_533, free_port(), Path(tmp_path_factory.mktemp("proxy")) / "anvil.log", block_time=0.5)
    anvil.start()
    anvil.rpc("anvil_mine", hex(40))
    try:
        yield anvil
    finally:
        anvil.stop()


@pytest.fixture
def proxy(node: Anvil) -> Iterator[RpcProxy]:
    p = RpcProxy("test", node.url)
    yield p
    p.close()


def call(proxy: RpcProxy, method: str, *params: object, timeout: float = 10) -> dict:
    return requests.post(proxy.url, json={"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)},
                         timeout=timeout).json()


def test_pass_and_batches(node: Anvil, proxy: RpcProxy) -> None:
    assert int(call(proxy, "eth_chainId")["result"], 16) == node.chain_id
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber", "params": []} for i in range(3)]
    assert [r["id"] for r in requests.post(proxy.url, json=batch, timeout=10).json()] == [0, 1, 2]
    assert proxy.counts()["eth_blockNumber"] == 3
    head = node.head()
    assert "result" in call(proxy, "eth_getLogs", {"fromBlock": hex(head - 5), "toBlock": hex(head - 2)})
    assert proxy.read_to == head - 2  # what the process has read, as seen from outside


def test_lag_is_a_node_n_blocks_behind(node: Anvil, proxy: RpcProxy) -> None:
    tx = node.rpc("eth_sendTransaction", {"from": DEV, "to": DEV, "value": "0x1"})
    head = node.head()
    proxy.set("lag", 10)
    seen = int(call(proxy, "eth_blockNumber")["result"], 16)
    assert head - 10 <= seen <= node.head() - 10
    latest = call(proxy, "eth_getBlockByNumber", "latest", False)["result"]
    assert int(latest["number"], 16) <= node.head() - 10
    assert call(proxy, "eth_getBlockByNumber", hex(node.head()), False)["error"] == HEADER_NOT_FOUND
    assert call(proxy, "eth_getBalance", DEV, hex(node.head()))["error"] == HEADER_NOT_FOUND
    assert call(proxy, "eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(node.head())})["error"] == HEADER_NOT_FOUND
    assert "result" in call(proxy, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"})
    assert call(proxy, "eth_getTransactionReceipt", tx)["result"] is None  # mined above its head
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
             {"jsonrpc": "2.0", "id": 2, "method": "eth_getCode", "params": [DEV, hex(node.head() + 1)]}]
    first, second = requests.post(proxy.url, json=batch, timeout=10).json()
    assert int(first["result"], 16) <= node.head() - 10 and second["error"] == HEADER_NOT_FOUND
    proxy.set("pass")
    assert call(proxy, "eth_getTransactionReceipt", tx)["result"] is not None


def test_lb_lag_serves_only_reads_behind(node: Anvil, proxy: RpcProxy) -> None:
    tx = node.rpc("eth_sendTransaction", {"from": DEV, "to": DEV, "value": "0x1"})
    proxy.set("lb-lag", 10)
    assert int(call(proxy, "eth_blockNumber")["result"], 16) >= node.head() - 1  # the head is fresh
    assert call(proxy, "eth_getTransactionReceipt", tx)["result"] is not None  # and so are receipts
    head = node.head()
    assert call(proxy, "eth_call", {"to": DEV, "data": "0x"}, hex(head))["error"] == HEADER_NOT_FOUND
    assert call(proxy, "eth_getLogs", {"fromBlock": hex(head - 3), "toBlock": hex(head)})["error"] == HEADER_NOT_FOUND
    assert "result" in call(proxy, "eth_call", {"to": DEV, "data": "0x"}, "latest")
    proxy.set("call-lag", 10)  # logs fresh, state reads behind
    head = node.head()
    assert "result" in call(proxy, "eth_getLogs", {"fromBlock": hex(head - 3), "toBlock": hex(head)})
    assert call(proxy, "eth_getBalance", DEV, hex(head))["error"] == HEADER_NOT_FOUND


def test_down_refuses_and_comes_back(proxy: RpcProxy) -> None:
    session = requests.Session()
    assert "result" in session.post(proxy.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                                     "params": []}, timeout=5).json()
    proxy.set("down")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", proxy.port)) != 0  # refused
    with pytest.raises(requests.ConnectionError):  # a kept-alive connection breaks too
        session.post(proxy.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=5)
    proxy.set("error")
    assert requests.post(proxy.url, json={}, timeout=5).status_code == 502
    proxy.set("pass")
    assert "result" in call(proxy, "eth_chainId")


def test_hang_never_answers_until_it_ends(proxy: RpcProxy) -> None:
    proxy.set("hang")
    with pytest.raises(requests.Timeout):
        call(proxy, "eth_chainId", timeout=1)
    outcome: list[object] = []

    def waiting() -> None:
        try:
            outcome.append(call(proxy, "eth_chainId", timeout=20))
        except requests.RequestException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=waiting)
    thread.start()
    time.sleep(0.5)
    assert not outcome
    proxy.set("pass")  # the hung request ends (its connection closes); new ones are answered
    thread.join(timeout=5)
    assert outcome and isinstance(outcome[0], requests.ConnectionError)
    assert "result" in call(proxy, "eth_chainId")

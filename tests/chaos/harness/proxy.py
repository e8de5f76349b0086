"""A JSON-RPC proxy between a process and its node, whose behaviour is switched at run time.

    proxy = RpcProxy("relay-A", "http://127.0.0.1:8545")   # listens on proxy.url
    proxy.set("lag", 30)       # a backend 30 blocks behind
    proxy.set("lb-lag", 30)    # a load balancer: fresh head and sends, reads 30 blocks behind
    proxy.set("call-lag", 30)  # the same, but logs fresh: only state reads (eth_call...) behind
    proxy.set("hang")          # accepts connections, never answers
    proxy.set("down")          # connections refused (the listener is closed)
    proxy.set("error")         # answers HTTP 502, as a load balancer with no healthy backend
    proxy.set("pass")

A lagging backend answers as geth does at its own head: ``eth_blockNumber``
is head-N, the tags ``latest``/``safe``/``finalized``/``pending`` mean
head-N, an explicit block above head-N is ``{"code": -32000, "message":
"header not found"}``, and transactions mined above head-N have no receipt
yet. Behind ``lb-lag`` only the reads that a load balancer sends to any
backend (``eth_call``, ``eth_getLogs``, ``eth_getBalance``, ``eth_getCode``,
``eth_getStorageAt``) are stale; the head, sends, nonces and receipts are
fresh. Behind ``call-lag`` the logs are fresh too (an indexer in front of
the logs): only the state reads are stale, as in finding 1 of issue 18.
When the node itself is unreachable (a reset in progress), the proxy
answers 502 like a load balancer would. Every request is noted (time,
method) so that a test can see who polled which chain when, and written to
`log` if one is given.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

MODES = ("pass", "lag", "lb-lag", "call-lag", "hang", "down", "error")
LAGGING = ("lag", "lb-lag", "call-lag")
TAGS = ("latest", "safe", "finalized", "pending")
HEADER_NOT_FOUND = {"code": -32000, "message": "header not found"}

# The block parameter's position, for the methods that take one.
BLOCK_PARAM = {
    "eth_call": 1,
    "eth_estimateGas": 1,
    "eth_createAccessList": 1,
    "eth_getBalance": 1,
    "eth_getCode": 1,
    "eth_getTransactionCount": 1,
    "eth_getStorageAt": 2,
    "eth_getProof": 2,
    "eth_getBlockByNumber": 0,
    "eth_getBlockTransactionCountByNumber": 0,
}
# What a load balancer serves from any backend, a stale one included.
LB_STALE = {"eth_call", "eth_getLogs", "eth_getBalance", "eth_getCode", "eth_getStorageAt"}
CALL_STALE = LB_STALE - {"eth_getLogs"}
# What a lagging node does not know yet when it was mined above its head.
MINED = {"eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_getBlockByHash"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _NotFound(Exception):
    """The block asked for is above the lagging backend's head."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: RpcProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed, timed out) is no error of the proxy's."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        proxy = self.server.proxy
        started = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(body)
        except ValueError:
            self._send(400, b"not JSON")
            return
        mode, behind = proxy.mode
        if mode == "down":  # the connection was open before the partition: it breaks now
            self.close_connection = True
            proxy.write(started, payload, "dropped")
            return
        if mode == "hang":
            proxy.hold()
            self.close_connection = True
            proxy.write(started, payload, "hung, then closed")
            return
        if mode == "error":
            self._send(502, b"bad gateway: no healthy backend")
            proxy.write(started, payload, "502")
            return
        proxy.note(payload)
        try:
            answer = proxy.answer(payload, body, mode, behind)
        except requests.RequestException as exc:
            self._send(502, f"bad gateway: {type(exc).__name__}".encode())
            proxy.write(started, payload, f"502 (node: {type(exc).__name__})")
            return
        proxy.answered(payload, answer)
        proxy.sent(payload)
        self._send(200, answer, "application/json")
        proxy.write(started, payload, "200")

    def _send(self, status: int, data: bytes, kind: str = "text/plain") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up
            self.close_connection = True


class RpcProxy:
    """One process's view of one chain (see the module's documentation)."""

    def __init__(self, name: str, upstream: str, port: int | None = None, log: Path | None = None) -> None:
        self.name = name
        self.upstream = upstream
        self.port = port or free_port()
        self.log = log
        """Where each request is written down (time, methods, mode, outcome, seconds), if given."""
        self.requests: deque[tuple[float, str]] = deque(maxlen=50_000)
        self.read_to = -1
        """The highest block number an answered ``eth_getLogs`` named as its ``toBlock`` (what the
        process has read so far, as far as anyone outside it can tell)."""
        self._log_lock = threading.Lock()
        self._mode: tuple[str, int] = ("pass", 0)
        self._send_hold: tuple[threading.Event, threading.Event] | None = None
        self._changed = threading.Condition()
        self._local = threading.local()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mode(self) -> tuple[str, int]:
        return self._mode

    def label(self) -> str:
        mode, behind = self._mode
        return f"{mode} {behind}" if mode in LAGGING else mode

    def set(self, mode: str, behind: int = 0) -> None:
        """Switch to `mode` (`behind`: blocks, for ``lag``, ``lb-lag`` and ``call-lag``)."""
        if mode not in MODES:
            raise ValueError(f"proxy mode is one of {', '.join(MODES)}, got {mode!r}")
        if mode in LAGGING and behind <= 0:
            raise ValueError(f"{mode} needs a positive number of blocks")
        with self._changed:
            was = self._mode[0]
            self._mode = (mode, behind)
            self._changed.notify_all()  # hung requests end (their connections close)
        if mode == "down" and was != "down":
            self._unlisten()
        elif mode != "down" and self._server is None:
            self._listen()

    def close(self) -> None:
        self.set("pass")
        self._unlisten()

    # ------------------------------------------------------------ observing

    def note(self, payload: Any) -> None:
        now = time.monotonic()
        for request in payload if isinstance(payload, list) else [payload]:
            if isinstance(request, dict):
                self.requests.append((now, str(request.get("method"))))

    def hold_next_send(self) -> tuple[threading.Event, threading.Event]:
        """Hold back the answer to the next ``eth_sendRawTransaction`` (forwarded at once: the
        transaction is on the chain, its sender does not know it yet) until `release` is set.
        Returns (`sent`: set once it was forwarded, `release`)."""
        hold = (threading.Event(), threading.Event())
        self._send_hold = hold
        return hold

    def sent(self, payload: Any) -> None:
        requests_ = payload if isinstance(payload, list) else [payload]
        hold = self._send_hold
        if hold is None or not any(isinstance(r, dict) and r.get("method") == "eth_sendRawTransaction"
                                   for r in requests_):
            return
        self._send_hold = None
        sent, release = hold
        sent.set()
        release.wait(timeout=120)

    def answered(self, payload: Any, answer: bytes) -> None:
        """Note the highest ``toBlock`` of the ``eth_getLogs`` requests answered without error."""
        requests_ = payload if isinstance(payload, list) else [payload]
        if not any(isinstance(r, dict) and r.get("method") == "eth_getLogs" for r in requests_):
            return
        answers = json.loads(answer)
        by_id = {a.get("id"): a for a in (answers if isinstance(answers, list) else [answers]) if isinstance(a, dict)}
        for request in requests_:
            if not isinstance(request, dict) or request.get("method") != "eth_getLogs":
                continue
            query = (request.get("params") or [{}])[0]
            to = query.get("toBlock") if isinstance(query, dict) else None
            if isinstance(to, str) and to.startswith("0x") and "error" not in by_id.get(request.get("id"), {}):
                self.read_to = max(self.read_to, int(to, 16))

    def write(self, started: float, payload: Any, outcome: str) -> None:
        if self.log is None:
            return
        requests_ = payload if isinstance(payload, list) else [payload]
        methods = ",".join(str(r.get("method")) for r in requests_ if isinstance(r, dict)) or "?"
        line = (f"{time.strftime('%X')}.{int(time.time() * 1000) % 1000:03d} {methods} [{self.label()}] {outcome} "
                f"{time.monotonic() - started:.3f}s\n")
        with self._log_lock, self.log.open("a") as handle:
            handle.write(line)

    def seen(self, since: float = 0.0, until: float | None = None, methods: tuple[str, ...] = ()) -> list[float]:
        """When requests (of `methods`, or any) arrived in [since, until] (monotonic seconds)."""
        end = until if until is not None else float("inf")
        return [t for t, m in list(self.requests) if since <= t <= end and (not methods or m in methods)]

    def counts(self) -> Counter[str]:
        return Counter(m for _, m in list(self.requests))

    # ------------------------------------------------------------ serving

    def hold(self) -> None:
        """Block a hung request until the mode is no longer ``hang``."""
        with self._changed:
            self._changed.wait_for(lambda: self._mode[0] != "hang")

    def answer(self, payload: Any, body: bytes, mode: str, behind: int) -> bytes:
        if mode == "pass":
            return self._post(body)
        if isinstance(payload, list):
            return json.dumps([self._one(r, mode, behind) for r in payload]).encode()
        return json.dumps(self._one(payload, mode, behind)).encode()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _post(self, body: bytes) -> bytes:
        response = self._session().post(self.upstream, data=body, headers={"Content-Type": "application/json"},
                                         timeout=30)
        response.raise_for_status()
        return response.content

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self._post(json.dumps(request).encode()))
        return answer

    def _head(self) -> int:
        return int(self._call({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})["result"], 16)

    def _number_of(self, block_hash: str) -> int | None:
        block = self._call({"jsonrpc": "2.0", "id": 0, "method": "eth_getBlockByHash",
                            "params": [block_hash, False]}).get("result")
        return int(block["number"], 16) if block else None

    def _one(self, request: dict[str, Any], mode: str, behind: int) -> dict[str, Any]:
        method = request.get("method")
        stale = mode == "lag" or method in (LB_STALE if mode == "lb-lag" else CALL_STALE)
        if not stale or not (method in BLOCK_PARAM or method in MINED or method in ("eth_getLogs", "eth_blockNumber")):
            return self._call(request)
        visible = self._head() - behind
        reply = {"jsonrpc": "2.0", "id": request.get("id")}
        if method == "eth_blockNumber":
            return {**reply, "result": hex(max(visible, 0))}
        params = list(request.get("params") or [])
        try:
            if method == "eth_getLogs":
                params[0] = self._filter(dict(params[0]) if params else {}, visible)
            elif method in BLOCK_PARAM:
                index = BLOCK_PARAM[method]
                while len(params) <= index:
                    params.append("latest")
                params[index] = self._block(params[index], visible)
        except _NotFound:
            return {**reply, "error": HEADER_NOT_FOUND}
        answer = self._call({**request, "params": params})
        if method in MINED:
            found = answer.get("result")
            number = found.get("blockNumber") or found.get("number") if isinstance(found, dict) else None
            if number is not None and int(number, 16) > visible:
                answer["result"] = None
        return answer

    def _block(self, value: Any, visible: int) -> Any:
        if value is None or value in TAGS:
            return hex(max(visible, 0))
        if value == "earliest":
            return value
        if isinstance(value, dict):  # EIP-1898
            if "blockHash" in value:
                number = self._number_of(value["blockHash"])
                if number is not None and number > visible:
                    raise _NotFound
                return value
            return {**value, "blockNumber": self._block(value.get("blockNumber"), visible)}
        if isinstance(value, str) and int(value, 16) > visible:
            raise _NotFound
        return value

    def _filter(self, query: dict[str, Any], visible: int) -> dict[str, Any]:
        if "blockHash" in query:
            number = self._number_of(query["blockHash"])
            if number is not None and number > visible:
                raise _NotFound
            return query
        return {**query, "fromBlock": self._block(query.get("fromBlock"), visible),
                "toBlock": self._block(query.get("toBlock"), visible)}

    # ------------------------------------------------------------ listening

    def _listen(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                server = _Server(("127.0.0.1", self.port), _Handler)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"proxy-{self.name}", daemon=True)
        self._thread.start()

    def _unlisten(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()


__all__ = ["HEADER_NOT_FOUND", "MODES", "RpcProxy", "free_port"]

"""The two chains of a chaos run: anvil nodes on fixed ports that can be killed and started again.

A destination reset is what an operator sees after a node loses its data:
``kill -9`` the node, start a fresh one on the same port (a new genesis,
block numbers from zero), and deploy again what lived there. Charter's suite
is at its CREATE2 addresses, the token and the solver's agent come from the
same deployer and owner nonces, so everything is back at the same addresses
(:func:`deploy_destination` checks it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from web3 import Web3

from charter import Charter, LocalSigner
from charter._core.artifacts import abi, init_code
from charter._core.deployments import create2_address
from charter.devchain import DEV_KEYS
from charter.intents import deploy_oracle

CHAIN_A, CHAIN_B = 31_511, 31_522
HISTORY = 64
"""Blocks mined after a deployment: the contracts are older than any lag a run injects (a backend 30
blocks behind a chain whose oracle is 12 blocks old would fail every read, not show a stale state)."""
DEPLOYER, USER, SOLVER, RELAYER = DEV_KEYS[:4]
COMMITTEE = [Account.from_key(bytes([0x11 * (i + 1)]) * 32) for i in range(3)]
"""The AttesterOracle's members on A: a 2-of-3 committee whose keys the relayer holds."""
MINTED = 10**27


class ChainError(RuntimeError):
    """A node did not start or did not answer."""


class Anvil:
    """An anvil node on a fixed port: one transaction per block, and a block every `block_time` seconds."""

    def __init__(self, name: str, chain_id: int, port: int, log: Path, block_time: float = 1.0) -> None:
        self.name = name
        self.chain_id = chain_id
        self.port = port
        self.log = log
        self.block_time = block_time
        self.process: subprocess.Popen[bytes] | None = None
        self.generation = 0
        self._session = requests.Session()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def w3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 20}))

    def start(self) -> None:
        anvil = shutil.which("anvil")
        if anvil is None:
            raise ChainError("anvil is not on PATH (node_modules/.bin: `make setup`)")
        args = [anvil, "--host", "127.0.0.1", "--port", str(self.port), "--chain-id", str(self.chain_id),
                "--block-time", f"{self.block_time:g}", "--mixed-mining"]
        deadline = time.monotonic() + 30
        while True:
            with self.log.open("a") as log:
                log.write(f"==== chaos: anvil {self.name} start {self.generation + 1} at {time.strftime('%X')}\n")
                log.flush()
                # its own process group: npm's `anvil` is a node script running the binary as a child,
                # and a kill -9 must take both (an orphaned node would keep the port)
                self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log,
                                                start_new_session=True)
            while self.process.poll() is None and time.monotonic() < deadline:
                try:
                    if int(self.rpc("eth_chainId"), 16) == self.chain_id:
                        self.generation += 1
                        return
                except (requests.RequestException, ChainError):
                    pass
                time.sleep(0.1)
            if self.process.poll() is None:
                self.kill9()
                raise ChainError(f"anvil {self.name} did not answer on {self.url} within 30 s")
            if time.monotonic() > deadline:  # exited (the port still taken?) too often
                raise ChainError(f"anvil {self.name} exited at start (code {self.process.returncode}); see {self.log}")
            time.sleep(0.3)

    def kill9(self) -> None:
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        """Send `sig` to the node's process group, wait for it (SIGKILL after 10 s)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        deadline = time.monotonic() + 5  # until the binary under npm's script has let go of the port
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)

    def rpc(self, method: str, *params: Any) -> Any:
        answer = self._session.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                   "params": list(params)}, timeout=20).json()
        if "error" in answer:
            raise ChainError(f"{self.name}: {method} failed: {answer['error']}")
        return answer["result"]

    def head(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def block(self, number: int | str = "latest") -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        found: dict[str, Any] = self.rpc("eth_getBlockByNumber", tag, False)
        return found

    def now(self) -> int:
        return int(self.block()["timestamp"], 16)

    def genesis(self) -> str:
        return str(self.block(0)["hash"])

    def warp(self, seconds: int) -> None:
        """Move the chain's clock forward (the next block is mined at once)."""
        self.rpc("evm_increaseTime", hex(seconds))
        self.rpc("evm_mine")

    def mine(self, blocks: int) -> None:
        self.rpc("anvil_mine", hex(blocks))

    def reorg(self, depth: int) -> None:
        """Replace the last `depth` blocks with empty ones (their transactions are gone)."""
        self.rpc("anvil_reorg", depth, [])


@dataclass(frozen=True)
class Deployed:
    """What a chain holds for the run."""

    settler: str
    token: str
    oracle: str | None = None
    """The committee's AttesterOracle (origin)."""
    agent: int | None = None
    """The solver's agent id (destination)."""


def _send(w3: Web3, signer: LocalSigner, fn: Any) -> None:
    tx = signer.send_transaction(w3, {"to": fn.address, "data": fn._encode_transaction_data()})
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=30)
    if receipt["status"] != 1:
        raise ChainError(f"transaction {tx.hex()} reverted")


def _suite_and_token(w3: Web3, holder: str) -> tuple[str, Any]:
    deployer = LocalSigner.from_key(DEPLOYER)
    Charter.deploy(w3, deployer)
    tx = deployer.send_transaction(w3, {"data": init_code("DemoToken")})
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=30)
    token = w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))
    _send(w3, deployer, token.functions.mint(holder, MINTED))
    return create2_address("IntentSettler"), token


def deploy_origin(chain: Anvil) -> Deployed:
    """A: the suite, the token (the user holds it) and the committee's oracle."""
    w3 = chain.w3
    user = LocalSigner.from_key(USER)
    settler, token = _suite_and_token(w3, user.address)
    oracle = deploy_oracle(w3, LocalSigner.from_key(DEPLOYER), [m.address for m in COMMITTEE], 2)
    _send(w3, user, token.functions.approve(settler, 2**256 - 1))
    chain.mine(HISTORY)
    return Deployed(settler=settler, token=token.address, oracle=oracle)


def deploy_destination(chain: Anvil, expected: Deployed | None = None) -> Deployed:
    """B: the suite, the token (the solver's inventory) and the solver's agent; after a reset,
    the same addresses and agent id as `expected`."""
    w3 = chain.w3
    solver = LocalSigner.from_key(SOLVER)
    settler, token = _suite_and_token(w3, solver.address)
    agent = Charter.connect(w3, signer=solver).registry.register("ipfs://charter-chaos/solver.json")
    chain.mine(HISTORY)
    deployed = Deployed(settler=settler, token=token.address, agent=agent)
    if expected is not None and deployed != expected:
        raise ChainError(f"the redeployment of {chain.name} differs: {deployed} instead of {expected}")
    return deployed


__all__ = ["CHAIN_A", "CHAIN_B", "COMMITTEE", "HISTORY", "DEPLOYER", "RELAYER", "SOLVER", "USER", "Anvil", "ChainError",
           "Deployed", "deploy_destination", "deploy_origin"]

"""Embedded local chains: start an anvil node for demos, benchmarks and tests.

    with local_anvil() as chain:
        w3 = chain.w3
        ...

anvil must be on PATH (a checkout's ``make`` puts ``node_modules/.bin`` there,
where npm installs the pinned ``@foundry-rs/anvil``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass

from web3 import Web3

from .exceptions import CharterError

# anvil's default development accounts (mnemonic "test test ... junk").
DEV_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
)


@dataclass
class LocalChain:
    """A running anvil node."""

    url: str
    chain_id: int
    process: subprocess.Popen[bytes]

    @property
    def w3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 30}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def local_anvil(
    chain_id: int = 31337, port: int | None = None, block_time: float | None = None, *, interval_only: bool = False
) -> Iterator[LocalChain]:
    """Start a fresh anvil on 127.0.0.1, yield it, and stop it afterwards.

    Each transaction is mined at once. With `block_time`, the node also mines
    an (empty) block every `block_time` seconds, so that confirmation depths
    are reached on an idle chain, as relayers and solvers need; with
    `interval_only` as well, transactions wait for the next block, as on a
    live chain (throughput per block).
    """
    anvil = shutil.which("anvil")
    if anvil is None:
        raise CharterError(
            "anvil is not on PATH; run `make setup` (it installs @foundry-rs/anvil into "
            "node_modules) and put node_modules/.bin on PATH"
        )
    port = port or _free_port()
    args = [anvil, "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id)]
    if block_time is not None:
        args += ["--block-time", str(block_time)] + ([] if interval_only else ["--mixed-mining"])
    process = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    chain = LocalChain(url=f"http://127.0.0.1:{port}", chain_id=chain_id, process=process)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise CharterError(f"anvil exited at start (code {process.returncode}): {err.strip()}")
            with suppress(Exception):  # not listening yet
                if chain.w3.is_connected():
                    break
            if time.monotonic() > deadline:
                raise CharterError(f"anvil did not answer on {chain.url} within 30 s")
            time.sleep(0.1)
        yield chain
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def local_anvils(*chain_ids: int, block_time: float | None = None) -> Iterator[list[LocalChain]]:
    """Start one fresh anvil per chain id (two chains: ``local_anvils(31337, 31338)``)."""
    if len(set(chain_ids)) != len(chain_ids) or not chain_ids:
        raise CharterError(f"local chains need distinct chain ids, got {chain_ids}")
    with ExitStack() as stack:
        yield [stack.enter_context(local_anvil(chain_id, block_time=block_time)) for chain_id in chain_ids]

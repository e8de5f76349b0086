"""Many transactions from one key in one block: consecutive nonces, fees read once, receipts awaited together.

The relayer's settlements and the solver's fills used to wait for each
receipt before sending the next: one transaction per block. A
:class:`Pipeline` signs them locally with consecutive nonces and sends them
all, then waits for their receipts together, so a round's work lands in the
next block whatever the block time. Each transaction is simulated first (a
refusal is the caller's to handle, and uses no nonce), and sending stops at
the first one the RPC does not take, so no nonce is ever skipped.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.types import TxParams, TxReceipt, Wei

from .._core.revert import RevertContext, translate
from .._core.signers import LocalSigner, pad_gas
from .._core.tx import estimate


@dataclass
class Prepared:
    """A simulated, signed transaction, not sent yet."""

    tx_hash: str
    raw: bytes
    nonce: int


class Pipeline:
    """Transactions from `signer` on `w3`'s chain, sent back to back (see the module)."""

    def __init__(self, w3: Web3, signer: LocalSigner, chain_id: int) -> None:
        self.w3 = w3
        self.signer = signer
        self.chain_id = chain_id
        self._nonce: int | None = None
        self._fees: dict[str, int] = {}

    def begin(self) -> None:
        """Read the next nonce and the fees once for the transactions that follow."""
        self._nonce = int(self.w3.eth.get_transaction_count(self.signer.address, "pending"))
        base = self.w3.eth.get_block("latest").get("baseFeePerGas")
        if base is None:
            self._fees = {"gasPrice": int(self.w3.eth.gas_price)}
        else:
            tip = int(self.w3.eth.max_priority_fee)
            self._fees = {"maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * int(base) + tip}

    def prepare(self, to: str, data: bytes | str, ctx: RevertContext, value: int = 0) -> Prepared:
        """Simulate and sign one transaction with the next nonce; a refusal raises its typed
        reason (:class:`~charter.exceptions.ContractRevert`) and takes no nonce."""
        if self._nonce is None:
            self.begin()
        assert self._nonce is not None
        call: TxParams = {"from": self.signer.address, "to": Web3.to_checksum_address(to), "data": HexBytes(data)}
        if value:
            call["value"] = Wei(value)
        with translate(self.w3, ctx):
            gas = estimate(self.w3, call)
        tx: dict[str, Any] = {**{k: v for k, v in call.items() if k != "from"}, "gas": pad_gas(gas),
                              "nonce": self._nonce, "chainId": self.chain_id, "value": value, **self._fees}
        signed = self.signer.account.sign_transaction(tx)
        self._nonce += 1
        return Prepared(signed.hash.to_0x_hex(), bytes(signed.raw_transaction), int(tx["nonce"]))

    def send(self, prepared: Prepared) -> None:
        """Broadcast; on any error the next prepare starts again from the chain's nonce."""
        try:
            self.w3.eth.send_raw_transaction(prepared.raw)
        except Exception:
            self._nonce = None
            raise

    def wait(self, tx_hashes: list[str], timeout: float, stop: threading.Event | None = None,
             poll: float = 0.25) -> dict[str, TxReceipt]:
        """The receipts of those of `tx_hashes` mined within `timeout` seconds (fewer if `stop` is set)."""
        receipts: dict[str, TxReceipt] = {}
        deadline = time.monotonic() + timeout
        # consecutive nonces of one key: none is mined before the one ahead of it, so the last is
        # polled alone until it is mined (or time is up), then every receipt is read once
        while tx_hashes and time.monotonic() < deadline and not (stop and stop.is_set()):
            try:
                self.w3.eth.get_transaction_receipt(tx_hashes[-1])  # type: ignore[arg-type]
                break
            except TransactionNotFound:
                (stop.wait if stop is not None else time.sleep)(poll)
        while True:
            for tx_hash in tx_hashes:
                if tx_hash in receipts:
                    continue
                try:
                    receipts[tx_hash] = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
                except TransactionNotFound:
                    continue
            if len(receipts) == len(tx_hashes) or time.monotonic() >= deadline or (stop and stop.is_set()):
                return receipts
            if stop is not None:
                stop.wait(poll)
            else:
                time.sleep(poll)

    def known(self, tx_hash: str) -> bool:
        """Whether the RPC knows `tx_hash` (pending or mined)."""
        try:
            return self.w3.eth.get_transaction(tx_hash) is not None  # type: ignore[arg-type]
        except TransactionNotFound:
            return False


__all__ = ["Pipeline", "Prepared"]

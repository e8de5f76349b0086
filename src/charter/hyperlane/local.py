"""Hyperlane's own contracts on a local chain: a Mailbox, its Merkle tree hook (required
hook), a no-fee TestPostDispatchHook (default hook) and an m-of-n
StorageMessageIdMultisigIsm (default ISM) whose validators are keys you hold.

    core = deploy_local(w3, deployer, domain=31337, validators=[v1, v2, v3], threshold=2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from .._core.signers import SignerLike, as_signer
from ..exceptions import CharterError, InvalidInput
from .artifacts import artifact


@dataclass
class LocalHyperlane:
    """One chain's Hyperlane deployment."""

    w3: Web3
    domain: int
    mailbox: Contract
    merkle_tree_hook: Contract
    default_hook: Contract
    ism: Contract
    validators: list[ChecksumAddress]
    threshold: int

    def contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact(name)["abi"])


def deploy(w3: Web3, signer: SignerLike, name: str, *args: Any) -> Contract:
    """Deploy Hyperlane's contract `name` with constructor `args`; the contract at its address."""
    data = artifact(name)
    factory = w3.eth.contract(abi=data["abi"], bytecode=data["bytecode"])
    sender = as_signer(signer)
    tx_hash = sender.send_transaction(w3, {"data": HexBytes(factory.constructor(*args).data_in_transaction)})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1 or not receipt["contractAddress"]:
        raise CharterError(f"deploying Hyperlane's {name} failed in transaction {HexBytes(tx_hash).to_0x_hex()}")
    return w3.eth.contract(address=receipt["contractAddress"], abi=data["abi"])


def deploy_local(
    w3: Web3, signer: SignerLike, domain: int, validators: Sequence[str], threshold: int
) -> LocalHyperlane:
    """A Mailbox for `domain` with a Merkle tree hook, a no-fee default hook and a
    `threshold`-of-`validators` MessageId multisig ISM, owned by `signer`."""
    if not 1 <= threshold <= len(validators):
        raise InvalidInput(f"the threshold is between 1 and the number of validators ({len(validators)})")
    checked = [Web3.to_checksum_address(v) for v in validators]
    sender = as_signer(signer)
    mailbox = deploy(w3, sender, "Mailbox", domain)
    merkle = deploy(w3, sender, "MerkleTreeHook", mailbox.address)
    default_hook = deploy(w3, sender, "TestPostDispatchHook")
    ism = deploy(w3, sender, "StorageMessageIdMultisigIsm", checked, threshold)
    call = mailbox.functions.initialize(sender.address, ism.address, default_hook.address, merkle.address)
    tx_hash = sender.send_transaction(w3, {"to": mailbox.address, "data": HexBytes(call._encode_transaction_data())})
    if w3.eth.wait_for_transaction_receipt(tx_hash)["status"] != 1:
        raise CharterError(f"initializing the Mailbox on domain {domain} failed")
    if int(mailbox.functions.localDomain().call()) != domain:
        raise CharterError(f"the Mailbox reports domain {mailbox.functions.localDomain().call()}, not {domain}")
    return LocalHyperlane(w3, domain, mailbox, merkle, default_hook, ism, checked, threshold)


__all__ = ["LocalHyperlane", "deploy", "deploy_local"]

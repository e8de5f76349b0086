"""The committee oracle: an AttesterOracle's members sign attestations of destination records.

    oracle = AttesterOracle(w3_origin, oracle_address)
    signature = attest(member_key, oracle.address, message)        # each member, off-chain
    proof = oracle.proof({member: signature, ...})                 # sorted, at least threshold
    intents.settle([(order, record, proof)])

An attestation says: "on chain D, settler S recorded `recordHash` for
`orderId`", for one origin chain and settler (EIP-712, on the oracle's
domain on the origin chain). Members must only sign what they read from the
destination at a confirmed block: the committee can prove false fills.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, Hash32
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from .._core.artifacts import abi, init_code
from .._core.chain import ChainClient
from .._core.checks import check_address
from .._core.deployments import CREATE2_DEPLOYER, SALT, _create2
from .._core.revert import RevertContext, translate
from .._core.signers import Signer, SignerLike, as_signer
from .._core.tx import TxResult, expect_event, result, send_checked
from ..exceptions import CharterError, InvalidInput, NotDeployed
from .models import Order, word
from .typed_data import attestation_digest, attestation_message, rotation_typed_data

MAX_MEMBERS = 16


def committee_code(members: Sequence[str], threshold: int) -> bytes:
    """Init code of an AttesterOracle for this committee."""
    ordered = sorted_members(members)
    return bytes(init_code("AttesterOracle")) + abi_encode(["address[]", "uint256"], [ordered, threshold])


def sorted_members(members: Sequence[str]) -> list[ChecksumAddress]:
    """The committee as the oracle takes it: distinct addresses sorted ascending."""
    checked = [check_address(m, "committee member") for m in members]
    ordered = sorted(set(checked), key=lambda a: int(a, 16))
    if len(ordered) != len(checked):
        raise InvalidInput("a committee lists each member once")
    if not 1 <= len(ordered) <= MAX_MEMBERS:
        raise InvalidInput(f"a committee has 1 to {MAX_MEMBERS} members, got {len(ordered)}")
    return ordered


def oracle_address(members: Sequence[str], threshold: int, salt: bytes = SALT) -> ChecksumAddress:
    """Where the CREATE2 deployer puts the AttesterOracle of this committee (any chain)."""
    return _create2(committee_code(members, threshold), salt)


def deploy_oracle(w3: Web3, signer: SignerLike, members: Sequence[str], threshold: int) -> ChecksumAddress:
    """Deploy the AttesterOracle of this committee (CREATE2; idempotent) and return its address."""
    if not 1 <= threshold <= len(members):
        raise InvalidInput(f"the threshold is between 1 and the number of members ({len(members)}), got {threshold}")
    address = oracle_address(members, threshold)
    with translate(w3):
        if len(w3.eth.get_code(address)) > 0:
            return address
        if len(w3.eth.get_code(CREATE2_DEPLOYER)) == 0:
            raise NotDeployed(f"the CREATE2 deployer {CREATE2_DEPLOYER} is missing on chain {w3.eth.chain_id}")
        sender = as_signer(signer)
        calldata = HexBytes(SALT + committee_code(members, threshold))
        tx_hash = sender.send_transaction(w3, {"to": CREATE2_DEPLOYER, "data": calldata})
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1 or len(w3.eth.get_code(address)) == 0:
            raise CharterError(f"deploying the AttesterOracle failed in transaction {HexBytes(tx_hash).to_0x_hex()}")
    return address


def fill_attestation(order: Order, record_hash: bytes) -> dict[str, Any]:
    """The attestation message of `order`'s destination record `record_hash`."""
    return attestation_message(
        order.origin_chain_id,
        order.origin_settler,
        order.data.destination_chain_id,
        order.data.destination_settler,
        order.order_id,
        record_hash,
    )


def attest(member: LocalAccount | str | bytes, oracle: str, message: dict[str, Any]) -> bytes:
    """`member`'s 65-byte signature of an attestation (hashed directly)."""
    account = member if isinstance(member, LocalAccount) else Account.from_key(member)
    signed = account.unsafe_sign_hash(Hash32(attestation_digest(oracle, message)))
    return bytes(signed.signature)


class AttesterOracle(ChainClient):
    """Client of one AttesterOracle (on the origin chain)."""

    def __init__(self, w3: Web3, address: str, signer: SignerLike | None = None, *, chain_id: int | None = None,
                 timeout: float = 120) -> None:
        super().__init__(w3, signer, chain_id=chain_id, timeout=timeout)
        self.address: ChecksumAddress = check_address(address, "oracle address")
        self.contract: Contract = w3.eth.contract(address=self.address, abi=abi("AttesterOracle"))

    def __repr__(self) -> str:
        return f"<AttesterOracle {self.address} on chain {self.chain_id}>"

    def members(self) -> list[ChecksumAddress]:
        return [Web3.to_checksum_address(a) for a in self._read("members")]

    def threshold(self) -> int:
        return int(self._read("threshold"))

    def epoch(self) -> int:
        return int(self._read("epoch"))

    def proof(self, signatures: Mapping[str, bytes], threshold: int | None = None) -> bytes:
        """The proof ``isProven`` takes: `threshold` (default: the oracle's) of the members'
        signatures, concatenated in ascending signer order."""
        needed = threshold if threshold is not None else self.threshold()
        ordered = sorted(((check_address(a, "signer"), bytes(s)) for a, s in signatures.items()),
                         key=lambda item: int(item[0], 16))
        if len(ordered) < needed:
            raise InvalidInput(f"the committee needs {needed} signatures, got {len(ordered)}")
        if any(len(s) != 65 for _, s in ordered):
            raise InvalidInput("each attestation signature is 65 bytes (r, s, v)")
        return b"".join(s for _, s in ordered[:needed])

    def is_proven(self, order: Order, record_hash: bytes, proof: bytes) -> bool:
        """What the oracle answers to `order`'s origin settler for this record and proof."""
        with translate(self.w3):
            return bool(self.contract.functions.isProven(
                order.data.destination_chain_id, word(order.data.destination_settler), order.order_id,
                bytes(record_hash), bytes(proof),
            ).call({"from": order.origin_settler}))

    def rotation_typed_data(self, members: Sequence[str], threshold: int) -> dict[str, Any]:
        return rotation_typed_data(self.address, self.chain_id, sorted_members(members), threshold, self.epoch())

    def rotate(self, members: Sequence[str], threshold: int, signatures: Mapping[str, bytes],
               sender: SignerLike | None = None) -> TxResult:
        """Replace the committee with `members` / `threshold`, with the current members' signatures
        of :meth:`rotation_typed_data`."""
        signer: Signer = self._signer(sender, "rotate the committee")
        ordered = sorted_members(members)
        data = self.contract.encode_abi("rotate", [ordered, threshold, self.proof(signatures)])
        receipt = send_checked(self.w3, signer, self.address, data, RevertContext(action="rotate"),
                               timeout=self.timeout)
        expect_event(receipt, self.contract, "CommitteeRotated", effect="the committee did not change")
        return result(receipt)

    def _read(self, fn: str) -> Any:
        with translate(self.w3):
            return self.contract.get_function_by_name(fn)().call()


__all__ = [
    "MAX_MEMBERS",
    "AttesterOracle",
    "attest",
    "committee_code",
    "deploy_oracle",
    "fill_attestation",
    "oracle_address",
    "sorted_members",
]

"""The committee oracle: an AttesterOracle's members sign attestations of destination records.

    oracle = AttesterOracle(w3_origin, oracle_address)
    signature = attest(member_key, oracle.address, message)        # each member, off-chain
    proof = oracle.proof({member: signature, ...})                 # sorted, at least threshold
    intents.settle([(order, record, proof)])

An attestation says: "on chain D, settler S recorded `recordHash` for
`orderId`", for one origin chain and settler (EIP-712, on the oracle's
domain on the origin chain). Members must only sign what they read from the
destination at a confirmed block: the committee can prove false fills.

A committee is fixed in its oracle's code. To change it, deploy the new
committee's oracle with the old one as its predecessor and let the old
committee hand over (once)::

    new = deploy_oracle(w3, deployer, new_members, 2, predecessor=oracle.address)
    typed = oracle.rotation_typed_data(new)                       # each old member signs it
    oracle.rotate(new, {member: signature, ...})

Orders that named the old oracle are then proven by the new committee,
signing in the new oracle's domain (:meth:`AttesterOracle.current`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, Hash32
from web3 import Web3
from web3.contract import Contract

from .._core.artifacts import abi, init_code
from .._core.chain import ChainClient
from .._core.checks import check_address
from .._core.deployments import SALT, _create2, deploy_code
from .._core.revert import RevertContext, translate
from .._core.signers import Signer, SignerLike, as_signer
from .._core.tx import TxResult, expect_event, result, send_checked
from ..exceptions import InvalidInput, NotDeployed
from .models import Order, word
from .typed_data import attestation_digest, attestation_message, rotation_typed_data

MAX_MEMBERS = 16


_ZERO = "0x0000000000000000000000000000000000000000"


def committee_code(members: Sequence[str], threshold: int, predecessor: str | None = None) -> bytes:
    """Init code of an AttesterOracle for this committee (succeeding `predecessor`, if given)."""
    ordered = sorted_members(members)
    before = check_address(predecessor, "predecessor oracle") if predecessor else _ZERO
    return bytes(init_code("AttesterOracle")) + abi_encode(
        ["address[]", "uint256", "address"], [ordered, threshold, before]
    )


def sorted_members(members: Sequence[str]) -> list[ChecksumAddress]:
    """The committee as the oracle takes it: distinct addresses sorted ascending."""
    checked = [check_address(m, "committee member") for m in members]
    ordered = sorted(set(checked), key=lambda a: int(a, 16))
    if len(ordered) != len(checked):
        raise InvalidInput("a committee lists each member once")
    if not 1 <= len(ordered) <= MAX_MEMBERS:
        raise InvalidInput(f"a committee has 1 to {MAX_MEMBERS} members, got {len(ordered)}")
    return ordered


def oracle_address(
    members: Sequence[str], threshold: int, predecessor: str | None = None, salt: bytes = SALT
) -> ChecksumAddress:
    """Where the CREATE2 deployer puts the AttesterOracle of this committee (any chain)."""
    return _create2(committee_code(members, threshold, predecessor), salt)


def deploy_oracle(
    w3: Web3, signer: SignerLike, members: Sequence[str], threshold: int, predecessor: str | None = None
) -> ChecksumAddress:
    """Deploy the AttesterOracle of this committee (CREATE2; idempotent) and return its address.

    `predecessor`: the oracle it is to succeed; that oracle's committee then
    hands over with :meth:`AttesterOracle.rotate`.
    """
    if not 1 <= threshold <= len(members):
        raise InvalidInput(f"the threshold is between 1 and the number of members ({len(members)}), got {threshold}")
    code = committee_code(members, threshold, predecessor)
    with translate(w3):
        if predecessor and len(w3.eth.get_code(check_address(predecessor, "predecessor oracle"))) == 0:
            raise NotDeployed(f"the predecessor oracle {predecessor} has no code on chain {w3.eth.chain_id}")
        return deploy_code(w3, as_signer(signer), "the AttesterOracle", code).address


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
        """This oracle's own committee, ascending (see :meth:`current` once it has rotated)."""
        return [Web3.to_checksum_address(a) for a in self._read("members")]

    def threshold(self) -> int:
        return int(self._read("threshold"))

    def epoch(self) -> int:
        """1 for a first committee, its predecessor's + 1 for a successor."""
        return int(self._read("epoch"))

    def predecessor(self) -> ChecksumAddress | None:
        """The oracle this one succeeds, or None."""
        address = Web3.to_checksum_address(self._read("predecessor"))
        return None if int(address, 16) == 0 else address

    def successor(self) -> ChecksumAddress | None:
        """The oracle this one was handed over to, or None."""
        address = Web3.to_checksum_address(self._read("successor"))
        return None if int(address, 16) == 0 else address

    def current(self) -> AttesterOracle:
        """The oracle whose committee answers for this one (itself until it rotates):
        attestations for orders naming this oracle are signed in *its* domain."""
        address = Web3.to_checksum_address(self._read("current"))
        if address == self.address:
            return self
        return AttesterOracle(self.w3, address, self.signer, chain_id=self.chain_id, timeout=self.timeout)

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

    def rotation_typed_data(self, successor: str) -> dict[str, Any]:
        """What this committee's members sign (EIP-712) to hand the oracle over to `successor`."""
        return rotation_typed_data(self.address, self.chain_id, check_address(successor, "successor oracle"))

    def rotate(self, successor: str, signatures: Mapping[str, bytes], sender: SignerLike | None = None) -> TxResult:
        """Hand this oracle over to `successor` (an AttesterOracle deployed with this one as its
        predecessor, see :func:`deploy_oracle`), with this committee's signatures of
        :meth:`rotation_typed_data`. From then on the successor's committee answers for it."""
        signer: Signer = self._signer(sender, "rotate the committee")
        new = AttesterOracle(self.w3, successor, chain_id=self.chain_id)
        with translate(self.w3):
            if len(self.w3.eth.get_code(new.address)) == 0:
                raise NotDeployed(f"the successor oracle {new.address} has no code on chain {self.chain_id}: "
                                  "deploy it first (deploy_oracle(..., predecessor=...))")
        if new.predecessor() != self.address:
            raise InvalidInput(f"the oracle {new.address} does not succeed {self.address} (its predecessor is "
                               f"{new.predecessor()}): deploy one with predecessor={self.address}")
        data = self.contract.encode_abi("rotate", [new.address, self.proof(signatures)])
        receipt = send_checked(self.w3, signer, self.address, data, RevertContext(action="rotate"),
                               timeout=self.timeout)
        expect_event(receipt, self.contract, "Rotated", effect="the oracle was not handed over", successor=new.address)
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

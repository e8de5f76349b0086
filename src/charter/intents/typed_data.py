"""The intents' EIP-712 messages.

* ``GaslessCrossChainOrder``, signed by a user for ``openFor``, on the
  settler's domain ``{name: "Charter IntentSettler", version: "1", chainId,
  verifyingContract: <settler>}``. Its ``orderData`` is the nested
  ``CharterOrder`` struct, not opaque bytes, so a wallet shows every field.
* ``Attestation``, signed by each committee member of an AttesterOracle:
  "the destination settler recorded `recordHash` for `orderId`", on the
  oracle's domain ``{name: "Charter AttesterOracle", version: "1", chainId:
  <origin chain>, verifyingContract: <oracle>}``.
* ``Rotation``: the committee's decision to hand its oracle over to a
  successor oracle (a new committee), on the oracle's domain.

Attestations are hashed directly (:data:`ATTESTATION_HASHER`): an attester
signs one per fill it sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from web3 import Web3

from .._core.eip712 import EIP712_DOMAIN_TYPE, StructHasher, domain_separator, eip712_digest, register
from .._core.eip712 import typed_data_digest as _digest

if TYPE_CHECKING:
    from .models import Order

SETTLER_DOMAIN_NAME = "Charter IntentSettler"
ORACLE_DOMAIN_NAME = "Charter AttesterOracle"
DOMAIN_VERSION = "1"

_ORDER_TYPES: dict[str, list[dict[str, str]]] = {
    "CharterOrder": [
        {"name": "nonce", "type": "uint256"},
        {"name": "agentId", "type": "uint256"},
        {"name": "refundAfter", "type": "uint32"},
        {"name": "oracle", "type": "address"},
        {"name": "exclusiveFiller", "type": "address"},
        {"name": "exclusivityDeadline", "type": "uint32"},
        {"name": "destinationChainId", "type": "uint256"},
        {"name": "destinationSettler", "type": "bytes32"},
        {"name": "inputs", "type": "Input[]"},
        {"name": "outputs", "type": "Output[]"},
    ],
    "Input": [{"name": "token", "type": "address"}, {"name": "amount", "type": "uint256"}],
    "Output": [
        {"name": "token", "type": "bytes32"},
        {"name": "amount", "type": "uint256"},
        {"name": "recipient", "type": "bytes32"},
        {"name": "chainId", "type": "uint256"},
    ],
}
GASLESS_TYPES: dict[str, list[dict[str, str]]] = {
    "GaslessCrossChainOrder": [
        {"name": "originSettler", "type": "address"},
        {"name": "user", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "originChainId", "type": "uint256"},
        {"name": "openDeadline", "type": "uint32"},
        {"name": "fillDeadline", "type": "uint32"},
        {"name": "orderDataType", "type": "bytes32"},
        {"name": "orderData", "type": "CharterOrder"},
    ],
    **_ORDER_TYPES,
}
ATTESTATION_TYPES: dict[str, list[dict[str, str]]] = {
    "Attestation": [
        {"name": "originChainId", "type": "uint256"},
        {"name": "originSettler", "type": "address"},
        {"name": "destinationChainId", "type": "uint256"},
        {"name": "destinationSettler", "type": "bytes32"},
        {"name": "orderId", "type": "bytes32"},
        {"name": "recordHash", "type": "bytes32"},
    ]
}
ROTATION_TYPES: dict[str, list[dict[str, str]]] = {
    "Rotation": [
        {"name": "successor", "type": "address"},
    ]
}

ATTESTATION_HASHER = register(StructHasher("Attestation", ATTESTATION_TYPES))
GASLESS_HASHER = register(StructHasher("GaslessCrossChainOrder", GASLESS_TYPES))


def _domain(name: str, chain_id: int, contract: str) -> dict[str, Any]:
    return {
        "name": name,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": Web3.to_checksum_address(contract),
    }


def _full(primary: str, types: dict[str, list[dict[str, str]]], domain: dict[str, Any], message: Any) -> dict[str, Any]:
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **types},
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }


def gasless_order_typed_data(order: Order) -> dict[str, Any]:
    """The full EIP-712 message a user signs for ``openFor`` of `order`."""
    from .models import ORDER_DATA_TYPE, word  # noqa: PLC0415 - models imports this module's users

    d = order.data
    message = {
        "originSettler": order.origin_settler,
        "user": order.user,
        "nonce": d.nonce,
        "originChainId": order.origin_chain_id,
        "openDeadline": order.open_deadline,
        "fillDeadline": order.fill_deadline,
        "orderDataType": ORDER_DATA_TYPE,
        "orderData": {
            "nonce": d.nonce,
            "agentId": d.agent_id,
            "refundAfter": d.refund_after,
            "oracle": d.oracle,
            "exclusiveFiller": d.exclusive_filler,
            "exclusivityDeadline": d.exclusivity_deadline,
            "destinationChainId": d.destination_chain_id,
            "destinationSettler": word(d.destination_settler),
            "inputs": [{"token": i.token, "amount": i.amount} for i in d.inputs],
            "outputs": [
                {"token": word(o.token), "amount": o.amount, "recipient": word(o.recipient), "chainId": o.chain_id}
                for o in d.outputs
            ],
        },
    }
    domain = _domain(SETTLER_DOMAIN_NAME, order.origin_chain_id, order.origin_settler)
    return _full("GaslessCrossChainOrder", GASLESS_TYPES, domain, message)


def gasless_order_digest(order: Order) -> bytes:
    return _digest(gasless_order_typed_data(order))


def attestation_message(
    origin_chain_id: int,
    origin_settler: str,
    destination_chain_id: int,
    destination_settler: str,
    order_id: bytes,
    record_hash: bytes,
) -> dict[str, Any]:
    from .models import word  # noqa: PLC0415

    return {
        "originChainId": origin_chain_id,
        "originSettler": Web3.to_checksum_address(origin_settler),
        "destinationChainId": destination_chain_id,
        "destinationSettler": word(destination_settler),
        "orderId": bytes(order_id),
        "recordHash": bytes(record_hash),
    }


def attestation_typed_data(oracle: str, message: dict[str, Any]) -> dict[str, Any]:
    """The full EIP-712 attestation a committee member signs (the oracle lives on the origin chain)."""
    domain = _domain(ORACLE_DOMAIN_NAME, message["originChainId"], oracle)
    return _full("Attestation", ATTESTATION_TYPES, domain, message)


def attestation_digest(oracle: str, message: dict[str, Any]) -> bytes:
    """The attestation digest, hashed directly (equal to the full message's)."""
    separator = domain_separator(ORACLE_DOMAIN_NAME, DOMAIN_VERSION, message["originChainId"], oracle)
    return eip712_digest(separator, ATTESTATION_HASHER.hash_message(message))


def rotation_typed_data(oracle: str, chain_id: int, successor: str) -> dict[str, Any]:
    """The full EIP-712 message by which the committee of `oracle` hands it over to `successor`."""
    message = {"successor": Web3.to_checksum_address(successor)}
    return _full("Rotation", ROTATION_TYPES, _domain(ORACLE_DOMAIN_NAME, chain_id, oracle), message)


__all__ = [
    "ATTESTATION_TYPES",
    "GASLESS_TYPES",
    "ORACLE_DOMAIN_NAME",
    "ROTATION_TYPES",
    "SETTLER_DOMAIN_NAME",
    "attestation_digest",
    "attestation_message",
    "attestation_typed_data",
    "gasless_order_digest",
    "gasless_order_typed_data",
    "rotation_typed_data",
]

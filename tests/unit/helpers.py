"""Pure helpers for the AgentRegistry unit tests: constants, an event decoder
written from the ERC-721 / ERC-8004 event layouts, and the EIP-712 wallet
proof spelled out independently of the contract and of the `charter` package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_SOURCE = ROOT / "contracts" / "AgentRegistry.vy"
MOCKS = ROOT / "tests" / "mocks"

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
AGENT_WALLET_KEY = "agentWallet"
MAX_DEADLINE_DELAY = 300
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

STATUS_ACTIVE = 0
STATUS_PAUSED = 1
STATUS_RETIRED = 2

EIP712_NAME = "ERC8004IdentityRegistry"
EIP712_VERSION = "1"
AGENT_WALLET_SET_TYPE = (
    "AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"
)

# Fixed keys so failures are reproducible (anvil's well-known dev keys 1..3).
WALLET_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
WALLET2_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
WALLET3_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"


# ---------------------------------------------------------------- events

# ERC-721 and ERC-8004 event layouts: (name, type, indexed).
EVENT_LAYOUTS: dict[str, list[tuple[str, str, bool]]] = {
    "Transfer": [
        ("from", "address", True),
        ("to", "address", True),
        ("tokenId", "uint256", True),
    ],
    "Approval": [
        ("owner", "address", True),
        ("approved", "address", True),
        ("tokenId", "uint256", True),
    ],
    "ApprovalForAll": [
        ("owner", "address", True),
        ("operator", "address", True),
        ("approved", "bool", False),
    ],
    "Registered": [
        ("agentId", "uint256", True),
        ("agentURI", "string", False),
        ("owner", "address", True),
    ],
    "MetadataSet": [
        ("agentId", "uint256", True),
        ("indexedMetadataKey", "string", True),
        ("metadataKey", "string", False),
        ("metadataValue", "bytes", False),
    ],
    "URIUpdated": [
        ("agentId", "uint256", True),
        ("newURI", "string", False),
        ("updatedBy", "address", True),
    ],
    "StatusChanged": [
        ("agentId", "uint256", True),
        ("status", "uint8", False),
        ("updatedBy", "address", True),
    ],
}
def event_topics(layouts: dict[str, list[tuple[str, str, bool]]]) -> dict[int, str]:
    """topic0 -> event name, from the layouts' signatures."""
    return {
        int.from_bytes(keccak(text=f"{name}({','.join(t for _, t, _ in fields)})"), "big"): name
        for name, fields in layouts.items()
    }


EVENT_TOPICS = event_topics(EVENT_LAYOUTS)


class Event(NamedTuple):
    name: str
    args: dict[str, Any]


def _decode_topic(typ: str, topic: int) -> Any:
    raw = topic.to_bytes(32, "big")
    if typ in ("string", "bytes"):
        return raw  # indexed dynamic values are logged as their keccak256
    (value,) = abi_decode([typ], raw)
    return to_checksum_address(value) if typ == "address" else value


def decode_events(contract, emitter=None, layouts=EVENT_LAYOUTS) -> list[Event]:
    """The events `emitter` (default: `contract`) logged during the last call
    made to `contract` (nested calls included), in order, decoded with
    `layouts` (so an unknown topic, a wrong signature or a wrong `indexed`
    fails)."""
    computation = contract._computation
    entries = sorted(computation.get_raw_log_entries()) if computation else []
    source = emitter if emitter is not None else contract
    address = bytes.fromhex(str(getattr(source, "address", source))[2:])
    topics_of = EVENT_TOPICS if layouts is EVENT_LAYOUTS else event_topics(layouts)
    out = []
    for _log_id, logged_by, topics, data in entries:
        if logged_by != address:
            continue
        name = topics_of[topics[0]]
        fields = layouts[name]
        indexed = [f for f in fields if f[2]]
        plain = [f for f in fields if not f[2]]
        assert len(topics) == 1 + len(indexed), f"{name}: wrong number of topics"
        values = dict(
            zip(
                [n for n, _, _ in indexed],
                [
                    _decode_topic(t, topic)
                    for (_, t, _), topic in zip(indexed, topics[1:], strict=True)
                ],
                strict=True,
            )
        )
        decoded = abi_decode([t for _, t, _ in plain], data)
        for (n, t, _), v in zip(plain, decoded, strict=True):
            values[n] = to_checksum_address(v) if t == "address" else v
        out.append(Event(name, {n: values[n] for n, _, _ in fields}))
    return out


def metadata_set(agent_id: int, key: str, value: bytes) -> Event:
    """The MetadataSet event the registry should emit."""
    return Event(
        "MetadataSet",
        {
            "agentId": agent_id,
            "indexedMetadataKey": keccak(text=key),
            "metadataKey": key,
            "metadataValue": value,
        },
    )


def packed(address: str) -> bytes:
    """An address as 20 packed bytes (how `agentWallet` metadata is encoded)."""
    return bytes.fromhex(str(address)[2:])


# ---------------------------------------------------------------- EIP-712


def wallet_typed_data(
    agent_id: int,
    new_wallet: str,
    owner: str,
    deadline: int,
    chain_id: int,
    verifying_contract: str,
) -> dict:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "AgentWalletSet": [
                {"name": "agentId", "type": "uint256"},
                {"name": "newWallet", "type": "address"},
                {"name": "owner", "type": "address"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "AgentWalletSet",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": str(verifying_contract),
        },
        "message": {
            "agentId": agent_id,
            "newWallet": str(new_wallet),
            "owner": str(owner),
            "deadline": deadline,
        },
    }


def manual_digest(
    agent_id: int,
    new_wallet: str,
    owner: str,
    deadline: int,
    chain_id: int,
    verifying_contract: str,
) -> bytes:
    """The EIP-712 digest spelled out with keccak and abi.encode (no eth_account)."""
    domain_type = keccak(
        text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    domain = keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                domain_type,
                keccak(text=EIP712_NAME),
                keccak(text=EIP712_VERSION),
                chain_id,
                str(verifying_contract),
            ],
        )
    )
    struct = keccak(
        abi_encode(
            ["bytes32", "uint256", "address", "address", "uint256"],
            [
                keccak(text=AGENT_WALLET_SET_TYPE),
                agent_id,
                str(new_wallet),
                str(owner),
                deadline,
            ],
        )
    )
    return keccak(b"\x19\x01" + domain + struct)


def eip712_digest(*args) -> bytes:
    """Same digest through eth_account's EIP-712 encoder."""
    signable = encode_typed_data(full_message=wallet_typed_data(*args))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def split(signature: bytes) -> tuple[int, int, int]:
    return (
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
        signature[64],
    )


def join(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


class SessionManagerPair:
    """A SessionManager and its SessionExtension, used as one contract.

    The manager's own functions are the manager's; the extension's
    (``executeBatch``, ``renounce``, ``setMaxSessionLength``) are called at
    the manager's address, as users call them (the manager's fallback runs
    the extension's code on its own storage). ``extension`` is the deployed
    extension itself (for direct calls, which it refuses)."""

    def __init__(self, manager: Any, delegated: Any, extension: Any) -> None:
        self._manager = manager
        self._delegated = delegated
        self._last = manager
        self.extension = extension

    @property
    def _computation(self) -> Any:
        """The last call's computation, whichever half answered it (for decode_events)."""
        return self._last._computation

    def __getattr__(self, name: str) -> Any:
        half = self._manager if hasattr(self._manager, name) else self._delegated
        if any(entry.get("name") == name for entry in half.abi):
            self._last = half
        return getattr(half, name)


def deploy_session_manager(registry: Any) -> SessionManagerPair:
    """Deploy a SessionExtension and a SessionManager on `registry` (titanoboa)."""
    import boa

    activator = boa.load_partial(str(ROOT / "contracts" / "SessionActivator.vy")).deploy(registry)
    extensions = boa.load_partial(str(ROOT / "contracts" / "SessionExtension.vy"))
    extension = extensions.deploy(registry, activator.address)
    manager = boa.load_partial(str(ROOT / "contracts" / "SessionManager.vy")).deploy(registry, extension.address)
    return SessionManagerPair(manager, extensions.at(manager.address), extension)

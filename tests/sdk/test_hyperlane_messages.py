"""Hyperlane's wire formats in the SDK (the real contracts accept them: tests/integration/test_hyperlane_local.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak

from charter.exceptions import InvalidInput
from charter.hyperlane import Message, checkpoint_digest, message_id_metadata, sign_checkpoint

SENDER = "0x" + "11" * 20
RECIPIENT = "0x" + "22" * 20


def test_message_layout_and_id() -> None:
    m = Message.new(7, 31337, SENDER, 10, RECIPIENT, b"body")
    raw = m.encode()
    assert raw[0] == 3 and raw[1:5] == (7).to_bytes(4, "big") and raw[5:9] == (31337).to_bytes(4, "big")
    assert raw[9:41] == b"\x00" * 12 + bytes.fromhex("11" * 20)
    assert raw[41:45] == (10).to_bytes(4, "big") and raw[45:77] == b"\x00" * 12 + bytes.fromhex("22" * 20)
    assert raw[77:] == b"body" and len(raw) == 81
    assert m.id == keccak(raw)
    assert Message.decode(raw) == m


def test_message_refuses_what_does_not_fit() -> None:
    with pytest.raises(InvalidInput, match="4 bytes"):
        Message.new(2**32, 1, SENDER, 2, RECIPIENT, b"").encode()
    with pytest.raises(InvalidInput, match="32 bytes"):
        Message.new(1, 1, b"\x01" * 31, 2, RECIPIENT, b"")
    with pytest.raises(InvalidInput, match="at least 77"):
        Message.decode(b"\x03" * 76)


def test_checkpoint_signature_recovers_to_the_validator() -> None:
    validator = Account.from_key(b"\x31" * 32)
    root, message_id = b"\xaa" * 32, b"\xbb" * 32
    signature = sign_checkpoint(validator, 1, SENDER, root, 5, message_id)
    digest = checkpoint_digest(1, SENDER, root, 5, message_id)
    assert Account._recover_hash(digest, signature=signature) == validator.address
    # every field is in the digest
    others = [
        (2, SENDER, root, 5, message_id),
        (1, RECIPIENT, root, 5, message_id),
        (1, SENDER, b"\x00" * 32, 5, message_id),
        (1, SENDER, root, 6, message_id),
        (1, SENDER, root, 5, b"\x00" * 32),
    ]
    assert len({digest, *(checkpoint_digest(*o) for o in others)}) == 6
    metadata = message_id_metadata(SENDER, root, 5, [signature])
    assert metadata == b"\x00" * 12 + bytes.fromhex("11" * 20) + root + (5).to_bytes(4, "big") + signature
    with pytest.raises(InvalidInput, match="65 bytes"):
        message_id_metadata(SENDER, root, 5, [signature[:64]])


def test_extractor_reads_typechain_literals() -> None:
    path = Path(__file__).resolve().parents[2] / "tools" / "hyperlane_artifacts.py"
    spec = importlib.util.spec_from_file_location("hyperlane_artifacts", path)
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    text = "\n".join(
        [
            "[",
            "    {",
            "        inputs: [",
            "            {",
            '                name: "a:b",',
            '                type: "uint32",',
            "            },",
            "        ],",
            '        type: "constructor",',
            "    },",
            "]",
        ]
    )
    assert tool.js_literal_to_json(text) == [{"inputs": [{"name": "a:b", "type": "uint32"}], "type": "constructor"}]

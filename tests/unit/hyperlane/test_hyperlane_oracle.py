"""HyperlaneOracle alone (titanoboa): what `handle` accepts and what `isProven` answers.
With Hyperlane's real Mailbox: tests/integration/test_settle_over_hyperlane.py."""

from __future__ import annotations

from pathlib import Path

import boa
import pytest
from eth_abi import encode

ROOT = Path(__file__).resolve().parents[3]
DOMAIN_B, CHAIN_B = 7, 31_422
DOMAIN_C, CHAIN_C = 8, 31_433


def addr(x) -> str:
    return str(getattr(x, "address", x))


def word(a) -> bytes:
    return b"\x00" * 12 + bytes.fromhex(addr(a)[2:])


@pytest.fixture
def setup():
    mailbox = boa.load(str(ROOT / "tests/mocks/Token.vy"))  # any contract: its address calls `handle`
    ism = boa.env.generate_address("ism")
    reporter_b, reporter_c = boa.env.generate_address("reporter-b"), boa.env.generate_address("reporter-c")
    oracle = boa.load(
        str(ROOT / "contracts/HyperlaneOracle.vy"),
        mailbox.address,
        ism,
        [(DOMAIN_B, CHAIN_B, reporter_b), (DOMAIN_C, CHAIN_C, reporter_c)],
    )
    return oracle, mailbox, ism, reporter_b, reporter_c


def body(origin_settler, dest_settler, ids, records) -> bytes:
    return encode(
        ["address", "address", "bytes32[]", "bytes32[]"], [addr(origin_settler), addr(dest_settler), ids, records]
    )


ORIGIN, DEST, OTHER = (boa.env.generate_address(n) for n in ("origin-settler", "dest-settler", "other-settler"))
ID, ID2, REC, REC2 = b"\x01" * 32, b"\x02" * 32, b"\xaa" * 32, b"\xbb" * 32


def asked(oracle, settler, chain, dest, order_id, record) -> bool:
    with boa.env.prank(settler):
        return oracle.isProven(chain, word(dest), order_id, record, b"")


def test_configuration(setup) -> None:
    oracle, mailbox, ism, *_ = setup
    assert oracle.MAILBOX() == mailbox.address and oracle.interchainSecurityModule() == ism


def test_constructor_refuses_bad_configuration() -> None:
    source = str(ROOT / "contracts/HyperlaneOracle.vy")
    token = boa.load(str(ROOT / "tests/mocks/Token.vy"))
    with boa.reverts("hyperlane: no code"):
        boa.load(source, boa.env.generate_address("eoa"), token.address, [])
    for bad in [(DOMAIN_B, 0, token.address), (DOMAIN_B, CHAIN_B, "0x" + "00" * 20)]:
        with boa.reverts("hyperlane: bad remote"):
            boa.load(source, token.address, token.address, [bad])


def test_handle_stores_under_the_senders_chain(setup) -> None:
    oracle, mailbox, _, reporter_b, _ = setup
    with boa.env.prank(mailbox.address):
        oracle.handle(DOMAIN_B, word(reporter_b), body(ORIGIN, DEST, [ID, ID2], [REC, REC2]))
    assert asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC) and asked(oracle, ORIGIN, CHAIN_B, DEST, ID2, REC2)
    # bound to the origin settler, the destination chain and settler, the order and the record
    assert not asked(oracle, OTHER, CHAIN_B, DEST, ID, REC)
    assert not asked(oracle, ORIGIN, CHAIN_C, DEST, ID, REC)
    assert not asked(oracle, ORIGIN, CHAIN_B, OTHER, ID, REC)
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC2)
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, b"\x03" * 32, REC)
    with boa.env.prank(ORIGIN):  # a destination settler word with high bits set is no address
        assert not oracle.isProven(CHAIN_B, b"\x01" + word(DEST)[1:], ID, REC, b"")


def test_nothing_is_proven_by_default(setup) -> None:
    oracle, *_ = setup
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC)
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, b"\x00" * 32)  # the empty record is never proven


def test_handle_only_from_the_mailbox(setup) -> None:
    oracle, _, _, reporter_b, _ = setup
    for caller in (reporter_b, ORIGIN, boa.env.generate_address("stranger")):
        with boa.env.prank(caller), boa.reverts("hyperlane: not the mailbox"):
            oracle.handle(DOMAIN_B, word(reporter_b), body(ORIGIN, DEST, [ID], [REC]))
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC)


@pytest.mark.parametrize("case", ["stranger", "reporter of another domain", "unknown domain"])
def test_handle_only_from_the_domains_reporter(setup, case: str) -> None:
    oracle, mailbox, _, reporter_b, reporter_c = setup
    domain, sender = {
        "stranger": (DOMAIN_B, boa.env.generate_address("stranger")),
        "reporter of another domain": (DOMAIN_B, reporter_c),
        "unknown domain": (99, reporter_b),
    }[case]
    with boa.env.prank(mailbox.address), boa.reverts("hyperlane: unknown sender"):
        oracle.handle(domain, word(sender), body(ORIGIN, DEST, [ID], [REC]))


def test_handle_refuses_a_malformed_body(setup) -> None:
    oracle, mailbox, _, reporter_b, _ = setup
    with boa.env.prank(mailbox.address), boa.reverts("hyperlane: bad body"):
        oracle.handle(DOMAIN_B, word(reporter_b), body(ORIGIN, DEST, [ID, ID2], [REC]))
    with boa.env.prank(mailbox.address), boa.reverts():
        oracle.handle(DOMAIN_B, word(reporter_b), b"\x01" * 40)

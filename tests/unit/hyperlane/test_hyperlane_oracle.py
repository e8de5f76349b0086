"""HyperlaneOracle alone (titanoboa): what `handle` accepts and what `isProven` answers
(one Merkle root per message; the SDK's Report builds the same root and proofs).
With Hyperlane's real Mailbox: tests/integration/test_settle_over_hyperlane.py."""

from __future__ import annotations

from pathlib import Path

import boa
import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.hyperlane.settlement import Report

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
    """The reporter's packed body (one more id than records is malformed on purpose in a test)."""
    head = bytes.fromhex(addr(origin_settler)[2:]) + bytes.fromhex(addr(dest_settler)[2:])
    return head + b"".join(i + r for i, r in zip(ids, records, strict=False)) + b"".join(ids[len(records):])


ORIGIN, DEST, OTHER = (boa.env.generate_address(n) for n in ("origin-settler", "dest-settler", "other-settler"))
ID, ID2, REC, REC2 = b"\x01" * 32, b"\x02" * 32, b"\xaa" * 32, b"\xbb" * 32


def asked(oracle, settler, chain, dest, order_id, record, proof: bytes = b"") -> bool:
    with boa.env.prank(settler):
        return oracle.isProven(chain, word(dest), order_id, record, proof)


def proof(ids, records, order_id) -> bytes:
    return Report(addr(ORIGIN), addr(DEST), tuple(ids), tuple(records)).proof(order_id)


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
    p1, p2 = proof([ID, ID2], [REC, REC2], ID), proof([ID, ID2], [REC, REC2], ID2)
    assert asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC, p1) and asked(oracle, ORIGIN, CHAIN_B, DEST, ID2, REC2, p2)
    # bound to the origin settler, the destination chain and settler, the order, the record and the path
    assert not asked(oracle, OTHER, CHAIN_B, DEST, ID, REC, p1)
    assert not asked(oracle, ORIGIN, CHAIN_C, DEST, ID, REC, p1)
    assert not asked(oracle, ORIGIN, CHAIN_B, OTHER, ID, REC, p1)
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC2, p1)
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, b"\x03" * 32, REC, p1)
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC)  # no path
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC, p2)  # another order's path
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC, p1 + b"\x00")  # not whole words
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC, p1 * 5)  # longer than four words
    with boa.env.prank(ORIGIN):  # a destination settler word with high bits set is no address
        assert not oracle.isProven(CHAIN_B, b"\x01" + word(DEST)[1:], ID, REC, p1)


def test_a_message_of_one_order_needs_no_path(setup) -> None:
    oracle, mailbox, _, reporter_b, _ = setup
    with boa.env.prank(mailbox.address):
        oracle.handle(DOMAIN_B, word(reporter_b), body(ORIGIN, DEST, [ID], [REC]))
    assert proof([ID], [REC], ID) == b""
    assert asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC)
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, ID, REC2)


def test_an_inner_node_is_not_a_leaf(setup) -> None:
    """The two children of an inner node, presented as (orderId, recordHash), prove nothing:
    leaves are hashed with a 0x00 prefix."""
    oracle, mailbox, _, reporter_b, _ = setup
    ids, records = [ID, ID2, b"\x03" * 32, b"\x04" * 32], [REC, REC2, REC, REC2]
    with boa.env.prank(mailbox.address):
        oracle.handle(DOMAIN_B, word(reporter_b), body(ORIGIN, DEST, ids, records))
    report = Report(addr(ORIGIN), addr(DEST), tuple(ids), tuple(records))
    a, b = sorted([Report.leaf(ID, REC), Report.leaf(ID2, REC2)], key=lambda x: int.from_bytes(x, "big"))
    above = report.proof(ID)[32:]  # the sibling of the inner node (a, b)
    from charter.hyperlane.settlement import _pair

    assert _pair(keccak(a + b), above) == report.root  # without the prefix this would be a valid path
    assert not asked(oracle, ORIGIN, CHAIN_B, DEST, a, b, above)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32)),
                min_size=1, max_size=10, unique_by=lambda t: t[0]))
def test_every_order_of_a_batch_is_proven_with_its_own_path(pairs) -> None:
    """Invariant: for any batch of 1 to 10 orders, the root the oracle stores is the SDK's, and
    each (order, record) is proven with its own path and with no other order's."""
    mailbox = boa.load(str(ROOT / "tests/mocks/Token.vy"))
    reporter = boa.env.generate_address("reporter")
    oracle = boa.load(str(ROOT / "contracts/HyperlaneOracle.vy"), mailbox.address, mailbox.address,
                      [(DOMAIN_B, CHAIN_B, reporter)])
    ids, records = [p[0] for p in pairs], [p[1] if any(p[1]) else b"\x01" * 32 for p in pairs]
    with boa.env.prank(mailbox.address):
        oracle.handle(DOMAIN_B, word(reporter), body(ORIGIN, DEST, ids, records))
    report = Report(addr(ORIGIN), addr(DEST), tuple(ids), tuple(records))
    paths = [report.proof(i) for i in ids]
    for k, (order_id, record) in enumerate(zip(ids, records, strict=True)):
        assert asked(oracle, ORIGIN, CHAIN_B, DEST, order_id, record, paths[k])
        for j, other in enumerate(paths):
            if j != k and other != paths[k]:
                assert not asked(oracle, ORIGIN, CHAIN_B, DEST, order_id, record, other)


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
    with boa.env.prank(mailbox.address), boa.reverts("hyperlane: bad body"):
        oracle.handle(DOMAIN_B, word(reporter_b), body(ORIGIN, DEST, [], []))
    with boa.env.prank(mailbox.address), boa.reverts():
        oracle.handle(DOMAIN_B, word(reporter_b), b"\x01" * 40)

"""The intents' pure models: encodings round-trip, digests match eth-account, and
client-side checks refuse what the settler refuses."""

from __future__ import annotations

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from charter._core.eip712 import reference_digest, typed_data_digest
from charter.exceptions import InvalidInput, OrderInvalid
from charter.intents import MIN_REFUND_DELAY, NATIVE, FillRecord, Input, Order, Output, check_order
from charter.intents.models import from_word, record_hash, word
from charter.intents.oracle import attest, sorted_members
from charter.intents.typed_data import (
    attestation_digest,
    attestation_message,
    attestation_typed_data,
    gasless_order_typed_data,
)

SETTLER = "0x" + "ab" * 20
TOKEN = "0x" + "12" * 20
OTHER = "0x" + "34" * 20
ORACLE = "0x" + "56" * 20
NOW = 1_800_000_000


def make(**data: object) -> Order:
    fields: dict[str, object] = {
        "nonce": 7, "agent_id": 3, "refund_after": NOW + 600 + MIN_REFUND_DELAY, "oracle": ORACLE,
        "destination_chain_id": 2, "destination_settler": SETTLER,
        "inputs": [Input(token=TOKEN, amount=100)],
        "outputs": [Output(token=OTHER, amount=99, recipient=OTHER, chain_id=2)],
    }
    fields.update(data)
    return Order.model_validate({
        "user": "0x" + "99" * 20, "origin_chain_id": 1, "origin_settler": SETTLER,
        "open_deadline": NOW + 600, "fill_deadline": NOW + 600, "data": fields,
    })


amounts = st.integers(min_value=1, max_value=2**256 - 1)
addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(amounts, amounts, addresses, st.integers(min_value=0, max_value=2**64), st.booleans())
def test_origin_data_round_trips(give: int, want: int, recipient: str, nonce: int, native: bool) -> None:
    order = make(nonce=nonce, inputs=[Input(token=NATIVE if native else TOKEN, amount=give)],
                 outputs=[Output(token=OTHER, amount=want, recipient=recipient, chain_id=2)])
    again = Order.from_origin_data(order.origin_data)
    assert again == order and again.order_id == order.order_id
    assert order.native_in == (give if native else 0)


def test_a_changed_field_changes_the_id() -> None:
    base = make()
    assert make(nonce=8).order_id != base.order_id
    assert make(outputs=[Output(token=OTHER, amount=98, recipient=OTHER, chain_id=2)]).order_id != base.order_id


def test_origin_data_that_is_not_an_order_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Order.from_origin_data(b"\x01" * 64)


def test_words_are_padded_addresses() -> None:
    assert from_word(word(TOKEN)).lower() == TOKEN
    assert word(TOKEN) == bytes(12) + bytes.fromhex(TOKEN[2:])
    with pytest.raises(InvalidInput):
        from_word(b"\x01" + bytes(31))


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.integers(min_value=0, max_value=2**64), amounts)
def test_gasless_digest_matches_eth_account(nonce: int, amount: int) -> None:
    order = make(nonce=nonce, inputs=[Input(token=TOKEN, amount=amount)])
    typed = gasless_order_typed_data(order)
    assert typed_data_digest(typed) == reference_digest(typed)


def test_attestation_digest_matches_eth_account_and_signs() -> None:
    member = Account.create()
    message = attestation_message(1, SETTLER, 2, SETTLER, b"\x01" * 32, record_hash(1, OTHER, 5))
    digest = attestation_digest(ORACLE, message)
    assert digest == reference_digest(attestation_typed_data(ORACLE, message))
    signature = attest(member, ORACLE, message)
    assert Account._recover_hash(digest, signature=signature) == member.address


def test_fill_record_hash_and_filler_data() -> None:
    record = FillRecord(payout=OTHER, filler_agent_id=9)
    assert record.hash == record_hash(1, OTHER, 9)
    assert len(record.filler_data()) == 64


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"refund_after": NOW + 600 + MIN_REFUND_DELAY - 1}, "refund_after"),
        ({"exclusivity_deadline": NOW}, "exclusive filler"),
        ({"outputs": [Output(token=OTHER, amount=99, recipient=OTHER, chain_id=3)]}, "destination chain"),
        ({"oracle": NATIVE}, "oracle"),
        ({"outputs": [Output(token=OTHER, amount=0, recipient=OTHER, chain_id=2)]}, "positive"),
    ],
)
def test_check_order_refuses_what_the_settler_refuses(change: dict[str, object], problem: str) -> None:
    check_order(make(), NOW)
    with pytest.raises(OrderInvalid, match=problem):
        check_order(make(**change), NOW)


def test_check_order_refuses_a_past_deadline() -> None:
    with pytest.raises(OrderInvalid, match="fill deadline"):
        check_order(make(), NOW + 600)


def test_a_local_order_needs_no_oracle() -> None:
    local = make(oracle=NATIVE, destination_chain_id=1,
                 outputs=[Output(token=OTHER, amount=99, recipient=OTHER, chain_id=1)])
    assert local.is_local
    check_order(local, NOW)


def test_committee_is_sorted_and_distinct() -> None:
    a, b = sorted((Account.create().address for _ in range(2)), key=lambda x: int(x, 16))
    assert sorted_members([b, a]) == [a, b]
    with pytest.raises(InvalidInput):
        sorted_members([a, a])
    with pytest.raises(InvalidInput):
        sorted_members([])


def test_origin_data_in_another_encoding_is_refused() -> None:
    """One order, one id: bytes that decode to an order but are not its canonical encoding
    (the settler refuses them too, "intents: non-canonical order")."""
    order = make()
    assert Order.from_origin_data(order.origin_data) == order
    for bad in (order.origin_data + bytes(32), order.origin_data + b"\x00",
                (64).to_bytes(32, "big") + bytes(32) + order.origin_data[32:]):
        with pytest.raises(InvalidInput, match="not its canonical encoding"):
            Order.from_origin_data(bad)


def test_skip_reasons_are_the_settlers() -> None:
    from charter.intents import SkipReason

    assert [r.value for r in SkipReason] == [1, 2, 3, 4, 5, 6]
    assert [r.name for r in SkipReason if r.closed] == ["SETTLED", "REFUNDED"]

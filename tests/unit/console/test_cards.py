"""Agent cards as the console reads them (charter.console.cards): data: URIs decode locally, other
schemes are not fetched, http(s) is capped and marked unverified."""

from __future__ import annotations

import json
import socket
from base64 import b64encode
from urllib.parse import quote

from charter.console.cards import fetch_card

CARD = {"name": "Trader", "description": "Buys  and\nsells."}


def test_a_base64_data_card_is_read_and_verified() -> None:
    card = fetch_card("data:application/json;base64," + b64encode(json.dumps(CARD).encode()).decode())
    assert (card.name, card.description, card.source, card.verified, card.error) == (
        "Trader", "Buys and sells.", "data", True, None)


def test_a_percent_encoded_data_card_is_read() -> None:
    card = fetch_card("data:application/json," + quote(json.dumps(CARD)))
    assert card.name == "Trader" and card.verified


def test_what_is_not_a_card_says_why() -> None:
    assert fetch_card("data:application/json,not json").error == "the card is not JSON"
    assert fetch_card("data:application/json,[1]").error == "the card is not a JSON object"
    assert fetch_card("data:nocomma").error is not None
    assert fetch_card("data:," + "x" * 70_000).error == "the card is larger than 64 KB"
    assert fetch_card("").error == "no URI"
    ipfs = fetch_card("ipfs://bafy/agent.json")
    assert (ipfs.source, ipfs.name, ipfs.error) == ("none", None, "ipfs: URIs are not fetched")


def test_an_unreachable_server_is_said_quickly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    card = fetch_card(f"http://127.0.0.1:{port}/card.json", timeout=1)
    assert card.source == "http" and not card.verified and card.error is not None
    assert card.error.startswith("not reachable")

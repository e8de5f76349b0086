"""The console's HTTP guards, without chains: who may read the pages and who may press the buttons.

The data source is a stand-in (empty); what is under test is the server: the Host check (DNS
rebinding), the same-origin, JSON and page-token checks on every POST, the development-mode switch
and the headers that keep the pages out of frames and inline scripts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from charter.console.server import TOKEN_HEADER, Console, ConsoleConfig, create_app

PRINCIPAL = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


class EmptyIndex:
    def refresh(self) -> bool:
        return False

    def agents(self) -> list[Any]:
        return []

    def accounts(self) -> list[Any]:
        return []

    def grants(self, **_: Any) -> list[Any]:
        return []

    def grant(self, chain_id: int, grant_hash: str) -> None:
        return None

    def intents(self) -> list[Any]:
        return []

    def totals(self) -> dict[str, list[Any]]:
        return {"accounts": [], "agents": []}


@pytest.fixture
def console() -> Console:
    config = ConsoleConfig(principal=PRINCIPAL, chains=[(31337, "http://127.0.0.1:1")], db=":memory:")
    return Console(config, index=EmptyIndex(), connect=lambda chain_id, url: object())  # type: ignore[arg-type,return-value]


@pytest.fixture
def client(console: Console) -> TestClient:
    return TestClient(create_app(console), base_url="http://127.0.0.1:8600")


def _post(client: TestClient, path: str, body: Any, **headers: str) -> Any:
    return client.post(path, json=body, headers=headers)


def good(console: Console) -> dict[str, str]:
    return {"Origin": "http://127.0.0.1:8600", TOKEN_HEADER: console.token}


def test_the_server_listens_on_loopback_unless_told_otherwise() -> None:
    assert ConsoleConfig(principal=PRINCIPAL, chains=[]).host == "127.0.0.1"


def test_pages_carry_the_token_and_forbid_frames_and_inline_scripts(client: TestClient, console: Console) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert f'name="charter-token" content="{console.token}"' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http://127.0.0.1:1" in policy  # the chains' RPCs, for an injected wallet
    assert page.headers["x-frame-options"] == "DENY"
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", page.text)


def test_another_host_name_is_refused(console: Console) -> None:
    """A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) reads nothing."""
    rebound = TestClient(create_app(console), base_url="http://evil.example:8600")
    assert rebound.get("/").status_code == 400
    assert rebound.post("/api/prepare", json={}).status_code == 400


@pytest.mark.parametrize("headers, status, says", [
    ({}, 403, "cross-origin request refused"),
    ({"Origin": "http://evil.example"}, 403, "cross-origin request refused"),
    ({"Origin": "null"}, 403, "cross-origin request refused"),
    ({"Origin": "http://127.0.0.1:8600"}, 403, "page token"),
    ({"Origin": "http://127.0.0.1:8600", TOKEN_HEADER: "stale"}, 403, "page token"),
])
def test_every_post_needs_the_same_origin_and_the_page_token(
    client: TestClient, headers: dict[str, str], status: int, says: str,
) -> None:
    for path in ("/api/prepare", "/api/confirm", "/api/dev", "/api/approve/sign", "/api/approve/refuse",
                 "/api/approve/edit", "/api/approve/issue-prepare", "/api/approve/issue-confirm"):
        answer = _post(client, path, {"action": "pause", "chain_id": 31337, "agent_id": 1}, **headers)
        assert answer.status_code == status, path
        assert says in answer.json()["message"]


def test_a_form_post_is_refused(client: TestClient, console: Console) -> None:
    """A cross-site <form> can only send form encodings: the server takes JSON alone."""
    answer = client.post("/api/dev", data={"action": "pause"}, headers=good(console))
    assert answer.status_code == 415


def test_bad_actions_say_what_is_wrong(client: TestClient, console: Console) -> None:
    cases = [
        ({"action": "drain"}, "action is one of revoke, revoke-all, pause, resume, retire"),
        ({"action": "pause", "chain_id": 1}, "not one of the console's chains"),
        ({"action": "pause", "chain_id": 31337}, "agent_id is a registered agent's id"),
        ({"action": "revoke", "chain_id": 31337, "account": PRINCIPAL, "grant_hash": "0x12"}, "64 hex digits"),
        ({"action": "revoke-all", "chain_id": 31337, "account": "0x12"}, "account"),
    ]
    for body, says in cases:
        answer = _post(client, "/api/prepare", body, **good(console))
        assert answer.status_code == 400 and answer.json()["error"] == "InvalidInput", body
        assert says in answer.json()["message"], answer.json()


def test_development_mode_is_off_unless_a_key_is_given(client: TestClient, console: Console) -> None:
    answer = _post(client, "/api/dev", {"action": "pause", "chain_id": 31337, "agent_id": 1}, **good(console))
    assert answer.status_code == 400 and "development mode is off" in answer.json()["message"]


def test_a_development_key_must_be_the_principal() -> None:
    from charter import LocalSigner
    from charter.exceptions import InvalidInput

    other = LocalSigner.from_key("0x" + "11" * 32)
    config = ConsoleConfig(principal=PRINCIPAL, chains=[], dev_key=other)
    with pytest.raises(InvalidInput, match="not the principal"):
        Console(config, index=EmptyIndex())


def test_approval_pages_read_only_this_machine(client: TestClient) -> None:
    page = client.get("/approve", params={"request": "http://203.0.113.7/grant-requests/abcd"})
    assert page.status_code == 200 and "not a grant request URL on this machine" in page.text


def test_approval_answers_read_only_this_machine(client: TestClient, console: Console) -> None:
    """Editing, signing and issuing all reload the request first: only from a loopback URL."""
    foreign = "http://203.0.113.7/grant-requests/abcd"
    for path, body in (("/api/approve/edit", {"edits": {"max_calls": "1"}}),
                       ("/api/approve/sign", {"signature": "0x" + "11" * 65}),
                       ("/api/approve/issue-prepare", {"from": PRINCIPAL}),
                       ("/api/approve/issue-confirm", {"tx_hash": "0x" + "22" * 32})):
        answer = _post(client, path, {"request": foreign, **body}, **good(console))
        assert answer.status_code == 400 and "not a grant request URL on this machine" in answer.json()["message"]

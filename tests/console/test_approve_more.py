"""The approval page's other answers, end to end (the world, wallet and helpers of test_console_e2e):
Alice issues her agent's requested grant on chain with her wallet (the agent then pays under it, no
signature needed), and edits a requested cap down before signing (the agent gets the lower cap: a
call above it is refused)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from charter.exceptions import OverBudget

from .browser import Page
from .test_console_e2e import World, _pay, _request, _shot, _wallet, world  # noqa: F401 - the fixture


def _open(page: Page, world: World, url: str | None) -> None:  # noqa: F811
    _wallet(page, world)
    page.goto(f"{world.url}/approve?request={quote(str(url), safe='')}")
    page.wait_for("h1", text="asks for a grant")


def test_issue_on_chain_with_the_wallet(world: World, page: Page) -> None:  # noqa: F811
    requester, approvals = _request(world, cap=300)
    try:
        _open(page, world, requester.url)
        page.click("#approve-issue")
        notice = page.wait_for("#notice.ok", text="issued on chain", timeout=20)
        assert "in force for the agent" in notice
        assert requester.wait(10) == "approved" and requester.signed is not None
    finally:
        approvals.stop()
    signed = requester.signed
    assert signed.grant == requester.grant and not signed.signature  # the grant requested, issued: no signature
    sent = page.wallet_requests("eth_sendTransaction")
    assert len(sent) == 1 and sent[0].done and requester.issued_tx == sent[0].result
    assert sent[0].params[0]["to"] == world.alice.address  # the owner's account.execute(SessionManager, issue)
    assert page.text("#request-status") == "approved"
    assert world.charter().sessions.state(signed).status.name == "ACTIVE"
    before = world.token.functions.balanceOf(world.bob).call()
    _pay(world, signed, 40)  # the agent pays under the issued grant
    assert world.token.functions.balanceOf(world.bob).call() == before + 40
    page.assert_no_errors()


def test_edit_a_cap_down_then_sign(world: World, page: Page) -> None:  # noqa: F811
    requester, approvals = _request(world, cap=300)
    try:
        _open(page, world, requester.url)
        page.click("#edit summary")
        page.fill(f'input[data-edit="cap"][data-token="{world.token.address}"]', "100")
        page.click("#approve-preview")
        edited = page.wait_for("#edited", text="Edited down")
        assert "at most 100" in edited and requester.record["grant_hash"] in edited
        assert "100" in page.text("ul.scope")
        _shot(page, "approve-edited")
        page.click("#approve-sign")
        page.wait_for("#notice.ok", text="(edited down) signed", timeout=20)
        assert requester.wait(10) == "approved" and requester.signed is not None
    finally:
        approvals.stop()
    signed = requester.signed
    assert "0x" + signed.hash.hex() != requester.record["grant_hash"]
    assert requester.record["approved"]["grant_hash"] == "0x" + signed.hash.hex()
    budget = signed.grant.budget_of(world.token.address)
    assert budget is not None and budget.cap == 100
    with pytest.raises(OverBudget):
        _pay(world, signed, 150)  # within the requested 300, above the 100 signed
    _pay(world, signed, 100)
    page.assert_no_errors()

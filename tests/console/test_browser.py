"""The browser harness itself (tests/console/browser.py), on two real anvils and a tiny page.

The page is served by Starlette on 127.0.0.1 with a Content-Security-Policy like the console's
(scripts from the page's own origin only, no connection to the anvils): it asks the wallet for
the account and the chain, signs typed data, sends a transaction and switches chains, and shows
the result or the wallet's error of each. A refused signature or transaction shows the 4001
error and leaves both chains as they were.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from web3 import Web3

from charter.devchain import DEV_KEYS, LocalChain, local_anvils

from .browser import USER_REJECTED, Page, read_png

CHAIN_A, CHAIN_B = 31337, 31338
HOLDER = Account.from_key(DEV_KEYS[0]).address
RECIPIENT = Account.from_key(DEV_KEYS[1]).address
AMOUNT = 42  # wei, per transaction

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/page.css">
  <title>Wallet check</title>
  <script src="/page.js" defer></script>
</head>
<body data-recipient="{recipient}" data-other-chain="{other}">
  <h1>Charter wallet check</h1>
  <p>
    <button id="connect">Connect</button> <button id="sign">Sign typed data</button>
    <button id="send">Send {amount} wei</button> <button id="switch">Switch to chain {other}</button>
  </p>
  <dl>
    <dt>Account</dt><dd id="account">-</dd>
    <dt>Chain</dt><dd id="chain">-</dd>
    <dt>Signature</dt><dd id="signature">-</dd>
    <dt>Transaction</dt><dd id="tx">-</dd>
    <dt>Error</dt><dd id="error">-</dd>
  </dl>
</body>
</html>
"""

SCRIPT = """
const $ = (id) => document.getElementById(id);
const show = (id, text) => { $(id).textContent = text; };
const action = (work) => async () => {
  show("error", "-");
  try { await work(); } catch (error) { show("error", `${error.code}: ${error.message}`); }
};
let account = null;
ethereum.on("chainChanged", (chainId) => show("chain", String(Number(chainId))));
$("connect").addEventListener("click", action(async () => {
  [account] = await ethereum.request({method: "eth_requestAccounts"});
  show("account", account);
  show("chain", String(Number(await ethereum.request({method: "eth_chainId"}))));
}));
$("sign").addEventListener("click", action(async () => {
  const chainId = Number(await ethereum.request({method: "eth_chainId"}));
  const typed = {
    types: {
      EIP712Domain: [{name: "name", type: "string"}, {name: "chainId", type: "uint256"}],
      Check: [{name: "holder", type: "address"}, {name: "note", type: "string"}],
    },
    primaryType: "Check",
    domain: {name: "Charter wallet check", chainId},
    message: {holder: account, note: "signed in a headless browser"},
  };
  show("signature", await ethereum.request({method: "eth_signTypedData_v4", params: [account, JSON.stringify(typed)]}));
}));
$("send").addEventListener("click", action(async () => {
  const value = "0x" + (AMOUNT).toString(16);
  show("tx", await ethereum.request({
    method: "eth_sendTransaction",
    params: [{from: account, to: document.body.dataset.recipient, value}],
  }));
}));
$("switch").addEventListener("click", action(async () => {
  const chainId = "0x" + Number(document.body.dataset.otherChain).toString(16);
  await ethereum.request({method: "wallet_switchEthereumChain", params: [{chainId}]});
}));
""".replace("AMOUNT", str(AMOUNT))

STYLE = "body { font-family: sans-serif; margin: 2rem; } h1 { font-size: 2.5rem; } dd { font-family: monospace; }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Site:
    url: str
    chains: dict[int, LocalChain]

    def w3(self, chain: int) -> Web3:
        return self.chains[chain].w3


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    import uvicorn

    def page(request: Request) -> Response:
        body = PAGE.format(recipient=RECIPIENT, other=CHAIN_B, amount=AMOUNT)
        return HTMLResponse(body, headers={"Content-Security-Policy": POLICY})

    def script(request: Request) -> Response:
        return Response(SCRIPT, media_type="text/javascript")

    def style(request: Request) -> Response:
        return Response(STYLE, media_type="text/css")

    app = Starlette(routes=[Route("/", page), Route("/page.js", script), Route("/page.css", style)])
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    with local_anvils(CHAIN_A, CHAIN_B) as chains:
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started:
                assert time.monotonic() < deadline, "the test page's server did not start"
                time.sleep(0.02)
            yield Site(f"http://127.0.0.1:{port}/", {chain.chain_id: chain for chain in chains})
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _connect(page: Page, site: Site) -> None:
    page.inject_wallet({chain: site.chains[chain].url for chain in (CHAIN_A, CHAIN_B)}, HOLDER)
    page.goto(site.url)
    page.click("#connect")
    page.wait_for("#account", text=HOLDER)


def test_the_page_connects_signs_sends_and_switches_chains(page: Page, site: Site, tmp_path) -> None:
    _connect(page, site)
    assert page.text("#chain") == str(CHAIN_A)
    assert [request.method for request in page.wallet_requests()] == ["eth_requestAccounts", "eth_chainId"]

    # Typed data, signed by anvil for the dev account: the signature recovers it.
    page.click("#sign")
    signature = page.wait_for("#signature", text="0x")
    (request,) = page.wallet_requests("eth_signTypedData_v4")
    assert request.params[0] == HOLDER and request.result == signature
    typed = json.loads(request.params[1])
    assert typed["domain"]["chainId"] == CHAIN_A
    assert Account.recover_message(encode_typed_data(full_message=typed), signature=signature) == HOLDER

    # A transaction, mined on chain A.
    w3a, w3b = site.w3(CHAIN_A), site.w3(CHAIN_B)
    before = w3a.eth.get_balance(RECIPIENT)
    page.click("#send")
    sent = page.wait_for("#tx", text="0x")
    receipt = w3a.eth.get_transaction_receipt(sent)
    assert receipt["status"] == 1 and receipt["from"] == HOLDER and receipt["to"] == RECIPIENT
    assert w3a.eth.get_balance(RECIPIENT) == before + AMOUNT

    # Switching chains: the page hears chainChanged; the wallet keeps the chain and the connection
    # across a reload, and the next transaction goes to chain B.
    page.click("#switch")
    page.wait_for("#chain", text=str(CHAIN_B))
    assert page.wallet_chain == CHAIN_B
    page.reload()
    assert page.evaluate("window.ethereum.chainId") == hex(CHAIN_B)
    assert page.evaluate("window.ethereum.request({method: 'eth_accounts'})") == [HOLDER]
    page.click("#connect")
    page.wait_for("#chain", text=str(CHAIN_B))
    nonce_a = w3a.eth.get_transaction_count(HOLDER)
    page.click("#send")
    sent_b = page.wait_for("#tx", text="0x")
    assert sent_b != sent
    assert w3b.eth.get_transaction_receipt(sent_b)["status"] == 1
    assert w3a.eth.get_transaction_count(HOLDER) == nonce_a

    # A screenshot of the whole page: a PNG of the viewport's width, with text drawn in it.
    shot = page.screenshot(tmp_path / "wallet-check.png")
    width, height, rows = read_png(shot)
    assert (width, height) == (1280, 800)
    heading = rows[20:140]  # the h1, dark on white
    dark = sum(1 for row in heading for x in range(0, len(row), 4) if row[x] < 96)
    assert dark > 2_000, f"only {dark} dark pixels where the heading is: was any text drawn?"
    assert len({row[x : x + 3] for row in heading for x in range(0, len(row), 4)}) > 10  # anti-aliased glyphs
    page.assert_no_errors()


def test_a_refusal_in_the_wallet_changes_nothing_and_says_so(page: Page, site: Site) -> None:
    _connect(page, site)
    w3a, w3b = site.w3(CHAIN_A), site.w3(CHAIN_B)
    chains_before = [(w3.eth.block_number, w3.eth.get_transaction_count(HOLDER)) for w3 in (w3a, w3b)]

    page.wallet_refuses(True)
    page.click("#send")
    assert page.wait_for("#error", text="4001") == "4001: User rejected the request."
    assert page.text("#tx") == "-"
    page.click("#sign")
    page.wait_for("#error", text="4001")
    assert page.text("#signature") == "-"
    refused = page.wallet_requests("eth_sendTransaction") + page.wallet_requests("eth_signTypedData_v4")
    assert [request.error for request in refused] == [USER_REJECTED, USER_REJECTED]
    assert all(request.result is None for request in refused)
    assert [(w3.eth.block_number, w3.eth.get_transaction_count(HOLDER)) for w3 in (w3a, w3b)] == chains_before

    # Approving again: the same button sends.
    page.wallet_refuses(False)
    page.click("#send")
    sent = page.wait_for("#tx", text="0x")
    assert page.text("#error") == "-"
    assert w3a.eth.get_transaction_receipt(sent)["status"] == 1
    page.assert_no_errors()


def test_the_wallet_answers_as_a_wallet_does(page: Page, site: Site) -> None:
    page.inject_wallet({CHAIN_A: site.chains[CHAIN_A].url}, HOLDER)
    page.goto(site.url)
    request = (
        "(args) => window.ethereum.request(args)"
        ".then((r) => ({result: r}), (e) => ({code: e.code, message: e.message}))"
    )

    def ask(method: str, params: list[object] | None = None) -> dict[str, object]:
        args = json.dumps({"method": method, **({"params": params} if params is not None else {})})
        answer: dict[str, object] = page.evaluate(f"({request})({args})")
        return answer

    # Announced over EIP-6963; not connected until asked; reads go to the chain.
    assert page.evaluate(
        "new Promise((found) => {"
        " window.addEventListener('eip6963:announceProvider', (e) => found(e.detail.info.rdns));"
        " window.dispatchEvent(new Event('eip6963:requestProvider')); })"
    ) == "dev.charter.test-wallet"
    assert ask("eth_accounts") == {"result": []}
    assert ask("eth_blockNumber") == {"result": hex(site.w3(CHAIN_A).eth.block_number)}
    assert ask("personal_sign", ["0x68656c6c6f", HOLDER])["code"] == 4100  # not connected
    page.wallet_refuses(True, connect=True)
    assert ask("eth_requestAccounts") == {"code": 4001, "message": "User rejected the request."}
    page.wallet_refuses(False)
    assert ask("eth_requestAccounts") == {"result": [HOLDER]}
    signed = ask("personal_sign", ["0x68656c6c6f", HOLDER])["result"]
    assert Account.recover_message(encode_defunct(b"hello"), signature=signed) == HOLDER
    # Only its own account, only its chains; the chain's own errors come back as they are.
    assert ask("eth_sendTransaction", [{"from": RECIPIENT, "to": HOLDER, "value": "0x1"}])["code"] == 4100
    assert ask("wallet_switchEthereumChain", [{"chainId": hex(CHAIN_B)}])["code"] == 4902
    assert ask("eth_nosuchmethod")["code"] == -32601
    methods = [request.method for request in page.wallet_requests()]
    assert methods[:3] == ["eth_accounts", "eth_blockNumber", "personal_sign"] and len(methods) == 9
    page.assert_no_errors()

"""Paying x402 APIs from a hot wallet topped up under a grant (charter.agents.paid).

Everything here is real: the anvil chain of ``conftest.py`` with the Charter
suite and the EIP-3009 USDC stand-in, a stock x402 facilitator
(``x402FacilitatorSync`` with the package's EVM ``exact`` scheme and its web3
signer, submitting to anvil) behind the facilitator HTTP API, and a stock x402
resource server (the package's FastAPI/Starlette ``PaymentMiddlewareASGI`` with
an ``HTTPFacilitatorClient``), each served by uvicorn on a free 127.0.0.1 port.

The top-up grant allows only ``transfer(to == hot wallet)`` on the token, with a
token budget of 5 USDC a day; the resource costs 2 USDC. Each test makes its own
session key, hot wallet and grant (fresh budgets).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from eth_account import Account
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from web3.logs import DISCARD
from x402 import x402FacilitatorSync, x402ResourceServer
from x402.http import FacilitatorConfig, HTTPFacilitatorClient, PaymentOption
from x402.http.middleware.fastapi import PaymentMiddlewareASGI
from x402.http.types import RouteConfig
from x402.mechanisms.evm import FacilitatorWeb3Signer
from x402.mechanisms.evm.exact import ExactEvmServerScheme, register_exact_evm_facilitator
from x402.schemas import PaymentRequirements, parse_payment_payload

from charter.agents.paid import PaidAPIs, PaidSettings
from charter.devchain import DEV_KEYS
from charter.exceptions import InvalidInput, OutOfScope, OverBudget, PaymentRefused

from .conftest import CHAIN_ID, USDC, World

PRICE = 2 * USDC
DAILY_CAP = 5 * USDC
NETWORK = f"eip155:{CHAIN_ID}"
SECRET = "the paid report: 42"


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free 127.0.0.1 port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def facilitator_app(world: World) -> FastAPI:
    """The stock x402 facilitator (EVM exact, a dev key paying the gas) behind the facilitator HTTP API."""
    signer = FacilitatorWeb3Signer(private_key=DEV_KEYS[4], rpc_url=world.url)
    facilitator = register_exact_evm_facilitator(x402FacilitatorSync(), signer, networks=NETWORK)
    app = FastAPI()

    @app.get("/supported")
    def supported() -> dict[str, Any]:
        return facilitator.get_supported().model_dump(by_alias=True, exclude_none=True)

    @app.post("/verify")
    def verify(body: dict[str, Any]) -> dict[str, Any]:
        payload = parse_payment_payload(body["paymentPayload"])
        requirements = PaymentRequirements.model_validate(body["paymentRequirements"])
        return facilitator.verify(payload, requirements).model_dump(by_alias=True, exclude_none=True)

    @app.post("/settle")
    def settle(body: dict[str, Any]) -> dict[str, Any]:
        payload = parse_payment_payload(body["paymentPayload"])
        requirements = PaymentRequirements.model_validate(body["paymentRequirements"])
        return facilitator.settle(payload, requirements).model_dump(by_alias=True, exclude_none=True)

    return app


@dataclass
class Shop:
    url: str
    merchant: str
    served: list[str] = field(default_factory=list)


def resource_app(world: World, facilitator_url: str, shop: Shop) -> FastAPI:
    """A stock x402 resource server: ``/report`` costs 2 USDC (EIP-3009, USDC's domain), ``/free`` is free,
    ``/wrong-domain`` asks for a signature over another EIP-712 domain (so its facilitator refuses it)."""
    # The x402 client signs validBefore = wall clock + maxTimeoutSeconds and the token checks it against
    # the chain's clock: cover any time other tests moved the shared chain ahead by.
    ahead = max(0, int(world.w3.eth.get_block("latest")["timestamp"]) - int(time.time()))
    token = world.token.address

    def option(version: str) -> PaymentOption:
        return PaymentOption(
            scheme="exact", network=NETWORK, pay_to=shop.merchant, max_timeout_seconds=300 + ahead,
            price={"amount": str(PRICE), "asset": token, "extra": {"name": "USD Coin", "version": version}},
        )

    server = x402ResourceServer(HTTPFacilitatorClient(FacilitatorConfig(url=facilitator_url)))
    server.register(NETWORK, ExactEvmServerScheme())
    routes = {
        "GET /report": RouteConfig(accepts=option("2"), description="a paid report"),
        "GET /wrong-domain": RouteConfig(accepts=option("1")),
    }
    app = FastAPI()
    app.add_middleware(PaymentMiddlewareASGI, routes=routes, server=server)

    @app.get("/report")
    def report() -> PlainTextResponse:
        shop.served.append("report")
        return PlainTextResponse(SECRET)

    @app.get("/wrong-domain")
    def wrong_domain() -> PlainTextResponse:
        shop.served.append("wrong-domain")
        return PlainTextResponse(SECRET)

    @app.get("/free")
    def free() -> PlainTextResponse:
        return PlainTextResponse("free for all")

    return app


@pytest.fixture(scope="module")
def shop(world: World) -> Iterator[Shop]:
    with serve(facilitator_app(world)) as facilitator_url:
        shop = Shop(url="", merchant=Account.create().address)
        with serve(resource_app(world, facilitator_url, shop)) as url:
            shop.url = url
            yield shop


def paid_apis(world: World, *, wallet_key: str | None = None) -> tuple[PaidAPIs, str]:
    """PaidAPIs with a fresh session key and hot wallet, under a fresh grant: transfers of the token to
    that hot wallet only, at most 5 USDC a day. With `wallet_key`, the PaidAPIs pays from (and tops up)
    that other wallet under the same grant. Returns it and the grant's hot wallet."""
    key = world.session_key()
    hot = Account.create()
    token = world.token.address
    grant = world.grant(
        key, lambda b: b.allow_transfer(token, to=hot.address).token_budget(token, DAILY_CAP, per=86_400)
    )
    settings = PaidSettings(
        chain_id=CHAIN_ID, token=token, wallet_key=wallet_key or "0x" + bytes(hot.key).hex(), top_up=PRICE, grant=grant
    )
    return PaidAPIs(world.charter().sessions, settings, key, timeout=20), hot.address


def balances(world: World, *who: str) -> list[int]:
    return [world.balance(a) for a in who]


def test_resource_is_not_served_unpaid(world: World, shop: Shop) -> None:
    answer = requests.get(f"{shop.url}/report", timeout=10)
    assert answer.status_code == 402
    assert "PAYMENT-REQUIRED" in answer.headers
    assert SECRET not in answer.text
    assert shop.served == []

    paid, _ = paid_apis(world)
    free = paid.fetch(f"{shop.url}/free")
    assert (free.status, free.body, free.paid, free.top_up) == (200, "free for all", None, None)


def test_paid_request_within_cap_is_settled_on_chain(world: World, shop: Shop) -> None:
    paid, hot = paid_apis(world)
    assert paid.wallet == hot and paid.balance() == 0
    alice, merchant = balances(world, world.alice.address, shop.merchant)
    served = len(shop.served)

    result = paid.fetch(f"{shop.url}/report", max_price=PRICE)

    assert result.ok and result.status == 200 and result.body == SECRET and not result.truncated
    assert len(shop.served) == served + 1
    assert result.paid is not None and result.top_up is not None
    assert (result.paid.price, result.paid.payer, result.paid.pay_to) == (PRICE, hot, shop.merchant)
    assert result.paid.network == f"eip155:{CHAIN_ID}"
    # the top-up came from alice's account, sent by the session key under the grant
    top_up = world.w3.eth.get_transaction_receipt(result.top_up.tx_hash)
    assert top_up["status"] == 1 and top_up["from"] == paid.session_key.address
    assert result.top_up.grant_hash == "0x" + paid.settings.grant.hash.hex()
    # the settlement moved the price from the hot wallet to the merchant, on chain
    assert result.paid.transaction is not None
    settlement = world.w3.eth.get_transaction_receipt(result.paid.transaction)
    assert settlement["status"] == 1 and settlement["to"] == world.token.address
    moved = world.token.events.Transfer().process_receipt(settlement, errors=DISCARD)  # AuthorizationUsed too
    assert [(e.args.sender, e.args.receiver, e.args.value) for e in moved] == [(hot, shop.merchant, PRICE)]
    assert balances(world, world.alice.address, shop.merchant, hot) == [alice - PRICE, merchant + PRICE, 0]


def test_request_past_the_daily_cap_is_refused_by_the_chain(world: World, shop: Shop) -> None:
    paid, hot = paid_apis(world)
    alice, merchant = balances(world, world.alice.address, shop.merchant)
    url = f"{shop.url}/report"
    assert paid.fetch(url).paid is not None
    assert paid.fetch(url).paid is not None  # 4 of the 5 USDC for today
    served, block = len(shop.served), world.w3.eth.block_number

    with pytest.raises(OverBudget) as refused:
        paid.fetch(url)

    assert refused.value.budget is not None and refused.value.budget.lower() == world.token.address.lower()
    assert refused.value.left == DAILY_CAP - 2 * PRICE
    assert world.w3.eth.block_number == block  # refused in simulation: nothing was sent
    assert len(shop.served) == served  # not served, not paid
    assert balances(world, world.alice.address, shop.merchant, hot) == [alice - 2 * PRICE, merchant + 2 * PRICE, 0]


def test_price_above_max_price_is_refused_before_anything_moves(world: World, shop: Shop) -> None:
    paid, hot = paid_apis(world)
    before = balances(world, world.alice.address, shop.merchant, hot)
    served, block = len(shop.served), world.w3.eth.block_number

    with pytest.raises(PaymentRefused) as refused:
        paid.fetch(f"{shop.url}/report", max_price=PRICE - 1)

    assert refused.value.price == PRICE and refused.value.top_up is None
    assert "above the maximum" in str(refused.value)
    assert world.w3.eth.block_number == block
    assert balances(world, world.alice.address, shop.merchant, hot) == before
    assert len(shop.served) == served


def test_grant_cannot_top_up_another_wallet(world: World, shop: Shop) -> None:
    other = Account.create()
    paid, hot = paid_apis(world, wallet_key="0x" + bytes(other.key).hex())
    assert paid.wallet == other.address != hot
    before = balances(world, world.alice.address, shop.merchant, hot, other.address)
    served, block = len(shop.served), world.w3.eth.block_number

    with pytest.raises(OutOfScope):
        paid.fetch(f"{shop.url}/report")
    with pytest.raises(OutOfScope):
        paid.top_up(PRICE)

    assert world.w3.eth.block_number == block
    assert balances(world, world.alice.address, shop.merchant, hot, other.address) == before
    assert len(shop.served) == served


def test_payment_the_server_refuses_is_payment_refused(world: World, shop: Shop) -> None:
    paid, hot = paid_apis(world)
    alice, merchant = balances(world, world.alice.address, shop.merchant)
    served = len(shop.served)

    with pytest.raises(PaymentRefused) as refused:
        paid.fetch(f"{shop.url}/wrong-domain")

    assert refused.value.top_up is not None  # the top-up happened; the payment did not
    assert "answered 402 again" in str(refused.value)
    assert len(shop.served) == served
    assert balances(world, world.alice.address, shop.merchant, hot) == [alice - PRICE, merchant, PRICE]


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_token_checks_authorizations(world: World) -> None:
    """The USDC stand-in's EIP-3009: signed by the holder over USDC's domain, once per nonce, in its window,
    low-s only."""
    holder, stranger = Account.create(), Account.create()
    world.send(world.deployer, world.token.functions.mint(holder.address, PRICE))
    now = int(world.w3.eth.get_block("latest")["timestamp"])
    message = {"from": holder.address, "to": world.bob.address, "value": PRICE, "validAfter": 0,
               "validBefore": now + 600, "nonce": b"\x01" * 32}

    def signed(by: Any = holder, **changes: Any) -> tuple[Any, ...]:
        data = {**message, **changes}
        sig = by.sign_typed_data(
            {"name": "USD Coin", "version": "2", "chainId": CHAIN_ID, "verifyingContract": world.token.address},
            {"TransferWithAuthorization": [
                {"name": "from", "type": "address"}, {"name": "to", "type": "address"},
                {"name": "value", "type": "uint256"}, {"name": "validAfter", "type": "uint256"},
                {"name": "validBefore", "type": "uint256"}, {"name": "nonce", "type": "bytes32"}]},
            data,
        )
        return (data["from"], data["to"], data["value"], data["validAfter"], data["validBefore"], data["nonce"],
                sig.v, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big"))

    def refused(args: tuple[Any, ...], reason: str) -> None:
        with pytest.raises(Exception, match=reason):
            world.token.functions.transferWithAuthorization(*args).call({"from": world.deployer.address})

    good = signed()
    *fields, v, r, s = good
    high_s = (*fields, 55 - v, r, (SECP256K1_N - int.from_bytes(s, "big")).to_bytes(32, "big"))
    refused(high_s, "invalid signature 's' value")
    refused(signed(stranger), "FiatTokenV2: invalid signature")
    refused(signed(validBefore=now - 1), "authorization is expired")
    refused(signed(validAfter=now + 600, validBefore=now + 1200), "authorization is not yet valid")
    refused(signed(value=PRICE + 1), "transfer amount exceeds balance")

    world.send(world.deployer, world.token.functions.transferWithAuthorization(*good))
    assert world.token.functions.authorizationState(holder.address, b"\x01" * 32).call()
    assert world.balance(holder.address) == 0
    refused(good, "authorization is used")


def test_settings_refuse_a_hot_wallet_with_code_and_hide_its_key(world: World) -> None:
    key = world.session_key(eth=0)
    grant = world.grant(key, lambda b: b.allow_transfer(world.token.address, to=world.alice.address))
    alice_key = "0x" + bytes(world.alice.account.key).hex()  # alice's EOA is a Charter account (EIP-7702)
    settings = PaidSettings(chain_id=CHAIN_ID, token=world.token.address, wallet_key=alice_key, top_up=PRICE,
                            grant=grant)
    assert alice_key[2:] not in repr(settings)
    with pytest.raises(InvalidInput, match="has code"):
        PaidAPIs(world.charter().sessions, settings, key)
    with pytest.raises(InvalidInput, match="not a 32-byte hex private key") as bad:
        PaidSettings(chain_id=CHAIN_ID, token=world.token.address, wallet_key="0x1234", top_up=PRICE, grant=grant)
    assert "1234" not in str(bad.value)


def test_charter_fetch_paid_tool_pays_within_the_cap_and_says_so_past_it(world: World, shop: Shop,
                                                                          tmp_path: Path) -> None:
    """The MCP tool (in-process server): two paid fetches within the 5 USDC daily cap, the third refused
    with OverBudget from the top-up, as a typed tool error; nothing served for it."""
    import anyio
    from mcp import Client

    from charter.agents import AgentService, load_agent_config
    from charter.agents.config import ChainSettings, PaidConfig, render_agent_config
    from charter.agents.server import build_server, paid_from_config
    from charter.sessions.describe import save_grant

    key = world.session_key()
    hot = Account.create()
    token = world.token.address
    grant = world.grant(key, lambda b: b.allow_transfer(token, to=hot.address).token_budget(token, DAILY_CAP,
                                                                                             per=86_400))
    save_grant(str(tmp_path / "payer.json"), grant, ["transfer(address to,uint256 amount)"])
    config = tmp_path / "mcp.toml"
    config.write_text(render_agent_config(
        world.agent_id, [ChainSettings(CHAIN_ID, world.url)], grants=["payer.json"], approvals="off",
        paid=PaidConfig(CHAIN_ID, token, "TEST_PAYER_KEY", Path("payer.json"), PRICE)))
    os.environ["TEST_PAYER_KEY"] = "0x" + bytes(hot.key).hex()
    try:
        service = AgentService(load_agent_config(config), key)
        paid = paid_from_config(service)
    finally:
        del os.environ["TEST_PAYER_KEY"]
    served = len(shop.served)
    answers: list[Any] = []

    async def body() -> None:
        async with Client(build_server(service, paid)) as client:
            assert "charter_fetch_paid" in {t.name for t in (await client.list_tools()).tools}
            for _ in range(3):
                answers.append(await client.call_tool("charter_fetch_paid", {"url": f"{shop.url}/report",
                                                                             "max_price": PRICE}))

    anyio.run(body)
    first, second, third = (a.structured_content for a in answers)
    assert not answers[0].is_error and first["ok"] and first["body"] == SECRET
    assert first["paid"]["price"] == PRICE and first["top_up"]["tx_hash"].startswith("0x")
    assert not answers[1].is_error and second["ok"]
    assert answers[2].is_error and third["reason"] == "OverBudget" and SECRET not in json.dumps(third)
    assert len(shop.served) == served + 2
    assert world.balance(hot.address) == 0

"""Paying x402-protected HTTP resources from a hot wallet that a session tops up under a grant.

    paid = PaidAPIs(charter.sessions, PaidSettings(chain_id, usdc, wallet_key, top_up=2_000_000, grant=signed),
                    session_key)
    result = paid.fetch("https://api.example.org/report", max_price=1_000_000)

The payer is the agent's own hot wallet (an EOA). A payment is a stock x402
``exact`` payment: the x402 client signs an EIP-3009 ``transferWithAuthorization``
from the hot wallet with the hot wallet's key, and the resource's facilitator
submits it. The hot wallet is filled from the principal's Charter account by the
session key, under a grant that allows only ``transfer(to == hot wallet)`` on the
token with a token budget (say 5 USDC a day): what the agent can lose to paid
APIs is the grant's cap, since the chain refuses a top-up past it. A signed
authorization can pull only from the hot wallet, never from the account.

The hot wallet must be a plain EOA: x402 verifies a payer that has code (a
contract, or an EIP-7702 account such as a Charter account) by ERC-1271 only.

The x402 protocol's own pieces are used as they are: the 402 answer is parsed
by the x402 package (the v2 ``PAYMENT-REQUIRED`` header; a v1 answer is
refused), the payment is made by ``x402ClientSync`` with the package's EVM
``exact`` client scheme, and the settlement is read from the ``PAYMENT-RESPONSE``
header.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from x402 import x402ClientSync
from x402.http import x402HTTPClientSync
from x402.mechanisms.evm.exact import ExactEvmClientScheme
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.schemas import PaymentError, PaymentRequired, PaymentRequirements, SettleResponse

from .._core.checks import check_address
from .._core.revert import translate
from .._core.signers import Signer
from .._core.tx import TxResult
from ..accounts.models import Call
from ..exceptions import CharterError, InvalidInput, PaymentRefused
from ..sessions import Sessions, SignedGrant

__all__ = ["BODY_LIMIT", "PaidAPIs", "PaidResult", "PaidSettings", "Payment"]

BODY_LIMIT = 64 * 1024
"""The most bytes of a resource's body kept in :attr:`PaidResult.body` (the rest is dropped, and said so)."""

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_BALANCE_OF = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


@dataclass(frozen=True)
class PaidSettings:
    """Where and how the agent pays: the chain and token it pays in, its hot wallet's key,
    how much one top-up sends, and the grant that allows the top-ups.

    `wallet_key` is the hot wallet's hex private key; it is never shown (not in ``repr``,
    not in any message). `top_up` is in the token's raw units; a top-up sends at least
    the price being paid."""

    chain_id: int
    token: str
    wallet_key: str = field(repr=False)
    top_up: int
    grant: SignedGrant

    def __post_init__(self) -> None:
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int) or self.chain_id <= 0:
            raise InvalidInput(f"chain_id must be a positive integer, got {self.chain_id!r}")
        object.__setattr__(self, "token", check_address(self.token, "payment token"))
        if isinstance(self.top_up, bool) or not isinstance(self.top_up, int) or not 0 < self.top_up < 2**256:
            raise InvalidInput(f"top_up is a positive amount in the token's raw units, got {self.top_up!r}")
        if self.grant.chain_id != self.chain_id:
            raise InvalidInput(
                f"the top-up grant is for chain {self.grant.chain_id}, but payments are on chain {self.chain_id}; "
                "use a grant made on the chain the payments are made on"
            )
        _account(self.wallet_key)  # refuses a malformed key, without showing it


@dataclass(frozen=True)
class Payment:
    """A settled x402 payment: `price` raw units of `token` from `payer` (the hot wallet)
    to `pay_to` on `network`; `transaction` is the settlement's hash when the server's
    ``PAYMENT-RESPONSE`` header gives one."""

    price: int
    token: ChecksumAddress
    network: str
    payer: ChecksumAddress
    pay_to: ChecksumAddress
    transaction: str | None


@dataclass(frozen=True)
class PaidResult:
    """A resource's answer. `paid` is the payment made for it: None when the resource was
    free, or when the paid request was answered neither 2xx nor with a settled
    ``PAYMENT-RESPONSE`` (the stock x402 server settles only what it serves with 2xx).
    `top_up` is the top-up this fetch made (None when the hot wallet already held the price).
    `body` is the text of at most :data:`BODY_LIMIT` bytes of the body: `truncated` says
    whether more was dropped."""

    url: str
    status: int
    content_type: str | None
    body: str
    truncated: bool
    paid: Payment | None = None
    top_up: TxResult | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class PaidAPIs:
    """Fetches x402-protected resources, paying from the hot wallet and topping it up
    through `session_key` under the settings' grant when it holds less than the price."""

    def __init__(self, sessions: Sessions, settings: PaidSettings, session_key: Signer, *, timeout: float = 30) -> None:
        if sessions.chain_id != settings.chain_id:
            raise InvalidInput(
                f"the SessionManager client is on chain {sessions.chain_id}, but payments are on chain "
                f"{settings.chain_id}; connect to the payment chain's node"
            )
        if not timeout > 0:
            raise InvalidInput(f"timeout is a positive number of seconds, got {timeout!r}")
        self.sessions = sessions
        self.settings = settings
        self.session_key = session_key
        self.timeout = float(timeout)
        self.network = f"eip155:{settings.chain_id}"
        account = _account(settings.wallet_key)
        self._wallet = Web3.to_checksum_address(account.address)
        with translate(sessions.w3):
            code = sessions.w3.eth.get_code(self._wallet)
        if len(code) > 0:
            raise InvalidInput(
                f"the hot wallet {self._wallet} has code (a contract, or an EIP-7702 account): x402 verifies such "
                "a payer by ERC-1271 only, and its payments would be refused; use a fresh EOA key for the hot wallet"
            )
        self._x402 = x402ClientSync()
        self._x402.register(self.network, ExactEvmClientScheme(EthAccountSigner(account)))
        self._http = x402HTTPClientSync(self._x402)
        self._paying = threading.Lock()  # one payment at a time: balance, top-up, signature, paid request
        self._token = sessions.w3.eth.contract(address=Web3.to_checksum_address(settings.token), abi=_BALANCE_OF)

    def __repr__(self) -> str:
        return f"PaidAPIs(wallet={self._wallet}, token={self.settings.token}, network={self.network})"

    @property
    def wallet(self) -> ChecksumAddress:
        """The hot wallet: the payer of every payment, and the recipient of every top-up."""
        return self._wallet

    def balance(self) -> int:
        """The hot wallet's balance of the payment token, in raw units."""
        with translate(self.sessions.w3):
            return int(self._token.functions.balanceOf(self._wallet).call())

    def top_up(self, amount: int) -> TxResult:
        """Send `amount` of the token from the principal's account to the hot wallet, as the
        session key under the grant. A refusal (past the budget: :class:`OverBudget`; not this
        wallet: :class:`OutOfScope`; expired, revoked, agent paused...) is raised as the SDK
        raises it, before anything is sent."""
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < 2**256:
            raise InvalidInput(f"a top-up is a positive amount in the token's raw units, got {amount!r}")
        call = Call.to(self.settings.token, "transfer(address,uint256)", self._wallet, amount)
        return self.sessions.execute(self.settings.grant, call, key=self.session_key)

    def fetch(
        self,
        url: str,
        method: str = "GET",
        body: str | None = None,
        headers: dict[str, str] | None = None,
        max_price: int | None = None,
    ) -> PaidResult:
        """Request `url`; if it answers 402, pay its x402 price (at most `max_price` raw units
        of the token, when given) and request it again.

        Nothing moves before the price is checked. When the hot wallet holds less than the
        price it is topped up first (``max(top_up, price - balance)``); a refused top-up
        raises as :meth:`top_up` does, and then nothing is paid and the resource is not
        requested again. :class:`PaymentRefused` when the payment cannot or may not be made,
        or the server refuses it."""
        method = _method(method)
        _check_url(url)
        if max_price is not None and (isinstance(max_price, bool) or not isinstance(max_price, int) or max_price < 0):
            raise InvalidInput(f"max_price is a non-negative amount in the token's raw units, got {max_price!r}")
        sent = dict(headers or {})
        first = self._request(method, url, body, sent)
        if first.status_code != 402:
            return _result(url, first)

        required = self._payment_required(url, first)
        chosen, offered = self._choose(required)
        if chosen is None:
            raise PaymentRefused(
                f"{url} asks for payment, but none of its options is one this payer makes (x402 'exact' by "
                f"EIP-3009 on {self.network} in token {self.settings.token}); it offered: "
                f"{'; '.join(offered) or 'nothing'}. Configure the chain and token it asks for, or skip it",
                url=url, offered=offered,
            )
        price = int(chosen.amount)
        pay_to = Web3.to_checksum_address(chosen.pay_to)
        if max_price is not None and price > max_price:
            raise PaymentRefused(
                f"{url} costs {price} raw units of {self.settings.token} (to {pay_to}), above the maximum of "
                f"{max_price} allowed for this fetch; nothing was paid. Raise max_price if it is worth it",
                url=url, price=price, offered=offered,
            )

        with self._paying:
            return self._pay(method, url, body, sent, required, chosen, offered)

    def _pay(
        self,
        method: str,
        url: str,
        body: str | None,
        sent: dict[str, str],
        required: PaymentRequired,
        chosen: PaymentRequirements,
        offered: tuple[str, ...],
    ) -> PaidResult:
        price = int(chosen.amount)
        pay_to = Web3.to_checksum_address(chosen.pay_to)
        top_up: TxResult | None = None
        balance = self.balance()
        if balance < price:
            top_up = self.top_up(max(self.settings.top_up, price - balance))
            balance = self.balance()
            if balance < price:
                raise PaymentRefused(
                    f"the hot wallet {self._wallet} holds {balance} after a top-up, less than the price {price} "
                    f"of {url}; nothing was paid. Check the token's balance on chain",
                    url=url, price=price, offered=offered, top_up=top_up,
                )

        payment_headers = self._sign(url, required, chosen, price, offered, top_up)
        paid = self._request(method, url, body, {**sent, **payment_headers})
        settled = self._settlement(paid)
        if paid.status_code == 402:
            paid.close()
            why = _refusal(paid, settled, self._http)
            raise PaymentRefused(
                f"{url} refused the payment of {price} raw units to {pay_to} and answered 402 again ({why}): "
                "it did not settle it, so nothing left the hot wallet"
                + (" (the top-up stays there for the next payment)" if top_up is not None else "")
                + f"; the signed authorization, for that price at most, lapses within {chosen.max_timeout_seconds} s. "
                "Look at the server's reason before retrying",
                url=url, price=price, offered=offered, top_up=top_up,
            )
        payment = None
        if 200 <= paid.status_code < 300 or (settled is not None and settled.success):
            payment = Payment(
                price=price,
                token=Web3.to_checksum_address(self.settings.token),
                network=self.network,
                payer=self._wallet,
                pay_to=pay_to,
                transaction=(settled.transaction or None) if settled is not None and settled.success else None,
            )
        return _result(url, paid, payment, top_up)

    # ------------------------------------------------------------ steps

    def _request(self, method: str, url: str, body: str | None, headers: dict[str, str]) -> requests.Response:
        try:
            return requests.request(
                method, url, data=body.encode() if body is not None else None, headers=headers,
                timeout=self.timeout, stream=True,
            )
        except requests.RequestException as exc:
            raise CharterError(
                f"cannot fetch {url} ({type(exc).__name__}: {exc}); check the address and that the service is up"
            ) from None

    def _payment_required(self, url: str, response: requests.Response) -> PaymentRequired:
        raw = response.raw.read(BODY_LIMIT, decode_content=True) if response.raw is not None else b""
        response.close()
        try:
            parsed_body: Any = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            parsed_body = None
        try:
            required = self._http.get_payment_required_response(response.headers.get, parsed_body)
        except Exception as exc:  # noqa: BLE001 - the x402 parser raises ValueError or pydantic's errors
            raise PaymentRefused(
                f"{url} answered 402 without x402 payment requirements that can be read ({exc}); "
                "it is not an x402 resource this client can pay",
                url=url,
            ) from None
        if not isinstance(required, PaymentRequired):
            raise PaymentRefused(
                f"{url} speaks x402 version {required.x402_version}; this client pays x402 v2 resources only",
                url=url,
            )
        return required

    def _choose(self, required: PaymentRequired) -> tuple[PaymentRequirements | None, tuple[str, ...]]:
        offered = tuple(_describe(r) for r in required.accepts)
        usable = [r for r in required.accepts if self._usable(r)]
        return (min(usable, key=lambda r: int(r.amount)) if usable else None), offered

    def _usable(self, r: PaymentRequirements) -> bool:
        extra = r.extra or {}
        return (
            r.scheme == "exact"
            and r.network == self.network
            and r.asset.lower() == self.settings.token.lower()
            and r.amount.isdigit()
            and int(r.amount) < 2**256
            and Web3.is_address(r.pay_to)
            and extra.get("assetTransferMethod", "eip3009") == "eip3009"
            and extra.get("paymentFlow", "authorization") == "authorization"
        )

    def _sign(
        self,
        url: str,
        required: PaymentRequired,
        chosen: PaymentRequirements,
        price: int,
        offered: tuple[str, ...],
        top_up: TxResult | None,
    ) -> dict[str, str]:
        """The x402 client's payment headers for `chosen` alone, capped at its price."""
        self._x402.set_spend_controls({
            "allowed_assets": [
                {"network": self.network, "asset": self.settings.token, "max_amount_per_payment": str(price)}
            ],
        })
        try:
            payload = self._x402.create_payment_payload(required.model_copy(update={"accepts": [chosen]}))
        except (PaymentError, ValueError) as exc:
            raise PaymentRefused(
                f"the x402 client could not sign the payment {url} asks for ({exc}); nothing was paid",
                url=url, price=price, offered=offered, top_up=top_up,
            ) from None
        return self._http.encode_payment_signature_header(payload)

    def _settlement(self, response: requests.Response) -> SettleResponse | None:
        try:
            return self._http.get_payment_settle_response(response.headers.get)
        except Exception:  # noqa: BLE001 - absent (ValueError) or malformed (base64, JSON, pydantic)
            return None


# ---------------------------------------------------------------- helpers


def _account(key: str) -> LocalAccount:
    try:
        account: LocalAccount = Account.from_key(key)
    except Exception:  # noqa: BLE001 - eth-keys raises several types; the key must not appear in the message
        raise InvalidInput("the hot wallet key is not a 32-byte hex private key") from None
    return account


def _method(method: str) -> str:
    upper = method.upper() if isinstance(method, str) else ""
    if upper not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return upper


def _check_url(url: str) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{url!r} is not an http(s) URL")


def _describe(r: PaymentRequirements) -> str:
    method = (r.extra or {}).get("assetTransferMethod", "eip3009")
    return f"{r.scheme} on {r.network}: {r.amount} of {r.asset} to {r.pay_to} (by {method})"


def _refusal(response: requests.Response, settled: SettleResponse | None, http: x402HTTPClientSync) -> str:
    if settled is not None and not settled.success:
        return f"settlement failed: {settled.error_reason or 'no reason given'}"
    try:
        required = http.get_payment_required_response(response.headers.get)
    except Exception:  # noqa: BLE001 - no readable PAYMENT-REQUIRED header
        return "no reason given"
    error = getattr(required, "error", None)
    return f"payment refused: {error}" if error else "no reason given"


def _result(
    url: str, response: requests.Response, paid: Payment | None = None, top_up: TxResult | None = None
) -> PaidResult:
    data = b""
    truncated = False
    try:
        for chunk in response.iter_content(chunk_size=16 * 1024):
            room = BODY_LIMIT - len(data)
            if len(chunk) > room:
                data += chunk[:room]
                truncated = True
                break
            data += chunk
    except requests.RequestException:
        truncated = True  # the body broke off: what arrived is kept
    finally:
        response.close()
    encoding = response.encoding or "utf-8"
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    return PaidResult(
        url=url,
        status=response.status_code,
        content_type=response.headers.get("Content-Type"),
        body=text,
        truncated=truncated,
        paid=paid,
        top_up=top_up,
    )


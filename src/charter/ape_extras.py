"""Glue between ape and the SDK (needs the ``dev`` extra: eth-ape).

* :class:`ApeSigner` makes any ape account (test account, keyfile, hardware)
  an SDK :class:`~charter.Signer`; ape does the signing, prompting
  and nonce handling as it does for its own transactions.
* :func:`connect` binds the SDK to ape's connected provider.
* :func:`is_local` tells whether ape is connected to a development chain.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from eth_account.messages import encode_typed_data
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxParams

from .exceptions import CharterError

LOCAL_NETWORKS = ("local",)
DEV_CHAIN_IDS = (31337, 1337)


class ApeSigner:
    """An SDK signer backed by an ape account."""

    def __init__(self, account: Any) -> None:
        self.account = account

    @property
    def address(self) -> ChecksumAddress:
        return Web3.to_checksum_address(str(self.account.address))

    def send_transaction(self, w3: Web3, tx: TxParams) -> HexBytes:
        from ape import networks

        fields: dict[str, Any] = {
            "receiver": tx["to"],
            "data": HexBytes(tx.get("data", b"")),
            "value": int(tx.get("value", 0)),
            "sender": self.address,
        }
        if "gas" in tx:
            fields["gas_limit"] = int(tx["gas"])
        txn = networks.provider.network.ecosystem.create_transaction(**fields)
        receipt = self.account.call(txn)
        return HexBytes(receipt.txn_hash)

    def sign_typed_data(self, typed_data: dict[str, Any]) -> HexBytes:
        signature = self.account.sign_message(encode_typed_data(full_message=typed_data))
        if signature is None:
            raise CharterError(f"ape account {self.address} declined to sign the message")
        return HexBytes(signature.encode_rsv())


def web3() -> Web3:
    """The web3 instance of ape's connected provider."""
    from ape import networks

    provider = networks.active_provider
    if provider is None or not provider.is_connected:
        raise CharterError("ape is not connected to a network; pass --network")
    w3: Web3 = provider.web3
    return w3


def is_local() -> bool:
    """True on development chains: ape's `local` networks, or chain id 31337 / 1337."""
    from ape import networks

    provider = networks.active_provider
    if provider is None:
        return False
    return provider.network.name in LOCAL_NETWORKS or provider.chain_id in DEV_CHAIN_IDS


def connect(account: Any = None, manifest: str | None = None) -> Any:
    """A :class:`~charter.client.Charter` on ape's provider, sending as `account`.

    `manifest` (else ``$CHARTER_MANIFEST``) must exist when named."""
    from .cli._common import load_manifest
    from .client import Charter

    signer = ApeSigner(account) if account is not None else None
    return Charter.connect(web3(), signer=signer, manifest=load_manifest(manifest))


def resolve_account(alias: str | None) -> Any:
    """The ape account named `alias` (``--sender``); on development chains, test account 0 by default."""
    from ape import accounts

    if alias:
        try:
            return accounts.load(alias)
        except Exception:  # noqa: BLE001 - ape raises its own error types for an unknown alias
            try:
                known = ", ".join(sorted(accounts.aliases)) or "none"
            except Exception:  # noqa: BLE001
                known = "unknown"
            raise CharterError(
                f"no ape account is named {alias!r} (known aliases: {known}); add one with "
                "`ape accounts import ALIAS` or `ape accounts generate ALIAS`"
            ) from None
    if is_local():
        return accounts.test_accounts[0]
    raise CharterError("on a real network, name the sending ape account with --sender ALIAS")


sender_option = click.option(
    "--sender",
    "alias",
    metavar="ALIAS",
    help="ape account alias that signs and sends (default on local chains: test account 0)",
)
"""``--sender ALIAS``: the ape account that signs and sends (the CLI's $CHARTER_PRIVATE_KEY / --unlocked)."""

account_option = click.option(
    "--account",
    "--account-address",
    "account_address",
    metavar="ADDRESS",
    help="the Charter account (principal); default: the sender, an EIP-7702 account",
)
"""``--account ADDRESS``: the Charter account, as in the ``charter`` CLI (``--account-address`` still works)."""

manifest_option = click.option(
    "--manifest", type=click.Path(dir_okay=False), help="deployment manifest (must exist; default: $CHARTER_MANIFEST)"
)


def clean_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for ape scripts: any error becomes one line ``Error: ...`` and exit status 1
    (``$CHARTER_DEBUG=1`` re-raises what is not a CharterError, with its traceback)."""
    import os

    from .cli._common import DEBUG_ENV, one_line_error

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except CharterError as exc:
            raise click.ClickException(one_line_error(exc)) from None
        except Exception as exc:  # noqa: BLE001 - no traceback for anything a user can type
            if os.environ.get(DEBUG_ENV):
                raise
            raise click.ClickException(one_line_error(exc)) from None

    return wrapper

"""Glue between ape and the SDK (needs the ``dev`` extra: eth-ape).

* :class:`ApeSigner` makes any ape account (test account, keyfile, hardware)
  an SDK :class:`~charter.Signer`; ape does the signing, prompting
  and nonce handling as it does for its own transactions. This module
  registers :func:`ape_signer` as a signer adapter of
  :func:`charter._core.signers.as_signer` (the ``charter`` package imports
  it), so the SDK wraps ape accounts in it by itself wherever it takes a
  signer: ``Charter.connect(w3, signer=accounts.test_accounts[1])`` or
  ``sessions.execute(signed, call, key=accounts.load("agent"))`` work.
  It signs EIP-7702 authorizations through ape's ``sign_authorization``
  (test and keyfile accounts; a keyfile account asks to confirm), so
  ``charter.accounts.upgrade(ape_account)`` works; an account type that
  cannot sign one raises :class:`AuthorizationUnsupported`, which names the
  other way (``charter account upgrade`` with the EOA's key in
  ``$CHARTER_PRIVATE_KEY``).
* :func:`connect` binds the SDK to ape's connected provider.
* :func:`is_local` tells whether ape is connected to a development chain.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click
from eth_account.messages import encode_typed_data
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxParams

from ._core.signers import register_signer_adapter
from .exceptions import CharterError

LOCAL_NETWORKS = ("local",)
FORK_SUFFIX = "-fork"
DEV_CHAIN_IDS = (31337, 1337)


UPGRADE_WITHOUT_APE = (
    "upgrade the EOA without ape: `charter account upgrade` with its private key in $CHARTER_PRIVATE_KEY, "
    "or charter.accounts.upgrade(LocalSigner.from_key(key)) (see docs/ape.md)"
)


class AuthorizationUnsupported(CharterError):
    """The ape account cannot sign an EIP-7702 authorization (a hardware wallet, for instance)."""


class ApeSigner:
    """An SDK signer backed by an ape account (also an :class:`~charter._core.signers.AuthorizationSigner`)."""

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
        if int(tx.get("type", 0) or 0) == 4:  # EIP-7702: the authorizations ride along
            fields["type"] = 4
            fields["authorizations"] = [_ape_authorization(a) for a in tx.get("authorizationList", [])]
        txn = networks.provider.network.ecosystem.create_transaction(**fields)
        receipt = self.account.call(txn)
        return HexBytes(receipt.txn_hash)

    def sign_typed_data(self, typed_data: dict[str, Any]) -> HexBytes:
        signature = self.account.sign_message(encode_typed_data(full_message=typed_data))
        if signature is None:
            raise CharterError(f"ape account {self.address} declined to sign the message")
        return HexBytes(signature.encode_rsv())

    def sign_authorization(self, chain_id: int, delegate: str, nonce: int) -> dict[str, Any]:
        """The account's EIP-7702 authorization, signed by ape (a keyfile account asks to confirm).

        Raises :class:`AuthorizationUnsupported` for an account type that cannot
        sign one, and :class:`CharterError` if the account declines or the
        signature is not the account's."""
        from ape.exceptions import APINotImplementedError

        delegate = Web3.to_checksum_address(delegate)
        try:
            signature = self.account.sign_authorization(delegate, chain_id=chain_id, nonce=nonce)
        except (APINotImplementedError, NotImplementedError):
            raise AuthorizationUnsupported(
                f"the ape account {self.address} ({type(self.account).__name__}) cannot sign an EIP-7702 "
                f"authorization; {UPGRADE_WITHOUT_APE}"
            ) from None
        if signature is None:
            raise CharterError(f"ape account {self.address} declined to sign the EIP-7702 authorization")
        y_parity = int(signature.v) - 27 if int(signature.v) >= 27 else int(signature.v)  # some signers say 27/28
        authorization = {"chainId": int(chain_id), "address": delegate, "nonce": int(nonce), "yParity": y_parity,
                         "r": int.from_bytes(signature.r, "big"), "s": int.from_bytes(signature.s, "big")}
        if _authority(authorization) != self.address:
            raise CharterError(
                f"the EIP-7702 authorization ape signed for {self.address} recovers to another address "
                f"(nonce {nonce}); nothing was sent"
            )
        return authorization


def ape_signer(value: object) -> ApeSigner | None:
    """An :class:`ApeSigner` for an ape account, else None (the adapter ``as_signer`` tries).

    ape is never imported here: an ape account exists only once ape is loaded."""
    module = sys.modules.get("ape.api.accounts")
    account_api = getattr(module, "AccountAPI", None)
    if account_api is None or not isinstance(value, account_api):
        return None
    return ApeSigner(value)


register_signer_adapter(ape_signer)


def _authorization_hash(chain_id: int, delegate: str, nonce: int) -> bytes:
    """EIP-7702's ``keccak256(0x05 || rlp([chain_id, address, nonce]))``."""
    import rlp  # type: ignore[import-untyped]

    return bytes(Web3.keccak(b"\x05" + rlp.encode([chain_id, bytes.fromhex(delegate[2:]), nonce])))


def _authority(authorization: dict[str, Any]) -> ChecksumAddress:
    """Who signed `authorization` (recovered, as the chain will)."""
    from eth_keys.datatypes import Signature

    digest = _authorization_hash(authorization["chainId"], authorization["address"], authorization["nonce"])
    signature = Signature(vrs=(authorization["yParity"], authorization["r"], authorization["s"]))
    return Web3.to_checksum_address(signature.recover_public_key_from_msg_hash(digest).to_checksum_address())


def _ape_authorization(authorization: Any) -> Any:
    """An SDK authorization (dict, or eth-account's signed authorization) as ape's ``Authorization``."""
    from ape_ethereum.transactions import Authorization

    if not isinstance(authorization, dict):  # eth-account's SignedSetCodeAuthorization
        authorization = {"chainId": authorization.chain_id, "address": Web3.to_checksum_address(authorization.address),
                         "nonce": authorization.nonce, "yParity": authorization.y_parity, "r": authorization.r,
                         "s": authorization.s}
    return Authorization(
        chainId=authorization["chainId"], address=authorization["address"], nonce=authorization["nonce"],
        yParity=authorization["yParity"], r=authorization["r"].to_bytes(32, "big"),
        s=authorization["s"].to_bytes(32, "big"),
    )


def web3() -> Web3:
    """The web3 instance of ape's connected provider."""
    from ape import networks

    provider = networks.active_provider
    if provider is None or not provider.is_connected:
        raise CharterError("ape is not connected to a network; pass --network")
    w3: Web3 = provider.web3
    return w3


def is_local() -> bool:
    """True on development chains: ape's `local` networks, forks (``mainnet-fork``: their
    state dies with the node, whatever chain id they keep), or chain id 31337 / 1337."""
    from ape import networks

    provider = networks.active_provider
    if provider is None:
        return False
    network = provider.network
    return (
        network.name in LOCAL_NETWORKS
        or network.name.endswith(FORK_SUFFIX)
        or bool(getattr(network, "is_fork", False))
        or provider.chain_id in DEV_CHAIN_IDS
    )


def connect(account: Any = None, manifest: str | None = None) -> Any:
    """A :class:`~charter.client.Charter` on ape's provider, sending as `account`.

    `manifest` (else ``$CHARTER_MANIFEST``) must exist when named."""
    from .cli._common import load_manifest
    from .client import Charter

    signer = ApeSigner(account) if account is not None else None
    return Charter.connect(web3(), signer=signer, manifest=load_manifest(manifest))


def connect_chains(spec: str, account: Any = None, manifest: str | None = None) -> list[Any]:
    """A :class:`~charter.client.Charter` per chain of ``ID[=URL],...`` (``--chains``), in order,
    sending as `account`: ape's provider for the chain it is connected to, the item's URL or
    ``$CHARTER_RPC_<ID>`` for the others (ape connects to one network at a time).

    What needs only signatures (a multi-chain grant) works on every chain; transactions
    are sent through ape's provider, so send them on its chain."""
    from ._core.chain import CHAIN_RPC_ENV, chain_rpc_from_env, connect_chain, parse_chain_list
    from .cli._common import load_manifest
    from .client import Charter
    from .exceptions import InvalidInput

    here = web3()
    here_id = int(here.eth.chain_id)
    signer = ApeSigner(account) if account is not None else None
    loaded = load_manifest(manifest)
    charters = []
    for chain_id, url in parse_chain_list(spec):
        from_env = chain_rpc_from_env(chain_id)
        if url is not None:
            w3 = connect_chain(chain_id, url, "--chains")
        elif from_env is not None:
            w3 = connect_chain(chain_id, *from_env)
        elif chain_id == here_id:
            w3 = here
        else:
            raise InvalidInput(
                f"chain {chain_id} has no RPC (ape is connected to chain {here_id}): set "
                f"${CHAIN_RPC_ENV.format(chain_id=chain_id)} to its node's URL, or write {chain_id}=URL in --chains"
            )
        charters.append(Charter.connect(w3, signer=signer, manifest=loaded))
    return charters


def resolve_account(alias: str | None) -> Any:
    """The ape account named `alias` (``--sender``); on development chains, test account 0 by default.

    ``TEST::N`` (ape's name for its test accounts) is test account N."""
    from ape import accounts

    if alias and alias.upper().startswith("TEST::"):
        index = alias[6:]
        count = len(accounts.test_accounts)
        if not index.isdigit() or int(index) >= count:
            raise CharterError(f"{alias!r} is not a test account: write TEST::N with N from 0 to {count - 1}")
        return accounts.test_accounts[int(index)]
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

"""Charter accounts: where a principal's assets live and session calls come from.

Two kinds, same code (``AgentAccount``):

* **deployed** — one contract per owner (and salt) at a deterministic CREATE2
  address: :meth:`Accounts.address_of`, :meth:`Accounts.deploy`;
* **EIP-7702** — an existing EOA delegates to the shared ``AccountDelegate``
  and becomes its own Charter account, keeping its address and assets:
  :meth:`Accounts.upgrade`.

    accounts = charter.accounts
    account = accounts.deploy(owner=alice.address)          # or accounts.upgrade(alice_key)
    accounts.execute(account, token, Call.to(token, "transfer(address,uint256)", bob, 5).data)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_account import Account
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3

from .._core.artifacts import abi
from .._core.chain import ChainClient
from .._core.checks import check_address, salt_bytes
from .._core.deployments import (
    CREATE2_DEPLOYER,
    account_address,
    account_deploy_calldata,
)
from .._core.revert import RevertContext, translate
from .._core.signers import AuthorizationSigner, LocalSigner, SignerLike, as_signer
from .._core.tx import Explain, TxResult, result, send_checked, wait_receipt
from ..exceptions import EffectNotObserved, InvalidInput, NotACharterAccount, NotDeployed
from .calldata import execute_batch_calldata, execute_calldata
from .models import (
    DELEGATION_PREFIX,
    MAX_BATCH,
    AccountInfo,
    AccountKind,
    Call,
    calls_of,
)


class Accounts(ChainClient):
    """Deploy, upgrade and drive Charter accounts on one chain."""

    def __init__(
        self,
        w3: Web3,
        manager: str,
        delegate: str,
        signer: SignerLike | None = None,
        *,
        chain_id: int | None = None,
        timeout: float = 120,
    ) -> None:
        super().__init__(w3, signer, chain_id=chain_id, timeout=timeout)
        self.manager: ChecksumAddress = check_address(manager, "SessionManager address")
        self.delegate: ChecksumAddress = check_address(delegate, "AccountDelegate address")

    def __repr__(self) -> str:
        return f"<Accounts manager={self.manager} delegate={self.delegate}>"

    # ------------------------------------------------------------ reads

    def address_of(self, owner: str, salt: int | bytes | str = 0) -> ChecksumAddress:
        """The deterministic address of `owner`'s deployed account (deployed or not yet)."""
        return account_address(check_address(owner, "owner"), salt_bytes(salt), self.manager)

    def kind(self, account: str) -> AccountKind | None:
        """How `account` is a Charter account of this manager, or None if it is not one."""
        account = check_address(account, "account")
        with translate(self.w3):
            code = bytes(self.w3.eth.get_code(account))
        if not code:
            return None
        if code.startswith(DELEGATION_PREFIX) and len(code) == 23:
            return AccountKind.EIP7702 if Web3.to_checksum_address(code[3:]) == self.delegate else None
        try:
            manager = self._account(account).functions.MANAGER().call()
        except Exception:  # noqa: BLE001 - not an AgentAccount: any failure means "no"
            return None
        return AccountKind.DEPLOYED if Web3.to_checksum_address(manager) == self.manager else None

    def owner_of(self, account: str) -> ChecksumAddress:
        """Who controls `account` (the EOA itself for an EIP-7702 account)."""
        account = check_address(account, "account")
        if self.kind(account) is None:
            raise NotDeployed(
                f"{account} is not a Charter account on chain {self.chain_id}: deploy one "
                "(Accounts.deploy / `charter account deploy`) or upgrade the EOA with EIP-7702 "
                "(Accounts.upgrade / `charter account upgrade`)"
            )
        with translate(self.w3):
            return Web3.to_checksum_address(self._account(account).functions.owner().call())

    def info(self, account: str) -> AccountInfo:
        """Kind, owner, manager, balance, epoch and maximum session length of `account`."""
        account = check_address(account, "account")
        kind = self.kind(account)
        if kind is None:
            self.owner_of(account)  # raises NotDeployed, as before
        assert kind is not None
        return self._info(account, kind)

    def _info(self, account: ChecksumAddress, kind: AccountKind) -> AccountInfo:
        manager = self.w3.eth.contract(address=self.manager, abi=abi("SessionManager"))
        with translate(self.w3):
            owner = Web3.to_checksum_address(self._account(account).functions.owner().call())
            return AccountInfo(
                address=account,
                kind=kind,
                owner=owner,
                manager=self.manager,
                balance=int(self.w3.eth.get_balance(account)),
                epoch=int(manager.functions.epochOf(account).call()),
                max_session_length=int(manager.functions.maxSessionLengthOf(account).call()),
            )

    def ensure_charter_account(self, account: str) -> AccountInfo:
        """`account`'s :class:`AccountInfo` if it is a Charter account bound to this
        suite's SessionManager, else :class:`NotACharterAccount` saying what it is.

        A Charter account is an EOA whose code is the EIP-7702 designator
        ``0xef0100 ‖ AccountDelegate`` of this suite, or a deployed AgentAccount
        whose ``MANAGER()`` is this manager. Any other address would take an
        owner action (revoke, revoke-all, a session length, an owner call) as
        a plain call that succeeds and does nothing, so every owner action
        checks this first, before anything is signed or sent.
        """
        account = check_address(account, "account")
        kind = self.kind(account)
        if kind is None:
            raise NotACharterAccount(self._not_an_account(account))
        return self._info(account, kind)

    # ------------------------------------------------------------ writes

    def deploy(self, owner: str, salt: int | bytes | str = 0, signer: SignerLike | None = None) -> ChecksumAddress:
        """Deploy `owner`'s account (idempotent) and return its address; anyone may pay for it."""
        owner = check_address(owner, "owner")
        salt32 = salt_bytes(salt)
        address = self.address_of(owner, salt32)
        with translate(self.w3):
            if self.w3.eth.get_code(address):
                return address
            if not self.w3.eth.get_code(CREATE2_DEPLOYER):
                raise NotDeployed(f"the CREATE2 deployer {CREATE2_DEPLOYER} is missing on chain {self.chain_id}")
        sender = self._signer(signer, "deploy an account")
        send_checked(
            self.w3, sender, CREATE2_DEPLOYER, account_deploy_calldata(owner, salt32, self.manager),
            RevertContext(action="deploy an account for", owner=owner), timeout=self.timeout,
        )
        with translate(self.w3):
            if not self.w3.eth.get_code(address):
                raise EffectNotObserved(
                    f"the deployment of the account of {owner} was mined but left no code at {address}; "
                    f"nothing was deployed — check that {CREATE2_DEPLOYER} is the CREATE2 deployer on chain "
                    f"{self.chain_id}"
                )
        return address

    def upgrade(self, eoa: Any, sponsor: SignerLike | None = None) -> TxResult:
        """Turn an EOA into a Charter account with EIP-7702 (it keeps its address and assets).

        The EOA signs the authorization, so `eoa` is what can: a LocalAccount,
        LocalSigner or private key, or an ape account that supports
        ``sign_authorization`` (ape test and keyfile accounts; any
        :class:`~charter._core.signers.AuthorizationSigner`). Without `sponsor` the EOA sends
        the type-4 transaction itself and pays; with one (also such a signer),
        the sponsor pays.
        """
        account = _authorizer(eoa, "the EOA to upgrade")
        if self.kind(account.address) is AccountKind.EIP7702:
            with translate(self.w3):
                block = int(self.w3.eth.block_number)
            return TxResult(
                tx_hash="", block_number=block, gas_used=0, sent=False,
                note=f"{account.address} is already a Charter account of {self.manager}: nothing was sent",
            )
        sender = _authorizer(sponsor, "the sponsor") if sponsor is not None else account
        with translate(self.w3):
            nonce = int(self.w3.eth.get_transaction_count(account.address, "pending"))
            self_sponsored = sender.address == account.address
            auth_nonce = nonce + 1 if self_sponsored else nonce  # a self-sent transaction uses `nonce` first
            authorization = account.sign_authorization(self.chain_id, self.delegate, auth_nonce)
            tx: dict[str, Any] = {
                "to": account.address,
                "data": b"",
                "value": 0,
                "type": 4,
                "authorizationList": [authorization],
                "gas": 100_000,
            }
            tx_hash = sender.send_transaction(self.w3, tx)  # type: ignore[arg-type]
            receipt = wait_receipt(self.w3, tx_hash, self.timeout)
        with translate(self.w3):
            code = bytes(self.w3.eth.get_code(account.address))
        if receipt["status"] != 1 or code != DELEGATION_PREFIX + bytes.fromhex(self.delegate[2:]):
            raise EffectNotObserved(
                f"the transaction {HexBytes(tx_hash).to_0x_hex()} was mined but the code of {account.address} "
                f"is not the EIP-7702 designator of {self.delegate} ({_describe_code(code)}); nothing was "
                "upgraded — check that the chain supports EIP-7702 (Prague) and that the authorization's "
                "nonce was the EOA's current one"
            )
        return result(receipt)

    def execute(
        self, account: str, target: str, data: bytes | str = b"", value: int = 0, signer: SignerLike | None = None
    ) -> TxResult:
        """The owner makes one call from `account` (any call: the owner is unrestricted)."""
        account = check_address(account, "account")
        call = Call(target=check_address(target, "target"), value=value, data=HexBytes(data))
        self.ensure_charter_account(account)
        return result(self.send_as_owner(account, call.target, call.data, call.value, signer, "execute a call from"))

    def execute_batch(
        self, account: str, calls: Iterable[Call | Sequence[Any]], signer: SignerLike | None = None
    ) -> TxResult:
        """The owner makes several calls from `account`, all or nothing."""
        account = check_address(account, "account")
        batch = calls_of(calls)
        if not 1 <= len(batch) <= MAX_BATCH:
            raise InvalidInput(f"a batch has 1 to {MAX_BATCH} calls, got {len(batch)}")
        data = execute_batch_calldata(batch)
        self.ensure_charter_account(account)
        owner = self._signer(signer, "execute calls from an account")
        total = sum(c.value for c in batch)
        receipt = send_checked(
            self.w3, owner, account, data, RevertContext(action="execute calls from", account=account),
            value=total, timeout=self.timeout,
        )
        return result(receipt)

    def send_as_owner(
        self, account: str, target: str, data: bytes, value: int, signer: SignerLike | None, action: str,
        ctx: RevertContext | None = None, explain: Explain | None = None,
    ) -> Any:
        """Have the owner send ``account.execute(target, value, data)``; returns the receipt.

        The caller checks first that `account` is a Charter account of this
        manager (:meth:`ensure_charter_account`): to any other address the
        call would succeed and do nothing."""
        owner = self._signer(signer, action)
        ctx = ctx or RevertContext(action=action, account=account)
        return send_checked(
            self.w3, owner, account, execute_calldata(target, data, value), ctx,
            value=value, timeout=self.timeout, explain=explain,
        )

    # ------------------------------------------------------------ internals

    def _account(self, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi("AgentAccount"))

    def _not_an_account(self, account: ChecksumAddress) -> str:
        """Why `account` is not a Charter account of this manager, and what to do."""
        where = f"on chain {self.chain_id}"
        upgrade = (
            "upgrade it with EIP-7702 (`charter account upgrade` / charter.accounts.upgrade(key)) "
            f"to the AccountDelegate {self.delegate}"
        )
        deploy = "or deploy a Charter account (`charter account deploy` / charter.accounts.deploy(owner))"
        with translate(self.w3):
            code = bytes(self.w3.eth.get_code(account))
        if not code:
            return (
                f"{account} is not a Charter account: it is an EOA with no code {where} (never upgraded), so "
                f"the action would succeed and do nothing; {upgrade}, {deploy}"
            )
        if code.startswith(DELEGATION_PREFIX) and len(code) == 23:
            other = Web3.to_checksum_address(code[3:])
            return (
                f"{account} is not a Charter account of this suite: it delegates (EIP-7702) to {other}, not to "
                f"the AccountDelegate {self.delegate} {where}; {upgrade} (this replaces the other delegation)"
            )
        try:
            manager = Web3.to_checksum_address(self._account(account).functions.MANAGER().call())
        except Exception:  # noqa: BLE001 - not an AgentAccount
            return (
                f"{account} is a contract that is not a Charter account {where} (it has no MANAGER()); "
                f"{deploy} and act through that"
            )
        return (
            f"{account} is an AgentAccount of another SessionManager ({manager}), not of {self.manager} "
            f"{where}; use the suite of that manager (--manifest / Charter.connect), {deploy}"
        )


def _describe_code(code: bytes) -> str:
    if not code:
        return "it has no code"
    if code.startswith(DELEGATION_PREFIX) and len(code) == 23:
        return f"it delegates to {Web3.to_checksum_address(code[3:])}"
    return f"it has {len(code):,} bytes of contract code"


def _authorizer(value: Any, what: str) -> AuthorizationSigner:
    """`value` as a signer of EIP-7702 authorizations (which also sends type-4 transactions)."""
    if isinstance(value, str | bytes):
        try:
            return LocalSigner(Account.from_key(value))
        except Exception:  # noqa: BLE001 - any parse failure is the same user error
            raise InvalidInput(f"{what} must be given as its private key (32 bytes hex)") from None
    try:
        signer = as_signer(value)
    except InvalidInput:
        signer = None
    if isinstance(signer, AuthorizationSigner):
        return signer
    raise InvalidInput(
        f"{what} ({type(value).__name__}) cannot sign an EIP-7702 authorization or send the type-4 transaction: "
        "pass a LocalAccount, LocalSigner, private key or an ape account (nodes cannot sign them)"
    )

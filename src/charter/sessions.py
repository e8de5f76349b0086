"""Client of the SessionManager: grant, use, relay, revoke and inspect session keys.

    sessions = charter.sessions
    grant = sessions.prepare(
        sessions.builder(account, agent_id, agent_key.address)
        .allow_transfer(token, to=bob, max_amount=100)
        .token_budget(token, cap=100)
        .valid_for(hours=1)
    )
    signed = sessions.sign(grant, principal)          # free: nothing is sent
    sessions.execute(signed, Call.to(token, "transfer(address,uint256)", bob, 40), key=agent_key)
    request = sessions.sign_request(signed, [call], key=agent_key)   # gasless for the agent
    sessions.relay(request, relayer=anyone)
    sessions.revoke_all(account, principal)

Grants travel as :class:`SignedGrant` (JSON: ``signed.to_json()``), requests as
:class:`SessionRequest`. Every refusal raises a typed exception from
:mod:`charter.exceptions` that names the refused call, argument or budget and
what is left of it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any, ClassVar, Self

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_typing import ChecksumAddress
from eth_utils import keccak
from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.types import TxReceipt

from .accounts import AccountKind, Accounts
from .artifacts import abi
from .eip712 import EIP712_DOMAIN_TYPE, sign_typed, typed_data_digest
from .errors import RevertContext, format_time, map_revert, translate
from .exceptions import (
    CharterError,
    ContractRevert,
    InvalidInput,
    OutOfScope,
    OverBudget,
)
from .grants import (
    MAX_BATCH,
    MAX_BATCH_CALLDATA,
    MAX_CALLDATA,
    MAX_SESSION_CEILING,
    REQUEST_TYPES,
    TOKEN_SELECTORS,
    Address,
    Call,
    Data,
    Grant,
    GrantBuilder,
    account_message_typed_data,
    calls_of,
    describe_condition,
    manager_domain,
    merge_one_of,
)
from .registry import check_address
from .signers import Signer, SignerLike
from .tx import ChainClient, result, send_checked
from .types import TxResult

DEFAULT_REQUEST_LIFETIME = 300
"""Default validity of a relayed request, in seconds."""

GRANT_TYPE = (
    "(address,uint256,address,uint48,uint48,uint64,uint32,uint32,uint128,bytes32,"
    "(address,bytes4,uint256)[],(uint8,uint16,uint8,uint256)[],(address,uint128,uint32)[])"
)
_CALLS_TYPE = "(address,uint256,bytes)[]"
_RELAY_TYPE = "(uint256,uint256,bytes)"
_FUNCTIONS: dict[str, list[str]] = {
    "execute": [GRANT_TYPE, "bytes", "address", "uint256", "bytes"],
    "execute_relayed": [GRANT_TYPE, "bytes", "address", "uint256", "bytes", _RELAY_TYPE],
    "executeBatch": [GRANT_TYPE, "bytes", _CALLS_TYPE],
    "executeBatch_relayed": [GRANT_TYPE, "bytes", _CALLS_TYPE, _RELAY_TYPE],
    "issue": [GRANT_TYPE],
    "renounce": [GRANT_TYPE],
    "revoke": ["bytes32"],
    "revokeAll": [],
    "setMaxSessionLength": ["uint256"],
}
_SELECTORS: dict[str, bytes] = {
    key: keccak(text=f"{key.removesuffix('_relayed')}({','.join(types)})")[:4]
    for key, types in _FUNCTIONS.items()
}
_ACCOUNT_EXECUTE = keccak(text="execute(address,uint256,bytes)")[:4]


def _calldata(function: str, *args: Any) -> bytes:
    return _SELECTORS[function] + abi_encode(_FUNCTIONS[function], list(args))


# ---------------------------------------------------------------- models


class GrantStatus(IntEnum):
    """Where a grant stands (``grantState().status``)."""

    PENDING = 0  # signed off-chain, never used (it may still be valid)
    ACTIVE = 1
    REVOKED = 2
    REVOKED_ALL = 3
    EXPIRED = 4
    NOT_YET_VALID = 5
    AGENT_INACTIVE = 6
    EXHAUSTED = 7

    @property
    def label(self) -> str:
        return {
            0: "pending (not used yet)",
            1: "active",
            2: "revoked",
            3: "revoked (revoke-all)",
            4: "expired",
            5: "not yet valid",
            6: "agent not active",
            7: "calls used up",
        }[self.value]

    @property
    def usable(self) -> bool:
        return self in (GrantStatus.PENDING, GrantStatus.ACTIVE)


class _Portable(BaseModel):
    """A model that travels as JSON between principal, agent and relayer."""

    model_config = ConfigDict(frozen=True)
    what: ClassVar[str] = "Charter object"

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> Self:
        try:
            return cls.model_validate_json(text)
        except ValueError as exc:
            raise InvalidInput(f"not a {cls.what}: {exc}") from None


class SignedGrant(_Portable):
    """A grant bound to its chain and manager, with the account's signature
    (empty when it was issued on-chain). What the principal hands the agent."""

    what: ClassVar[str] = "signed Charter grant"

    grant: Grant
    chain_id: int
    manager: Address
    signature: Data = b""

    @property
    def hash(self) -> bytes:
        return self.grant.hash(self.chain_id, self.manager)

    def save(self, path: str) -> None:
        """Write the grant as JSON for the agent (:meth:`from_json` reads it back)."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_json() + "\n")

    def report(self) -> list[str]:
        """The grant for humans: hash, agent and key, one line per rule, the window."""
        g = self.grant
        return [
            f"grant 0x{self.hash.hex()} for agent {g.agent_id}, session key {g.session_key}",
            *(f"  - {line}" for line in g.describe()),
            f"  - valid {format_time(g.valid_after)} .. {format_time(g.valid_until)}",
        ]

    def summary(self, tx: TxResult | None = None) -> dict[str, Any]:
        """The grant for machines (``--json``): hash, the signed grant, how it was issued."""
        return {
            "grant_hash": "0x" + self.hash.hex(),
            "signed_grant": json.loads(self.to_json()),
            "issued_on_chain": tx is not None,
            "transaction": tx.model_dump() if tx is not None else None,
        }


class SessionRequest(_Portable):
    """Calls signed by the session key for anyone to relay (``Sessions.relay``)."""

    what: ClassVar[str] = "signed Charter session request"

    grant: SignedGrant
    calls: tuple[Call, ...]
    nonce: int
    deadline: int
    signature: Data


class TokenAllowance(BaseModel):
    model_config = ConfigDict(frozen=True)

    token: str
    cap: int
    period: int
    left: int
    """What the grant may still move this period."""


class GrantState(BaseModel):
    """A grant's state as the SessionManager sees it now."""

    model_config = ConfigDict(frozen=True)

    grant_hash: str
    account: str
    agent_id: int
    session_key: str
    status: GrantStatus
    calls_used: int
    calls_left: int | None
    """None when the grant has no call limit."""
    native_spent: int
    native_left: int
    last_call: int | None
    valid_after: int
    valid_until: int
    nonce: int
    tokens: tuple[TokenAllowance, ...] = ()
    block: int
    problem: str | None = None
    """Why a use would be refused although `status` does not say so (the
    manager's status view skips these checks): a window longer than the
    account's current maximum, an epoch the account has not reached, an
    account without code."""

    @property
    def usable(self) -> bool:
        return self.status.usable and self.problem is None


class GrantRecord(BaseModel):
    """One grant of an account, as found in the manager's events."""

    model_config = ConfigDict(frozen=True)

    grant_hash: str
    account: str
    agent_id: int | None = None
    session_key: str | None = None
    valid_until: int | None = None
    activated_block: int | None = None
    activated_tx: str | None = None
    revoked: bool = False
    revoked_by: str | None = None
    grant: Grant | None = None
    """Recovered from the activating transaction's input when possible."""
    state: GrantState | None = None
    """Read now, when `grant` is known."""

    @property
    def status_label(self) -> str:
        if self.state is not None:
            label = self.state.status.label
            return f"{label}, but {self.state.problem}" if self.state.problem else label
        # Without the grant its window, epoch and budgets are unknown here.
        return "revoked" if self.revoked else "activated (state unknown: read it with the grant)"


# ---------------------------------------------------------------- client


class Sessions(ChainClient):
    """Typed client of one SessionManager."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        accounts: Accounts,
        signer: SignerLike | None = None,
        *,
        chain_id: int | None = None,
        timeout: float = 120,
    ) -> None:
        super().__init__(w3, signer, chain_id=chain_id, timeout=timeout)
        self.address: ChecksumAddress = check_address(address, "SessionManager address")
        self.accounts = accounts
        self.contract = w3.eth.contract(address=self.address, abi=abi("SessionManager"))
        self._registry: ChecksumAddress | None = None

    def __repr__(self) -> str:
        return f"<Sessions {self.address}>"

    @property
    def registry(self) -> ChecksumAddress:
        if self._registry is None:
            with translate(self.w3):
                self._registry = Web3.to_checksum_address(self.contract.functions.REGISTRY().call())
        return self._registry

    # ------------------------------------------------------------ reads

    def chain_time(self) -> int:
        """The latest block's timestamp (the next block is at least this)."""
        with translate(self.w3):
            return int(self.w3.eth.get_block("latest")["timestamp"])

    def epoch_of(self, account: str) -> int:
        """The account's epoch: grants must carry it; revoke-all moves it on."""
        with translate(self.w3):
            return int(self.contract.functions.epochOf(check_address(account, "account")).call())

    def max_session_length(self, account: str) -> int:
        """The longest validity window (seconds) the account's grants may have."""
        with translate(self.w3):
            return int(self.contract.functions.maxSessionLengthOf(check_address(account, "account")).call())

    def hash(self, grant: Grant | SignedGrant) -> bytes:
        """The grant hash on this chain and manager (computed locally)."""
        grant = grant.grant if isinstance(grant, SignedGrant) else grant
        return grant.hash(self.chain_id, self.address)

    def state(self, grant: Grant | SignedGrant) -> GrantState:
        """Status, calls, native and token budgets left, window and relay nonce of `grant`."""
        grant = grant.grant if isinstance(grant, SignedGrant) else grant
        with translate(self.w3):
            block = int(self.w3.eth.block_number)
            raw = self.contract.functions.grantState(grant.as_tuple()).call(block_identifier=block)
            tokens = tuple(
                TokenAllowance(
                    token=b.token, cap=b.cap, period=b.period,
                    left=int(self.contract.functions.tokenAllowance(grant.as_tuple(), b.token).call(block_identifier=block)),
                )
                for b in grant.token_budgets
            )
            problem = self._problem(grant, block)
        status, used, left, spent, native_left, last, after, until, nonce = raw
        return GrantState(
            grant_hash=self.hash(grant).hex(),
            account=grant.account,
            agent_id=grant.agent_id,
            session_key=grant.session_key,
            status=GrantStatus(status),
            calls_used=used,
            calls_left=None if grant.max_calls == 0 else left,
            native_spent=spent,
            native_left=native_left,
            last_call=last or None,
            valid_after=after,
            valid_until=until,
            nonce=nonce,
            tokens=tokens,
            block=block,
            problem=problem,
        )

    def _problem(self, grant: Grant, block: int) -> str | None:
        functions = self.contract.functions
        epoch = int(functions.epochOf(grant.account).call(block_identifier=block))
        if grant.epoch > epoch:
            return f"names epoch {grant.epoch} but the account is at epoch {epoch}: refused until then"
        limit = int(functions.maxSessionLengthOf(grant.account).call(block_identifier=block))
        if grant.valid_until - grant.valid_after > limit:
            return f"its window is longer than the account's maximum session length ({limit:,} s): refused on use"
        if not self.w3.eth.get_code(Web3.to_checksum_address(grant.account), block_identifier=block):
            return "the account has no code: deploy it or upgrade the EOA (EIP-7702)"
        return None

    def grants(self, account: str, from_block: int = 0, with_state: bool = True) -> list[GrantRecord]:
        """Every grant of `account` that was activated (used or issued) or revoked.

        Read from the manager's events since `from_block`. The grant itself is
        recovered from the activating transaction's input when it was a direct
        call (session key, relayer or the owner's ``account.execute``), and
        then its state is read too. Off-chain grants never used leave no trace
        on chain until they are.
        """
        account = check_address(account, "account")
        topic = "0x" + bytes(HexBytes(account)).rjust(32, b"\x00").hex()
        events = self.contract.events
        with translate(self.w3):
            activated = self.w3.eth.get_logs({
                "address": self.address, "fromBlock": from_block, "toBlock": "latest",
                "topics": [events.GrantActivated().topic, None, topic],
            })
            revoked = self.w3.eth.get_logs({
                "address": self.address, "fromBlock": from_block, "toBlock": "latest",
                "topics": [events.GrantRevoked().topic, None, topic],
            })
        records: dict[str, dict[str, Any]] = {}
        for log in activated:
            args = events.GrantActivated().process_log(log)["args"]
            key = "0x" + bytes(args["grantHash"]).hex()
            records[key] = {
                "grant_hash": key, "account": account, "agent_id": int(args["agentId"]),
                "session_key": Web3.to_checksum_address(args["sessionKey"]),
                "valid_until": int(args["validUntil"]), "activated_block": int(log["blockNumber"]),
                "activated_tx": HexBytes(log["transactionHash"]).to_0x_hex(),
            }
            grant = self._grant_from_tx(log["transactionHash"], key)
            if grant is not None:
                records[key]["grant"] = grant
        for log in revoked:
            args = events.GrantRevoked().process_log(log)["args"]
            key = "0x" + bytes(args["grantHash"]).hex()
            entry = records.setdefault(key, {"grant_hash": key, "account": account})
            entry["revoked"] = True
            entry["revoked_by"] = Web3.to_checksum_address(args["revokedBy"])
        out = []
        for entry in records.values():
            if with_state and entry.get("grant") is not None:
                entry["state"] = self.state(entry["grant"])
            out.append(GrantRecord(**entry))
        return out

    def _grant_from_tx(self, tx_hash: Any, grant_hash: str) -> Grant | None:
        try:
            data = bytes(self.w3.eth.get_transaction(tx_hash)["input"])
        except Exception:  # noqa: BLE001 - a node without the transaction only loses the detail
            return None
        if data[:4] == _ACCOUNT_EXECUTE:
            try:
                _, _, data = abi_decode(["address", "uint256", "bytes"], data[4:])
            except Exception:  # noqa: BLE001 - not ours
                return None
        for function, selector in _SELECTORS.items():
            if data[:4] != selector or not _FUNCTIONS[function] or _FUNCTIONS[function][0] != GRANT_TYPE:
                continue
            try:
                decoded = abi_decode(_FUNCTIONS[function], data[4:])
                grant = grant_from_tuple(decoded[0])
            except Exception:  # noqa: BLE001 - malformed: skip
                return None
            return grant if "0x" + self.hash(grant).hex() == grant_hash else None
        return None

    # ------------------------------------------------------------ issuance

    def builder(self, account: str, agent_id: int, session_key: str) -> GrantBuilder:
        """A :class:`GrantBuilder` for `session_key` of `agent_id` acting for `account`."""
        return GrantBuilder(account, agent_id, session_key)

    def prepare(self, builder: GrantBuilder) -> Grant:
        """The grant, anchored at the chain's time and the account's epoch, checked
        against the account's maximum session length and the forbidden targets."""
        account = builder.account
        limit = self.max_session_length(account)
        length = builder.window_length
        if length is not None and length > limit:
            raise InvalidInput(
                f"the grant would be valid for {length:,} s but account {account} allows at most "
                f"{limit:,} s; shorten it or raise the maximum (set_max_session_length, up to "
                f"{MAX_SESSION_CEILING:,} s)"
            )
        grant = builder.build(now=self.chain_time(), epoch=self.epoch_of(account))
        forbidden = {account: "the account itself", self.address: "the SessionManager", self.registry: "the registry"}
        for p in grant.permissions:
            if p.target in forbidden:
                raise InvalidInput(
                    f"a session may never call {forbidden[p.target]} ({p.target}); allow the "
                    "contracts the agent works with instead"
                )
        return grant

    def typed_data(self, grant: Grant) -> dict[str, Any]:
        """The EIP-712 message of the grant on this chain and manager."""
        return grant.typed_data(self.chain_id, self.address)

    def signing_typed_data(self, grant: Grant) -> dict[str, Any]:
        """The EIP-712 message whose signature approves `grant` for its account.

        An EIP-7702 account (or an EOA that will upgrade) signs the grant
        itself; the owner of a deployed account signs the account's
        ``CharterMessage`` wrapping of the grant hash, checked through the
        account's ERC-1271 ``isValidSignature`` (so a contract owner, a Safe
        for instance, signs this message its own way). Build
        ``SignedGrant(grant=..., chain_id=..., manager=..., signature=...)``
        from a signature made elsewhere.
        """
        if self.accounts.kind(grant.account) is AccountKind.DEPLOYED:
            return account_message_typed_data(self.chain_id, grant.account, self.hash(grant))
        return self.typed_data(grant)

    def sign(self, grant: Grant, principal: SignerLike | None = None) -> SignedGrant:
        """The account's off-chain signature of `grant` (costs nothing; the agent
        presents it on first use). See :meth:`signing_typed_data` for what is signed."""
        signer = self._signer(principal, "sign a grant")
        account = grant.account
        typed = self.signing_typed_data(grant)
        if typed["primaryType"] == "CharterMessage":
            owner = self.accounts.owner_of(account)
            if owner != signer.address:
                raise InvalidInput(
                    f"account {account} is owned by {owner}, so {signer.address} cannot sign its "
                    "grants; sign with the owner's key (a contract owner signs signing_typed_data "
                    "its own way)"
                )
        elif signer.address != account:
            raise InvalidInput(
                f"{account} is an EOA (or EIP-7702 account), so only its own key can sign its "
                f"grants, not {signer.address}"
            )
        signature = sign_typed(signer, typed)
        return SignedGrant(grant=grant, chain_id=self.chain_id, manager=self.address, signature=signature)

    def grant(
        self, builder: GrantBuilder, principal: SignerLike | None = None, *, on_chain: bool = False
    ) -> tuple[SignedGrant, TxResult | None]:
        """:meth:`prepare` then :meth:`sign` (free), or :meth:`issue` with `on_chain`."""
        prepared = self.prepare(builder)
        if on_chain:
            return self.issue(prepared, principal)
        return self.sign(prepared, principal), None

    def issue(self, grant: Grant, principal: SignerLike | None = None) -> tuple[SignedGrant, TxResult]:
        """Issue `grant` on-chain (the owner sends ``account.execute(manager, issue(grant))``).

        Returns the grant to hand to the agent (no signature needed) and the transaction.
        """
        ctx = self._ctx("issue", grant)
        receipt = self.accounts.send_as_owner(
            grant.account, self.address, _calldata("issue", grant.as_tuple()), 0,
            self._owner_signer(principal), "issue a grant for", ctx, self._explainer(grant, []),
        )
        signed = SignedGrant(grant=grant, chain_id=self.chain_id, manager=self.address)
        return signed, result(receipt, grant.agent_id, grant_hash="0x" + signed.hash.hex())

    # ------------------------------------------------------------ use

    def execute(self, grant: SignedGrant, call: Call, key: SignerLike | None = None) -> TxResult:
        """The session key makes one call from the account under `grant`."""
        signed = self._bound(grant)
        call = calls_of([call])[0]
        if len(call.data) > MAX_CALLDATA:
            raise InvalidInput(f"a session call carries at most {MAX_CALLDATA:,} bytes of calldata, got {len(call.data):,}")
        sender = self._signer(key, "execute a session call")
        data = _calldata("execute", signed.grant.as_tuple(), self._presented(signed), call.target, call.value, call.data)
        return self._send_session(signed, sender, data, [call], "execute")

    def execute_batch(self, grant: SignedGrant, calls: Iterable[Call | Sequence[Any]], key: SignerLike | None = None) -> TxResult:
        """The session key makes several calls, all or nothing; budgets are running totals."""
        signed = self._bound(grant)
        batch = self._batch(calls)
        sender = self._signer(key, "execute session calls")
        data = _calldata("executeBatch", signed.grant.as_tuple(), self._presented(signed), [c.as_tuple() for c in batch])
        return self._send_session(signed, sender, data, batch, "execute")

    def sign_request(
        self,
        grant: SignedGrant,
        calls: Iterable[Call | Sequence[Any]] | Call,
        key: SignerLike | None = None,
        *,
        deadline: int | None = None,
        nonce: int | None = None,
    ) -> SessionRequest:
        """The session key signs calls for anyone to relay: the agent needs no gas.

        The nonce defaults to the grant's next one and the deadline to
        :data:`DEFAULT_REQUEST_LIFETIME` seconds from now.
        """
        signed = self._bound(grant)
        batch = self._batch([calls] if isinstance(calls, Call) else calls)
        if len(batch) == 1 and len(batch[0].data) > MAX_CALLDATA:
            raise InvalidInput(f"a session call carries at most {MAX_CALLDATA:,} bytes of calldata")
        signer = self._signer(key, "sign a session request")
        if signer.address != signed.grant.session_key:
            raise InvalidInput(
                f"{signer.address} is not the grant's session key ({signed.grant.session_key}); "
                "sign with the session key"
            )
        nonce = self.state(signed).nonce if nonce is None else nonce
        deadline = self.chain_time() + DEFAULT_REQUEST_LIFETIME if deadline is None else deadline
        typed = self.request_typed_data(signed, batch, nonce, deadline)
        signature = sign_typed(signer, typed)
        return SessionRequest(grant=signed, calls=tuple(batch), nonce=nonce, deadline=deadline, signature=signature)

    def request_typed_data(self, grant: SignedGrant, calls: Sequence[Call], nonce: int, deadline: int) -> dict[str, Any]:
        """The EIP-712 message a session key signs for a relayed request."""
        return {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **REQUEST_TYPES},
            "primaryType": "SessionRequest",
            "domain": manager_domain(self.chain_id, self.address),
            "message": {
                "grantHash": grant.hash,
                "nonce": nonce,
                "deadline": deadline,
                "calls": [{"target": c.target, "value": c.value, "data": c.data} for c in calls],
            },
        }

    def request_digest(self, request: SessionRequest) -> bytes:
        return typed_data_digest(self.request_typed_data(request.grant, request.calls, request.nonce, request.deadline))

    def relay(self, request: SessionRequest, relayer: SignerLike | None = None) -> TxResult:
        """Send a signed request; the relayer pays the gas, the session key's signature authorizes."""
        signed = self._bound(request.grant)
        sender = self._signer(relayer, "relay a session request")
        relay = (request.nonce, request.deadline, request.signature)
        grant = signed.grant.as_tuple()
        if len(request.calls) == 1:
            c = request.calls[0]
            data = _calldata("execute_relayed", grant, self._presented(signed), c.target, c.value, c.data, relay)
        else:
            data = _calldata("executeBatch_relayed", grant, self._presented(signed), [c.as_tuple() for c in request.calls], relay)
        return self._send_session(signed, sender, data, list(request.calls), "relay")

    # ------------------------------------------------------------ revocation

    def revoke(self, grant: Grant | SignedGrant | bytes | str, principal: SignerLike | None = None, account: str | None = None) -> TxResult:
        """Revoke one grant at once (also one never used). By hash, `account` is needed."""
        if isinstance(grant, SignedGrant | Grant):
            inner = grant.grant if isinstance(grant, SignedGrant) else grant
            grant_hash, account = self.hash(inner), inner.account
        else:
            grant_hash = _hash32(grant)
            if account is None:
                raise InvalidInput("revoking by hash needs the account the grant belongs to (account=...)")
        account = check_address(account, "account")
        ctx = RevertContext(action="revoke", account=account, grant_hash="0x" + grant_hash.hex(), chain_id=self.chain_id)
        receipt = self.accounts.send_as_owner(
            account, self.address, _calldata("revoke", grant_hash), 0, self._owner_signer(principal),
            "revoke a grant of", ctx,
        )
        return result(receipt, grant_hash="0x" + grant_hash.hex())

    def revoke_all(self, account: str, principal: SignerLike | None = None) -> TxResult:
        """Revoke every grant of `account`, used or not, at once (the epoch moves on)."""
        account = check_address(account, "account")
        ctx = RevertContext(action="revoke all grants of", account=account, chain_id=self.chain_id)
        receipt = self.accounts.send_as_owner(
            account, self.address, _calldata("revokeAll"), 0, self._owner_signer(principal), "revoke all grants of", ctx
        )
        return result(receipt)

    def renounce(self, grant: SignedGrant | Grant, key: SignerLike | None = None) -> TxResult:
        """The session key gives up its grant, at once and for good."""
        inner = grant.grant if isinstance(grant, SignedGrant) else grant
        sender = self._signer(key, "renounce a grant")
        receipt = send_checked(
            self.w3, sender, self.address, _calldata("renounce", inner.as_tuple()), self._ctx("renounce", inner),
            timeout=self.timeout,
        )
        return result(receipt, inner.agent_id, grant_hash="0x" + self.hash(inner).hex())

    def set_max_session_length(self, account: str, seconds: int, principal: SignerLike | None = None) -> TxResult:
        """Set the longest window the account's grants may have (0: the 7-day default).
        Checked on every use: shortening it also cuts off longer grants already out."""
        account = check_address(account, "account")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_SESSION_CEILING:
            raise InvalidInput(f"a maximum session length is 0 to {MAX_SESSION_CEILING:,} seconds, got {seconds!r}")
        ctx = RevertContext(action="set the maximum session length of", account=account, chain_id=self.chain_id)
        receipt = self.accounts.send_as_owner(
            account, self.address, _calldata("setMaxSessionLength", seconds), 0, self._owner_signer(principal),
            "set the maximum session length of", ctx,
        )
        return result(receipt)

    # ------------------------------------------------------------ internals

    def _bound(self, grant: SignedGrant) -> SignedGrant:
        if not isinstance(grant, SignedGrant):
            raise InvalidInput("pass the SignedGrant returned by Sessions.sign / Sessions.issue (or SignedGrant.from_json)")
        if grant.chain_id != self.chain_id or grant.manager != self.address:
            raise InvalidInput(
                f"the grant was made for chain {grant.chain_id} and manager {grant.manager}, not for "
                f"chain {self.chain_id} and manager {self.address}; grants are bound to one chain and manager"
            )
        return grant

    def _batch(self, calls: Iterable[Call | Sequence[Any]]) -> list[Call]:
        batch = calls_of(calls)
        if not 1 <= len(batch) <= MAX_BATCH:
            raise InvalidInput(f"a session batch has 1 to {MAX_BATCH} calls, got {len(batch)}")
        for i, c in enumerate(batch):
            if len(batch) > 1 and len(c.data) > MAX_BATCH_CALLDATA:
                raise InvalidInput(f"call {i} carries {len(c.data):,} bytes; batched calls carry at most {MAX_BATCH_CALLDATA:,}")
        return batch

    def _presented(self, grant: SignedGrant) -> bytes:
        """The grant signature to send: none once the grant is active (saves calldata)."""
        with translate(self.w3):
            state = int(self.contract.functions.stateOf(grant.grant.account, grant.hash).call())
        return b"" if state & 255 == 1 else grant.signature

    def _ctx(self, action: str, grant: Grant) -> RevertContext:
        return RevertContext(
            action=action,
            agent_id=grant.agent_id,
            account=grant.account,
            session_key=grant.session_key,
            grant_hash="0x" + self.hash(grant).hex(),
            valid_after=grant.valid_after,
            valid_until=grant.valid_until,
            chain_id=self.chain_id,
        )

    def _send_session(self, signed: SignedGrant, sender: Signer, data: bytes, calls: list[Call], action: str) -> TxResult:
        receipt: TxReceipt = send_checked(
            self.w3, sender, self.address, data, self._ctx(action, signed.grant),
            timeout=self.timeout, explain=self._explainer(signed.grant, calls),
        )
        return result(receipt, signed.grant.agent_id, grant_hash="0x" + signed.hash.hex())

    def _explainer(self, grant: Grant, calls: list[Call]) -> Any:
        def explain(error: CharterError, ctx: RevertContext) -> CharterError:
            if not isinstance(error, ContractRevert) or not error.reason:
                return error
            try:
                extra = self._facts(error, grant, calls)
            except CharterError:
                extra = {}
            return map_revert(error.reason, dataclasses.replace(ctx, **extra))

        return explain

    def _facts(self, error: ContractRevert, grant: Grant, calls: list[Call]) -> dict[str, Any]:
        """What to add to a refusal: the refused call and rule, what is left."""
        if isinstance(error, OutOfScope) and error.call is not None and error.call < len(calls):
            return {"detail": _describe_refused_call(grant, calls[error.call], error.argument)}
        if isinstance(error, OverBudget):
            state = self.state(grant)
            if error.reason.startswith("sessions: over token budget"):
                index = int(error.reason.rsplit(" ", 1)[1])
                token = grant.token_budgets[index] if index < len(grant.token_budgets) else None
                if token is None:
                    return {}
                left = next(t.left for t in state.tokens if t.token == token.token)
                asked = sum(_token_amount(c) for c in calls if c.target == token.token)
                per = f" per {token.period:,} s" if token.period else ""
                return {"budget": token.token, "left": left, "detail": f"cap {token.cap:,}{per}, this asked for {asked:,}"}
            if "call limit" in error.reason:
                return {"budget": "calls", "left": state.calls_left, "detail": f"limit {grant.max_calls:,}, {len(calls)} more asked"}
            asked = sum(c.value for c in calls)
            return {"budget": "native", "left": state.native_left, "detail": f"budget {grant.native_budget:,} wei, this sends {asked:,}"}
        return {}

    def _owner_signer(self, principal: SignerLike | None) -> Signer:
        return self._signer(principal, "act for the account")


def _hash32(value: bytes | str) -> bytes:
    data = bytes(HexBytes(value))
    if len(data) != 32:
        raise InvalidInput(f"a grant hash is 32 bytes (0x + 64 hex digits), got {value!r}")
    return data


def _token_amount(call: Call) -> int:
    signature = TOKEN_SELECTORS.get(call.selector)
    if signature is None:
        return 0
    offset = 68 if signature.startswith("transferFrom") else 36
    if len(call.data) < offset + 32:
        return 0
    return int.from_bytes(call.data[offset : offset + 32], "big")


def _describe_refused_call(grant: Grant, call: Call, argument: int | None) -> str:
    selector = "0x" + call.selector.hex() if call.data else "no calldata"
    function = TOKEN_SELECTORS.get(call.selector, selector)
    text = f"{function} on {call.target}, {call.value:,} wei"
    matching = [i for i, p in enumerate(grant.permissions) if p.target == call.target and p.selector == call.selector]
    if not matching:
        allowed = "; ".join(grant.describe()[: len(grant.permissions)])
        return f"{text}; the grant allows: {allowed}"
    p = matching[0]
    if argument is None:
        return f"{text}; at most {grant.permissions[p].max_value:,} wei per call"
    offset = 4 + 32 * argument
    got = int.from_bytes(call.data[offset : offset + 32], "big") if len(call.data) >= offset + 32 else None
    rules = merge_one_of([describe_condition(c) for c in grant.conditions if c.permission == p and c.index == argument])
    value = Web3.to_checksum_address(f"0x{got:040x}") if got is not None and 2**100 <= got < 2**160 else (f"{got:,}" if got is not None else "missing")
    return f"{text}; argument {argument} is {value}, the grant needs {' and '.join(rules)}"


def grant_from_tuple(raw: Sequence[Any]) -> Grant:
    """A :class:`Grant` from the ABI tuple (as decoded from calldata)."""
    (account, agent_id, key, after, until, epoch, max_calls, interval, native, salt, permissions, conditions, budgets) = raw
    return Grant(
        account=account, agent_id=agent_id, session_key=key, valid_after=after, valid_until=until,
        epoch=epoch, max_calls=max_calls, min_interval=interval, native_budget=native, salt=salt,
        permissions=tuple({"target": t, "selector": s, "max_value": v} for t, s, v in permissions),  # type: ignore[misc]
        conditions=tuple({"permission": p, "index": i, "op": o, "value": v} for p, i, o, v in conditions),  # type: ignore[misc]
        token_budgets=tuple({"token": t, "cap": c, "period": p} for t, c, p in budgets),  # type: ignore[misc]
    )


__all__ = [
    "DEFAULT_REQUEST_LIFETIME",
    "GrantRecord",
    "GrantState",
    "GrantStatus",
    "SessionRequest",
    "Sessions",
    "SignedGrant",
    "TokenAllowance",
    "grant_from_tuple",
]

"""Client of the SessionManager: grant, use, relay, revoke and inspect session keys.

    sessions = charter.sessions
    grant = sessions.prepare(
        sessions.builder(account, agent_id, agent_key.address)
        .allow_transfer(token, to=bob, max_amount=100)
        .token_budget(token, cap=100)
        .valid_for(hours=1)
    )
    signed = sessions.sign(grant, principal)          # free: nothing is sent (watch=[...] checks more tokens)
    sessions.execute(signed, Call.to(token, "transfer(address,uint256)", bob, 40), key=agent_key)
    request = sessions.sign_request(signed, [call], key=agent_key)   # gasless for the agent
    sessions.relay(request, relayer=anyone)
    sessions.revoke_all(account, principal)

One signature for grants on several chains (EOA and EIP-7702 accounts): one
``Sessions`` per chain, :func:`~charter.sessions.multichain.sign_multi_chain`,
then each chain's entry (``multi.entry(chain_id)``) is used there as any grant;
its first use activates it (:meth:`Sessions.activate`).

Grants travel as :class:`SignedGrant` (JSON: ``signed.to_json()``), requests as
:class:`SessionRequest`. Every refusal raises a typed exception from
:mod:`charter.exceptions` that names the refused call, argument or budget and
what is left of it.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxReceipt

from .._core.checks import check_address
from .._core.deployments import ZERO_ADDRESS
from .._core.eip712 import sign_typed, typed_data_digest
from .._core.revert import RevertContext, map_revert, translate
from .._core.signers import LocalSigner, Signer, SignerLike
from .._core.tx import Explain, TxResult, expect_event, result, send_checked
from ..accounts.models import AccountKind, Call, calls_of
from ..accounts.typed_data import account_message_typed_data
from ..exceptions import (
    AgentChangedHands,
    AgentConsentMissing,
    AgentRetired,
    CharterError,
    ContractRevert,
    GrantExists,
    InvalidInput,
    UnknownAgent,
)
from .allowances import Standing, refusal, standing_allowances
from .builder import GrantBuilder, ensure_grant
from .calldata import calldata
from .errors import facts
from .models import (
    MAX_BATCH,
    MAX_BATCH_CALLDATA,
    MAX_CALLDATA,
    MAX_SESSION_CEILING,
    Grant,
    SessionRequest,
    SignedGrant,
)
from .revocations import SignedRevocation
from .typed_data import request_typed_data
from .view import SessionsView

DEFAULT_REQUEST_LIFETIME = 300
"""Default validity of a relayed request, in seconds."""

_RETIRED = 2
_USED = 1
_REVOKED = 2
"""The stored status of a grant the manager accepted (``grant_state.USED``)."""


class NotYetACharterAccountWarning(UserWarning):
    """A grant was signed for an account that is not (yet) a Charter account of this manager."""


class Sessions(SessionsView):
    """Typed client of one SessionManager: what :class:`SessionsView` reads, plus
    issuing grants, session calls, relaying and revocation."""

    def __repr__(self) -> str:
        return f"<Sessions {self.address}>"

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
        generation = self._usable_agent(builder.agent_id)
        grant = builder.build(now=self.chain_time(), epoch=self.epoch_of(account))
        grant = grant.model_copy(update={"agent_generation": generation})
        forbidden = {account: "the account itself", self.address: "the SessionManager", self.registry: "the registry"}
        for p in grant.permissions:
            if p.target in forbidden:
                raise InvalidInput(
                    f"a session may never call {forbidden[p.target]} ({p.target}); allow the "
                    "contracts the agent works with instead"
                )
        return grant

    def standing_allowances(self, grant: Grant, watch: Iterable[str] = ()) -> list[Standing]:
        """The standing allowances that would let an allowed target of `grant` pull a token
        the grant neither budgets nor guards: ERC-20 allowances from the account to a
        permission target, and live Permit2 allowances (when Permit2 is on this chain).
        Checked tokens: `watch`, the permission targets and the addresses in the
        conditions that answer ERC-20 ``allowance``. Reads only."""
        return standing_allowances(self.w3, ensure_grant(grant), watch, now=self.chain_time())

    def check_allowances(self, grant: Grant, watch: Iterable[str] = ()) -> None:
        """Refuse `grant` (:class:`~charter.exceptions.StandingAllowance`, naming the token,
        the spender, the command that revokes the allowance, and the budget or guard that
        would bound the token instead) when :meth:`standing_allowances` finds any.
        :meth:`sign` and :meth:`issue` call it before anything is signed or sent, with
        the check that every budgeted or guarded token has code on this chain (the
        manager refuses the grant otherwise: ``sessions: token has no code``)."""
        for budget in ensure_grant(grant).token_budgets:
            if not self.w3.eth.get_code(Web3.to_checksum_address(budget.token)):
                raise InvalidInput(
                    f"token {budget.token} has no code on chain {self.chain_id}: a token budget or guard "
                    "must name an ERC-20 deployed on the grant's chain (check the address and the chain)"
                )
        found = self.standing_allowances(grant, watch)
        if found:
            raise refusal(found)

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

    def consent_implied(self, grant: Grant) -> bool:
        """Whether the agent's consent to `grant`'s session key needs no signature: the
        key is the agent's wallet, or the account is the agent's owner or wallet."""
        return _implied(grant, *self.agent_signers(grant.agent_id))

    def consent(self, grant: Grant, agent: SignerLike | None = None) -> bytes:
        """The agent's consent to `grant`'s session key: its owner's or wallet's
        signature of the grant (the same EIP-712 digest the account signs).
        The principal passes it to :meth:`sign` or :meth:`issue` as `agent_consent`."""
        grant = self._current(grant)
        signer = self._signer(agent, "consent for an agent")
        return self._signed_consent(grant, signer, *self.agent_signers(grant.agent_id))

    def sign(
        self,
        grant: Grant,
        principal: SignerLike | None = None,
        *,
        agent_consent: bytes | str | SignerLike | None = None,
        watch: Iterable[str] = (),
    ) -> SignedGrant:
        """The account's off-chain signature of `grant` (costs nothing; the agent
        presents it on first use). See :meth:`signing_typed_data` for what is signed.

        Refused before anything is signed when the agent is unknown, retired or
        was transferred since :meth:`prepare`, or has not consented to the
        session key: pass its owner's or wallet's signature (:meth:`consent`) or
        signer as `agent_consent` unless consent is implied (:meth:`consent_implied`).
        Refused with :class:`~charter.exceptions.StandingAllowance` when an allowed
        target holds a standing allowance from the account over a token the grant
        neither budgets nor guards (:meth:`check_allowances`; `watch` names more
        tokens to check). An account that is not (yet) a Charter account only gets
        a warning: the grant works once it is one.
        """
        grant = ensure_grant(grant)
        signer = self._signer(principal, "sign a grant")
        self.check_allowances(grant, watch)
        account = grant.account
        if self.accounts.kind(account) is None:
            warnings.warn(
                f"{account} is not a Charter account of the SessionManager {self.address} on chain "
                f"{self.chain_id} (yet): the grant is refused on use until it is one. Upgrade the EOA with "
                "EIP-7702 (charter.accounts.upgrade / `charter account upgrade`) or deploy an account",
                NotYetACharterAccountWarning,
                stacklevel=2,
            )
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
        consent = self._agent_consent(grant, agent_consent, signer)
        signature = sign_typed(signer, typed)
        return SignedGrant(
            grant=grant, chain_id=self.chain_id, manager=self.address, signature=signature, agent_consent=consent
        )

    def grant(
        self,
        builder: GrantBuilder,
        principal: SignerLike | None = None,
        *,
        on_chain: bool = False,
        agent_consent: bytes | str | SignerLike | None = None,
        watch: Iterable[str] = (),
    ) -> tuple[SignedGrant, TxResult | None]:
        """:meth:`prepare` then :meth:`sign` (free), or :meth:`issue` with `on_chain`
        (both refuse a standing allowance over an unbounded token; `watch` names more tokens)."""
        prepared = self.prepare(builder)
        if on_chain:
            return self.issue(prepared, principal, agent_consent=agent_consent, watch=watch)
        return self.sign(prepared, principal, agent_consent=agent_consent, watch=watch), None

    def issue(
        self,
        grant: Grant,
        principal: SignerLike | None = None,
        *,
        agent_consent: bytes | str | SignerLike | None = None,
        watch: Iterable[str] = (),
    ) -> tuple[SignedGrant, TxResult]:
        """Issue `grant` on-chain (the owner sends ``account.execute(manager, issue(grant, consent))``).

        Refused before sending as :meth:`sign` is (standing allowances included,
        with the tokens in `watch`), and when the account is not a Charter
        account of this manager. Returns the grant to hand to the agent (no
        signature needed) and the transaction, once its ``GrantActivated``
        event is seen.
        """
        grant = ensure_grant(grant)
        owner_signer = self._owner_signer(principal)
        self.check_allowances(grant, watch)
        consent = self._agent_consent(grant, agent_consent, owner_signer)
        self.accounts.ensure_charter_account(grant.account)
        ctx = self._ctx("issue", grant)
        receipt = self.accounts.send_as_owner(
            grant.account, self.address, calldata("issue", grant.as_tuple(), consent), 0,
            owner_signer, "issue a grant for", ctx, self._explainer(grant, []),
        )
        signed = SignedGrant(grant=grant, chain_id=self.chain_id, manager=self.address)
        expect_event(
            receipt, self.contract, "GrantActivated", grantHash=signed.hash, subject=f"grant 0x{signed.hash.hex()}",
            effect="nothing was issued", hint=f"that {grant.account} is a Charter account of this manager",
        )
        return signed, result(receipt, grant.agent_id, grant_hash="0x" + signed.hash.hex())

    # ------------------------------------------------------------ use

    def execute(self, grant: SignedGrant, call: Call, key: SignerLike | None = None) -> TxResult:
        """The session key makes one call from the account under `grant`.

        A multi-chain grant's entry not used yet is first activated by the key
        (:meth:`activate`: a transaction of its own, then the call)."""
        signed = self._bound(grant)
        call = calls_of([call])[0]
        if len(call.data) > MAX_CALLDATA:
            raise InvalidInput(
                f"a session call carries at most {MAX_CALLDATA:,} bytes of calldata, got {len(call.data):,}"
            )
        sender = self._signer(key, "execute a session call")
        presented, activated = self._presented(signed, sender)
        data = calldata("execute", signed.grant.as_tuple(), presented, call.target, call.value, call.data)
        return self._send_session(signed, sender, data, [call], "execute", activated)

    def execute_batch(
        self, grant: SignedGrant, calls: Iterable[Call | Sequence[Any]], key: SignerLike | None = None
    ) -> TxResult:
        """The session key makes several calls, all or nothing; budgets are running totals
        (a multi-chain grant's entry not used yet is first activated, as for :meth:`execute`)."""
        signed = self._bound(grant)
        batch = self._batch(calls)
        sender = self._signer(key, "execute session calls")
        presented, activated = self._presented(signed, sender)
        data = calldata("executeBatch", signed.grant.as_tuple(), presented, [c.as_tuple() for c in batch])
        return self._send_session(signed, sender, data, batch, "execute", activated)

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
        :data:`DEFAULT_REQUEST_LIFETIME` seconds from now. A multi-chain grant's
        entry not used yet is activated by the relayer (:meth:`relay`) before the calls.
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

    def request_typed_data(
        self, grant: SignedGrant, calls: Sequence[Call], nonce: int, deadline: int
    ) -> dict[str, Any]:
        """The EIP-712 message a session key signs for a relayed request."""
        return request_typed_data(grant.hash, calls, nonce, deadline, self.chain_id, self.address)

    def request_digest(self, request: SessionRequest) -> bytes:
        return typed_data_digest(self.request_typed_data(request.grant, request.calls, request.nonce, request.deadline))

    def relay(self, request: SessionRequest, relayer: SignerLike | None = None) -> TxResult:
        """Send a signed request; the relayer pays the gas, the session key's signature authorizes
        (and the relayer first activates a multi-chain grant's entry not used yet: :meth:`activate`)."""
        signed = self._bound(request.grant)
        sender = self._signer(relayer, "relay a session request")
        relay = (request.nonce, request.deadline, request.signature)
        grant = signed.grant.as_tuple()
        presented, activated = self._presented(signed, sender)
        if len(request.calls) == 1:
            c = request.calls[0]
            data = calldata("execute_relayed", grant, presented, c.target, c.value, c.data, relay)
        else:
            data = calldata("executeBatch_relayed", grant, presented, [c.as_tuple() for c in request.calls], relay)
        return self._send_session(signed, sender, data, list(request.calls), "relay", activated)

    def activate(self, grant: SignedGrant, sender: SignerLike | None = None) -> TxResult:
        """Activate this chain's entry of a multi-chain grant (the manager's ``activate``): the
        signatures are the authority, so anyone may send it (`sender`; default: the client's
        signer). :meth:`execute`, :meth:`execute_batch` and :meth:`relay` do it by themselves on
        first use. Returns the transaction, once its ``GrantActivated`` event is seen; nothing
        is sent when the entry is active already (``sent`` False). Refused (typed, before
        anything is sent) when the entry was revoked, is not one of the signed list's on this
        chain and manager, or the account's signature or the agent's consent does not verify.
        """
        signed = self._bound(grant)
        if not signed.grants:
            raise InvalidInput(
                f"grant 0x{signed.hash.hex()} is a grant of one chain: it needs no activation (its first session "
                "call presents its signature); activate takes a multi-chain grant's entry (MultiChainGrant.entry)"
            )
        with translate(self.w3):
            state = int(self.contract.functions.stateOf(signed.grant.account, signed.hash).call())
        if state & 255 == _USED:
            with translate(self.w3):
                block = int(self.w3.eth.block_number)
            return TxResult(
                tx_hash="", block_number=block, gas_used=0, agent_id=signed.grant.agent_id,
                grant_hash="0x" + signed.hash.hex(), sent=False,
                note=f"grant 0x{signed.hash.hex()} is active on chain {self.chain_id} already: nothing to activate",
            )
        signer = self._signer(sender, "activate a multi-chain grant")
        data = calldata(
            "activate", signed.grant.as_tuple(), bytes(signed.signature), bytes(signed.agent_consent),
            list(signed.grants),
        )
        receipt = send_checked(
            self.w3, signer, self.address, data, self._ctx("activate", signed.grant), timeout=self.timeout,
            explain=self._explainer(signed.grant, []),
        )
        expect_event(
            receipt, self.contract, "GrantActivated", grantHash=signed.hash, account=signed.grant.account,
            subject=f"grant 0x{signed.hash.hex()}", effect="nothing was activated",
            hint=f"that {self.address} is this chain's SessionManager",
        )
        return result(receipt, signed.grant.agent_id, grant_hash="0x" + signed.hash.hex())

    # ------------------------------------------------------------ revocation

    def revoke(
        self, grant: Grant | SignedGrant | bytes | str, principal: SignerLike | None = None, account: str | None = None
    ) -> TxResult:
        """Revoke one grant at once (also one never used). By hash, `account` is needed."""
        if isinstance(grant, SignedGrant | Grant):
            inner = grant.grant if isinstance(grant, SignedGrant) else grant
            grant_hash, account = self.hash(inner), inner.account
        else:
            grant_hash = _hash32(grant)
            if account is None:
                raise InvalidInput("revoking by hash needs the account the grant belongs to (account=...)")
        account = check_address(account, "account")
        self.accounts.ensure_charter_account(account)
        ctx = RevertContext(
            action="revoke", account=account, grant_hash="0x" + grant_hash.hex(), chain_id=self.chain_id
        )
        receipt = self.accounts.send_as_owner(
            account, self.address, calldata("revoke", grant_hash), 0, self._owner_signer(principal),
            "revoke a grant of", ctx,
        )
        expect_event(
            receipt, self.contract, "GrantRevoked", grantHash=grant_hash, account=account,
            subject=f"grant 0x{grant_hash.hex()} from account {account}", effect="nothing was revoked",
            hint=f"that {account} is a Charter account of this SessionManager (`charter account show`)",
        )
        return result(receipt, grant_hash="0x" + grant_hash.hex())

    def revoke_all(self, account: str, principal: SignerLike | None = None) -> TxResult:
        """Revoke every grant of `account`, used or not, at once (the epoch moves on)."""
        account = check_address(account, "account")
        self.accounts.ensure_charter_account(account)
        ctx = RevertContext(action="revoke all grants of", account=account, chain_id=self.chain_id)
        receipt = self.accounts.send_as_owner(
            account, self.address, calldata("revokeAll"), 0, self._owner_signer(principal), "revoke all grants of", ctx
        )
        expect_event(
            receipt, self.contract, "AllGrantsRevoked", account=account, subject=f"account {account}",
            effect="nothing was revoked",
            hint=f"that {account} is a Charter account of this SessionManager (`charter account show`)",
        )
        return result(receipt)

    def submit_revocation(self, revocation: SignedRevocation, sender: SignerLike | None = None) -> TxResult:
        """Apply a revocation the account signed once for every chain (:mod:`charter.sessions.revocations`)
        on this chain; anyone may send it (`sender`; default: the client's signer). Nothing is sent
        when this chain applied it already (``sent`` False: a nonce counts once, revoked grants stay
        so). Returns the transaction once the manager's ``RevokeAllSigned`` or ``RevokeGrantsSigned``
        shows it was applied."""
        if revocation.manager != self.address:
            raise InvalidInput(
                f"the revocation was signed for the SessionManager {revocation.manager}, not {self.address}"
            )
        account = revocation.account
        with translate(self.w3):
            if revocation.revokes_all:
                done = int(self.contract.functions.stateOf(account, revocation.digest).call()) != 0
            else:
                done = all(
                    int(self.contract.functions.stateOf(account, h).call()) & 255 == _REVOKED
                    for h in revocation.grants
                )
            block = int(self.w3.eth.block_number)
        if done:
            return TxResult(tx_hash="", block_number=block, gas_used=0, sent=False,
                            note=f"chain {self.chain_id} applied this revocation already: nothing to send")
        signer = self._signer(sender, "submit a signed revocation")
        if revocation.revokes_all:
            data = calldata("revokeAllSigned", account, revocation.nonce, bytes(revocation.signature))
            event = "RevokeAllSigned"
        else:
            data = calldata("revokeGrantsSigned", account, list(revocation.grants), bytes(revocation.signature))
            event = "RevokeGrantsSigned"
        ctx = RevertContext(action="revoke (signed) grants of", account=account, chain_id=self.chain_id)
        receipt = send_checked(self.w3, signer, self.address, data, ctx, timeout=self.timeout)
        expect_event(receipt, self.contract, event, account=account, subject=revocation.describe(),
                     effect="nothing was revoked")
        return result(receipt)

    def renounce(self, grant: SignedGrant | Grant, key: SignerLike | None = None) -> TxResult:
        """The session key gives up its grant, at once and for good."""
        inner = grant.grant if isinstance(grant, SignedGrant) else grant
        sender = self._signer(key, "renounce a grant")
        receipt = send_checked(
            self.w3, sender, self.address, calldata("renounce", inner.as_tuple()), self._ctx("renounce", inner),
            timeout=self.timeout,
        )
        grant_hash = self.hash(inner)
        expect_event(
            receipt, self.contract, "GrantRevoked", grantHash=grant_hash, account=inner.account,
            revokedBy=sender.address, subject=f"grant 0x{grant_hash.hex()} renounced by {sender.address}",
            effect="nothing was renounced", hint=f"that {self.address} is this chain's SessionManager",
        )
        return result(receipt, inner.agent_id, grant_hash="0x" + grant_hash.hex())

    def set_max_session_length(self, account: str, seconds: int, principal: SignerLike | None = None) -> TxResult:
        """Set the longest window the account's grants may have (0: the 7-day default).
        Checked on every use: shortening it also cuts off longer grants already out."""
        account = check_address(account, "account")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_SESSION_CEILING:
            raise InvalidInput(f"a maximum session length is 0 to {MAX_SESSION_CEILING:,} seconds, got {seconds!r}")
        self.accounts.ensure_charter_account(account)
        ctx = RevertContext(action="set the maximum session length of", account=account, chain_id=self.chain_id)
        receipt = self.accounts.send_as_owner(
            account, self.address, calldata("setMaxSessionLength", seconds), 0, self._owner_signer(principal),
            "set the maximum session length of", ctx,
        )
        expect_event(
            receipt, self.contract, "MaxSessionLengthSet", account=account, subject=f"account {account}",
            effect="the maximum session length did not change",
            hint=f"that {account} is a Charter account of this SessionManager (`charter account show`)",
        )
        return result(receipt)

    # ------------------------------------------------------------ internals

    def _bound(self, grant: SignedGrant) -> SignedGrant:
        if not isinstance(grant, SignedGrant):
            raise InvalidInput(
                "pass the SignedGrant returned by Sessions.sign / Sessions.issue (or SignedGrant.from_json)"
            )
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
                raise InvalidInput(
                    f"call {i} carries {len(c.data):,} bytes; batched calls carry at most {MAX_BATCH_CALLDATA:,}"
                )
        return batch

    def _presented(self, grant: SignedGrant, activator: Signer) -> tuple[bytes, TxResult | None]:
        """The grant signature to send: none once the grant is active (saves calldata),
        else abi.encode(account signature, agent consent); a multi-chain grant's entry
        is activated first (by `activator`: that transaction is returned too), then presents none."""
        with translate(self.w3):
            state = int(self.contract.functions.stateOf(grant.grant.account, grant.hash).call())
        if state & 255 == _USED:
            return b"", None
        if grant.grants:
            try:
                return b"", self.activate(grant, activator)
            except GrantExists:  # activated meanwhile by someone else (a relayer, another call): in force
                return b"", None
        return grant.first_use_signature, None

    def _usable_agent(self, agent_id: int) -> int:
        """The agent's current generation; refuses unknown and retired agents
        (a paused agent's grant works once it is resumed: a warning)."""
        generation = self.agent_generation(agent_id)
        if generation == 0:
            raise UnknownAgent(
                f"agent {agent_id} is not registered in the registry {self.registry} on chain {self.chain_id}; "
                "register the agent first (charter.registry.register / `charter agent register`), then grant its key"
            )
        with translate(self.w3):
            status = int(self.registry_contract.functions.statusOf(agent_id).call())
        if status == _RETIRED:
            raise AgentRetired(
                f"agent {agent_id} is retired, and retirement is final: its grants can never act; "
                "register a new agent for this work and grant that agent's key"
            )
        if status != 0:
            warnings.warn(
                f"agent {agent_id} is paused: its grants act only once its owner resumes it", stacklevel=3
            )
        return generation

    def _current(self, grant: Grant) -> Grant:
        """`grant`, refused unless it names the agent's current generation."""
        generation = self._usable_agent(grant.agent_id)
        if grant.agent_generation != generation:
            raise AgentChangedHands(
                f"the grant is for generation {grant.agent_generation} of agent {grant.agent_id}, but the agent "
                f"is at generation {generation} (it changed hands): prepare the grant again and get the new "
                "owner's consent"
            )
        return grant

    def _agent_consent(
        self, grant: Grant, given: bytes | str | SignerLike | None, principal: Signer | None = None
    ) -> bytes:
        """The consent bytes to present for `grant`, checked before anything is signed or sent.
        A principal who is itself the agent's owner or wallet (say, the owner of a deployed
        account granting its own agent) consents with the same key."""
        grant = self._current(grant)
        given = consent_given(given, "the grant")
        owner, wallet = self.agent_signers(grant.agent_id)
        if _implied(grant, owner, wallet):
            return b""
        if given is None and principal is not None and principal.address in (owner, wallet):
            given = principal
        if given is None:
            raise AgentConsentMissing(
                f"agent {grant.agent_id} has not consented to session key {grant.session_key}: the key is not "
                f"the agent's wallet and the account is not its owner {owner}. Have the agent's owner (or "
                "wallet) consent: pass its signer as agent_consent (or its signature of the grant, "
                "sessions.consent(grant, agent_owner)); on the CLI, --agent-key-env VAR naming an environment "
                "variable that holds its key, or --agent-consent SIG. Or use the agent's wallet as the session key"
            )
        if isinstance(given, bytes):
            consent = given
            signers = {owner, wallet} - {ZERO_ADDRESS}
            try:
                recovered = Account._recover_hash(self.hash(grant), signature=consent)
            except Exception:  # noqa: BLE001 - malformed: judged below
                recovered = None
            contract_signer = any(self.w3.eth.get_code(Web3.to_checksum_address(a)) for a in signers)
            if recovered not in signers and not contract_signer:
                raise AgentConsentMissing(
                    f"the agent consent given is not a signature of this grant by agent {grant.agent_id}'s "
                    f"{_consenters(owner, wallet)} (it recovers to {recovered}); have one of them sign grant "
                    f"0x{self.hash(grant).hex()}"
                )
            return consent
        return self._signed_consent(grant, self._signer(given, "consent for an agent"), owner, wallet)

    def _signed_consent(self, grant: Grant, signer: Signer, owner: str, wallet: str) -> bytes:
        if signer.address not in (owner, wallet):
            raise InvalidInput(
                f"{signer.address} cannot consent for agent {grant.agent_id}: only its "
                f"{_consenters(owner, wallet)} can; sign with one of them"
            )
        return sign_typed(signer, self.typed_data(grant))

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

    def _send_session(
        self, signed: SignedGrant, sender: Signer, data: bytes, calls: list[Call], action: str,
        activated: TxResult | None = None,
    ) -> TxResult:
        receipt: TxReceipt = send_checked(
            self.w3, sender, self.address, data, self._ctx(action, signed.grant),
            timeout=self.timeout, explain=self._explainer(signed.grant, calls),
        )
        note = None
        if activated is not None and activated.sent:
            note = (f"the multi-chain grant's entry for chain {self.chain_id} was activated first (tx "
                    f"{activated.tx_hash}, block {activated.block_number}, {activated.gas_used:,} gas)")
        return result(receipt, signed.grant.agent_id, grant_hash="0x" + signed.hash.hex(), note=note)

    def _explainer(self, grant: Grant, calls: list[Call]) -> Explain:
        def explain(error: CharterError, ctx: RevertContext) -> CharterError:
            if not isinstance(error, ContractRevert) or not error.reason:
                return error
            try:
                extra = facts(error, grant, calls, lambda: self.state(grant))
            except CharterError:
                extra = {}
            return map_revert(error.reason, dataclasses.replace(ctx, **extra))

        return explain

    def _owner_signer(self, principal: SignerLike | None) -> Signer:
        return self._signer(principal, "act for the account")


def _hash32(value: bytes | str) -> bytes:
    try:
        data = bytes(HexBytes(value))
    except (ValueError, TypeError):
        data = b""
    if len(data) != 32:
        raise InvalidInput(f"a grant hash is 32 bytes (0x + 64 hex digits), got {value!r}")
    return data


def consent_given(given: bytes | str | SignerLike | None, what: str) -> bytes | SignerLike | None:
    """`agent_consent` as a caller passes it: a signer, None, or a signature as bytes or 0x-hex
    text (of `what`, named in the error); 32 bytes are a private key, not a signature: the key consents."""
    if not isinstance(given, (bytes, bytearray, str)):
        return given
    try:
        raw = bytes(HexBytes(given))
    except (ValueError, TypeError):
        raise InvalidInput(f"agent_consent must be a 0x-hex signature of {what} (or the consenting signer)") from None
    return LocalSigner.from_key(raw) if len(raw) == 32 else raw


def _implied(grant: Grant, owner: str, wallet: str) -> bool:
    """The agent's consent needs no signature: the key is its wallet, or the account its owner or wallet."""
    return grant.session_key == wallet or grant.account in (owner, wallet)


def _consenters(owner: str, wallet: str) -> str:
    """Who may consent for an agent, in words."""
    return f"owner {owner}" + (f" or its wallet {wallet}" if wallet not in (ZERO_ADDRESS, owner) else "")

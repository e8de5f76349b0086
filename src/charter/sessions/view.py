"""Read-only client of the SessionManager: time, epochs, a grant's state, an account's grants.

    view = charter.sessions            # Sessions is a SessionsView that also signs and sends
    view.state(signed)                 # GrantState: status, calls, budgets left, nonce
    view.check_signature(signed)       # SignatureCheck: did the account sign exactly this grant?
    view.grants(account)               # GrantRecord per grant activated or revoked on chain

Reads need no signer.
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode as abi_encode
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3

from .._core.artifacts import abi
from .._core.chain import ChainClient
from .._core.checks import check_address
from .._core.deployments import view_address
from .._core.revert import format_time, translate
from .._core.signers import SignerLike
from ..accounts.client import Accounts
from ..exceptions import InvalidInput, NotDeployed
from .calldata import decode_grants
from .models import (
    SIGNATURE_MISMATCH,
    Grant,
    GrantRecord,
    GrantState,
    GrantStatus,
    SignatureCheck,
    SignedGrant,
    TokenAllowance,
)

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
"""``isValidSignature(bytes32,bytes)``'s selector: what a contract answers for a valid signature."""
_USED = 1
"""The stored status of a grant the manager accepted (``grant_state.USED``)."""
_REVOKED = 2
"""The stored status of a revoked grant (``grant_state.REVOKED``), used or not."""


class SessionsView(ChainClient):
    """Typed read-only client of one SessionManager."""

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
        # The read-only views (grantState, tokenAllowance) live in the manager's SessionView.
        self.view_address: ChecksumAddress = view_address(self.address)
        self.views = w3.eth.contract(address=self.view_address, abi=abi("SessionView"))
        self._registry: ChecksumAddress | None = None
        self._registry_contract: Any = None
        self._view_deployed = False

    @property
    def registry(self) -> ChecksumAddress:
        if self._registry is None:
            with translate(self.w3):
                self._registry = Web3.to_checksum_address(self.contract.functions.REGISTRY().call())
        return self._registry

    @property
    def registry_contract(self) -> Any:
        """The AgentRegistry the manager consults (generations, consent signers)."""
        if self._registry_contract is None:
            self._registry_contract = self.w3.eth.contract(address=self.registry, abi=abi("AgentRegistry"))
        return self._registry_contract

    def agent_signers(self, agent_id: int) -> tuple[ChecksumAddress, ChecksumAddress]:
        """Who may consent for `agent_id` to a session key: (owner, wallet); zero addresses if unknown."""
        with translate(self.w3):
            owner, wallet = self.registry_contract.functions.consentSigners(agent_id).call()
        return Web3.to_checksum_address(owner), Web3.to_checksum_address(wallet)

    def agent_generation(self, agent_id: int) -> int:
        """The agent's generation (1 at registration, one more per transfer); 0 if unknown."""
        with translate(self.w3):
            return int(self.registry_contract.functions.generationOf(agent_id).call())

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

    def check_signature(self, signed: SignedGrant) -> SignatureCheck:
        """Whether the account approved exactly `signed`, as the manager checks it on first use.

        Valid when the manager already holds the grant (issued on chain, or its
        signature checked on first use), when the signature recovers to the account's
        own key (an EOA or EIP-7702 account), or when the account, a contract,
        accepts it through ERC-1271 ``isValidSignature`` (read with ``eth_call``: a
        deployed account's owner). Otherwise not valid: a grant edited after it was
        signed, signed by another key or for another chain (:data:`SIGNATURE_MISMATCH`),
        or carrying no signature although it was never issued. Reads only.
        """
        if not isinstance(signed, SignedGrant):
            raise InvalidInput("check_signature takes a SignedGrant (SignedGrant.from_json reads a grant file)")
        if signed.chain_id != self.chain_id or signed.manager != self.address:
            raise InvalidInput(
                f"the grant was made for chain {signed.chain_id} and manager {signed.manager}, not for chain "
                f"{self.chain_id} and manager {self.address}; check it with a client of its chain"
            )
        account = Web3.to_checksum_address(signed.grant.account)
        digest = signed.hash
        with translate(self.w3):
            stored = int(self.contract.functions.stateOf(account, digest).call()) & 255
        if stored == _USED:
            return SignatureCheck(
                valid=True, method="on chain", account=account,
                reason="the SessionManager holds this grant (issued on chain, or its signature checked on first use)",
            )
        offline = signed.check_signature()
        if offline.valid:
            return offline
        if not signed.signature and stored == _REVOKED:
            return SignatureCheck(
                valid=None, method="none", account=account,
                reason="the grant carries no signature and was revoked: whether it was ever issued no longer matters",
            )
        if not signed.signature:
            return SignatureCheck(
                valid=False, method="none", account=account,
                reason="the grant carries no signature and the SessionManager has no record of it: it was changed "
                "after it was issued on chain, or never signed; ask the principal for the grant as issued",
            )
        with translate(self.w3):
            code = bytes(self.w3.eth.get_code(account))
        if code and self._erc1271_accepts(account, signed.signed_digest, bytes(signed.signature)):
            return SignatureCheck(valid=True, method="ERC-1271", account=account, signer=offline.signer,
                                  reason=f"accepted by the account {account} (ERC-1271 isValidSignature)")
        recovered = (f"it recovers to {offline.signer}" if offline.signer
                     else "it is not a valid 65-byte ECDSA signature")
        refused = ", and the account's ERC-1271 isValidSignature refuses it" if code else ""
        return SignatureCheck(
            valid=False, method="ERC-1271" if code else "ECDSA", account=account, signer=offline.signer,
            reason=f"{SIGNATURE_MISMATCH} ({recovered}, not the account {account}{refused}); use the grant file "
            "exactly as the principal signed it",
        )

    def _erc1271_accepts(self, account: ChecksumAddress, digest: bytes, signature: bytes) -> bool:
        data = ERC1271_MAGIC + abi_encode(["bytes32", "bytes"], [digest, signature])
        try:
            answer = bytes(self.w3.eth.call({"to": account, "data": HexBytes(data)}))
        except Exception:  # noqa: BLE001 - a revert, or no such function: not accepted
            return False
        return answer == ERC1271_MAGIC.ljust(32, b"\x00")

    def state(self, grant: Grant | SignedGrant) -> GrantState:
        """Status, calls, native and token budgets left, window and relay nonce of `grant`.

        For a :class:`SignedGrant` of this chain and manager, also whether its
        signature is the account's (:meth:`check_signature`): a grant changed after
        it was signed is reported with that `problem`, hence not `usable`."""
        signature = None
        if isinstance(grant, SignedGrant) and grant.chain_id == self.chain_id and grant.manager == self.address:
            signature = self.check_signature(grant)
        grant = grant.grant if isinstance(grant, SignedGrant) else grant
        if not self._view_deployed and not self.w3.eth.get_code(self.view_address):
            raise NotDeployed(
                f"no SessionView for the SessionManager {self.address} at {self.view_address} on chain "
                f"{self.chain_id}; deploy the suite (`charter deploy`) to read grant states"
            )
        self._view_deployed = True  # code, once there, stays: checked once per client
        with translate(self.w3):
            block = int(self.w3.eth.block_number)
            raw = self.views.functions.grantState(grant.as_tuple()).call(block_identifier=block)
            lefts = [
                int(self.views.functions.tokenAllowance(grant.as_tuple(), b.token).call(block_identifier=block))
                for b in grant.token_budgets
            ]
            problem = self._problem(grant, block)
        if signature is not None and signature.valid is False:
            problem = signature.reason
        return grant_state(grant, self.hash(grant), raw, lefts, block, problem=problem, signature=signature)

    def require_usable(self, grant: Grant | SignedGrant, purpose: str = "a session call") -> GrantState:
        """The grant's :meth:`state` when a use now would not be refused for the grant itself; else
        :class:`~charter.exceptions.InvalidInput` saying why (expired, not yet valid, revoked, its agent
        inactive or transferred, its calls used up, a signature that does not match...) and what to do.
        `purpose` names the use in the message ("a relayed request", ...)."""
        state = self.state(grant)
        if state.usable:
            return state
        status = state.status
        new_grant = "ask the principal for a new grant"
        what, advice = {
            GrantStatus.EXPIRED: (f"expired at {format_time(state.valid_until)}", new_grant),
            GrantStatus.NOT_YET_VALID: (f"not yet valid: it starts at {format_time(state.valid_after)}",
                                        "wait until then"),
            GrantStatus.REVOKED: ("revoked", new_grant),
            GrantStatus.REVOKED_ALL: ("revoked (the account revoked all its grants)", new_grant),
            GrantStatus.AGENT_INACTIVE: ("for an agent that is not active",
                                         "its owner resumes it (charter agent resume)"),
            GrantStatus.AGENT_TRANSFERRED: ("for an agent that changed hands", new_grant),
            GrantStatus.EXHAUSTED: ("used up (no calls left)", new_grant),
        }.get(status, (status.label, ""))
        if status.usable:  # pending or active, but refused all the same
            what, advice = f"{status.label}, but {state.problem}", ""
        tail = f"; {advice}" if advice else ""
        raise InvalidInput(f"grant 0x{self.hash(grant).hex()} is {what}: {purpose} under it would be refused{tail}")

    def _problem(self, grant: Grant, block: int) -> str | None:
        functions = self.contract.functions
        epoch = int(functions.epochOf(grant.account).call(block_identifier=block))
        if grant.epoch > epoch:
            return grant_problem(grant, epoch, 0, True)
        limit = int(functions.maxSessionLengthOf(grant.account).call(block_identifier=block))
        has_code = bool(self.w3.eth.get_code(Web3.to_checksum_address(grant.account), block_identifier=block))
        return grant_problem(grant, epoch, limit, has_code)

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
        return self.grants_in_input(data).get(grant_hash)

    def grants_in_input(self, data: bytes) -> dict[str, Grant]:
        """The grants a transaction's input carries (a session call, a relayed one, an activation,
        the owner's ``account.execute(manager, issue(...))`` or a batch of them), by their hash
        (0x-hex) on this chain and manager."""
        return {"0x" + self.hash(grant).hex(): grant for grant in decode_grants(data)}


def grant_problem(grant: Grant, epoch: int, max_session_length: int, has_code: bool) -> str | None:
    """Why a use of `grant` would be refused although the manager's status view does not say
    so (:attr:`GrantState.problem`), from the account's `epoch`, `max_session_length` and
    whether it `has_code`; None when nothing stands in the way."""
    if grant.epoch > epoch:
        return f"names epoch {grant.epoch} but the account is at epoch {epoch}: refused until then"
    if grant.valid_until - grant.valid_after > max_session_length:
        return (f"its window is longer than the account's maximum session length ({max_session_length:,} s): "
                "refused on use")
    if not has_code:
        return "the account has no code: deploy it or upgrade the EOA (EIP-7702)"
    return None


def grant_state(
    grant: Grant, grant_hash: bytes, raw: Any, lefts: list[int], block: int, *, problem: str | None = None,
    signature: SignatureCheck | None = None,
) -> GrantState:
    """A :class:`GrantState` from the SessionView's ``grantState(grant)`` answer (`raw`: its nine
    fields) and ``tokenAllowance(grant, token)`` per token budget (`lefts`, in budget order), read at
    `block`."""
    status, used, left, spent, native_left, last, after, until, nonce = raw
    return GrantState(
        grant_hash=grant_hash.hex(),
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
        tokens=tuple(
            TokenAllowance(token=b.token, cap=b.cap, period=b.period, left=amount)
            for b, amount in zip(grant.token_budgets, lefts, strict=True)
        ),
        block=block,
        signature=signature,
        problem=problem,
    )

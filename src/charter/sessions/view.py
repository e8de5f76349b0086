"""Read-only client of the SessionManager: time, epochs, a grant's state, an account's grants.

    view = charter.sessions            # Sessions is a SessionsView that also signs and sends
    view.state(signed)                 # GrantState: status, calls, budgets left, nonce
    view.grants(account)               # GrantRecord per grant activated or revoked on chain

Reads need no signer.
"""

from __future__ import annotations

from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3

from .._core.artifacts import abi
from .._core.chain import ChainClient
from .._core.checks import check_address
from .._core.deployments import view_address
from .._core.revert import translate
from .._core.signers import SignerLike
from ..accounts.client import Accounts
from ..exceptions import NotDeployed
from .calldata import decode_grant
from .models import (
    Grant,
    GrantRecord,
    GrantState,
    GrantStatus,
    SignedGrant,
    TokenAllowance,
)


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

    def state(self, grant: Grant | SignedGrant) -> GrantState:
        """Status, calls, native and token budgets left, window and relay nonce of `grant`."""
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
            tokens = tuple(
                TokenAllowance(
                    token=b.token,
                    cap=b.cap,
                    period=b.period,
                    left=int(
                        self.views.functions.tokenAllowance(grant.as_tuple(), b.token).call(block_identifier=block)
                    ),
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
        grant = decode_grant(data)
        return grant if grant is not None and "0x" + self.hash(grant).hex() == grant_hash else None

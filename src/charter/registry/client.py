"""Client of the AgentRegistry: ERC-8004 identity plus lifecycle and reverse lookup.

    registry = Registry(w3, address, signer=LocalSigner.from_key(key))
    agent_id = registry.register("ipfs://…", metadata={"name": "scout"})
    registry.set_agent_wallet(agent_id, wallet_signer)   # the wallet signs its proof
    registry.pause(agent_id)
    registry.agent(agent_id)    # AgentInfo(status=PAUSED, wallet=…, wallet_verified=True, …)

Reads need no signer. Writes are checked client-side (sizes, addresses), then
simulated from the signer's address so a refusal surfaces as a typed
exception (see :mod:`charter.exceptions`) before anything is sent.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.types import BlockIdentifier, TxReceipt

from .._core.artifacts import abi
from .._core.chain import ChainClient
from .._core.checks import check_address
from .._core.revert import RevertContext, map_revert, translate
from .._core.signers import Signer, SignerLike, as_signer
from .._core.tx import TxResult, expect_event, result, send_checked
from ..exceptions import CharterError, ContractRevert, InvalidInput, MissingSigner
from .errors import NEEDS_OWNER
from .models import (
    AgentInfo,
    AgentStatus,
    MetadataLike,
    check_agent_id,
    check_deadline,
    check_key,
    check_metadata,
    check_uri,
    check_value,
)
from .typed_data import agent_wallet_set_typed_data, sign_agent_wallet_set

_ZERO = "0x" + "00" * 20

DEFAULT_PROOF_LIFETIME = 240
"""Default validity of a wallet proof, in seconds (the registry allows at most 300)."""


class Registry(ChainClient):
    """Typed client of one AgentRegistry deployment."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        signer: SignerLike | None = None,
        *,
        timeout: float = 120,
        chain_id: int | None = None,
    ) -> None:
        super().__init__(w3, signer, chain_id=chain_id, timeout=timeout)
        self.address: ChecksumAddress = check_address(address, "registry address")
        self.contract: Contract = w3.eth.contract(address=self.address, abi=abi("AgentRegistry"))

    def __repr__(self) -> str:
        who = self.signer.address if self.signer is not None else "read-only"
        return f"<Registry {self.address} ({who})>"

    def with_signer(self, signer: SignerLike) -> Registry:
        """The same registry, sending as `signer`."""
        return Registry(
            self.w3, self.address, signer, timeout=self.timeout, chain_id=self._chain_id
        )

    # ------------------------------------------------------------ reads

    def _call(
        self,
        fn: str,
        *args: Any,
        agent_id: int | None = None,
        block: BlockIdentifier = "latest",
    ) -> Any:
        """Call view `fn`; a refusal becomes a typed exception about `agent_id`."""
        context = RevertContext(agent_id=agent_id, chain_id=self._chain_id, registry=self.address)
        with translate(self.w3, context):
            return self.contract.get_function_by_name(fn)(*args).call(block_identifier=block)

    def owner_of(self, agent_id: int) -> ChecksumAddress:
        """The agent's owner. Raises :class:`UnknownAgent`."""
        agent_id = check_agent_id(agent_id)
        return Web3.to_checksum_address(self._call("ownerOf", agent_id, agent_id=agent_id))

    def status(self, agent_id: int) -> AgentStatus:
        """The agent's lifecycle status. Raises :class:`UnknownAgent`."""
        agent_id = check_agent_id(agent_id)
        return AgentStatus(self._call("statusOf", agent_id, agent_id=agent_id))

    def is_active(self, agent_id: int) -> bool:
        """Whether the agent exists and is Active (unknown ids are not active)."""
        agent_id = check_agent_id(agent_id)
        return bool(self._call("isActive", agent_id, agent_id=agent_id))

    def uri(self, agent_id: int) -> str:
        """The agent URI (``tokenURI``). Raises :class:`UnknownAgent`."""
        agent_id = check_agent_id(agent_id)
        return str(self._call("tokenURI", agent_id, agent_id=agent_id))

    def agent_wallet(self, agent_id: int) -> ChecksumAddress | None:
        """The agent wallet (``getAgentWallet``), None if unset. Raises :class:`UnknownAgent`."""
        agent_id = check_agent_id(agent_id)
        wallet = self._call("getAgentWallet", agent_id, agent_id=agent_id)
        return None if int(wallet, 16) == 0 else Web3.to_checksum_address(wallet)

    def agent_id_of_wallet(self, wallet: str) -> int | None:
        """The agent whose proved wallet is `wallet`, or None."""
        agent_id = int(self._call("agentOfWallet", check_address(wallet, "wallet")))
        return agent_id or None

    def home_of(self, agent_id: int) -> tuple[int, int, ChecksumAddress | None] | None:
        """Where the agent lives: (home chain id, its id there, the inbox that writes it here or None
        for an agent registered here); None for an unknown id."""
        agent_id = check_agent_id(agent_id)
        chain, home_id, inbox = self._call("homeOf", agent_id, agent_id=agent_id)
        if int(chain) == 0:
            return None
        return int(chain), int(home_id), None if int(inbox, 16) == 0 else Web3.to_checksum_address(inbox)

    def consent_signers(self, agent_id: int) -> tuple[ChecksumAddress, ChecksumAddress | None]:
        """Who speaks for the agent: its owner and its proved wallet (None if unset)."""
        agent_id = check_agent_id(agent_id)
        owner, wallet = self._call("consentSigners", agent_id, agent_id=agent_id)
        return Web3.to_checksum_address(owner), None if int(wallet, 16) == 0 else Web3.to_checksum_address(wallet)

    def get_metadata(self, agent_id: int, key: str) -> bytes:
        """A metadata value; empty if unset (also for unknown agents, as in ERC-8004)."""
        agent_id = check_agent_id(agent_id)
        return bytes(self._call("getMetadata", agent_id, check_key(key), agent_id=agent_id))

    def is_authorized(self, spender: str, agent_id: int) -> bool:
        """Whether `spender` is the agent's owner, an operator or its approved address."""
        spender = check_address(spender, "spender")
        agent_id = check_agent_id(agent_id)
        return bool(self._call("isAuthorizedOrOwner", spender, agent_id, agent_id=agent_id))

    def total_agents(self) -> int:
        """How many agents were ever registered (retired ones included)."""
        return int(self._call("totalSupply"))

    def agent(self, agent_id: int) -> AgentInfo:
        """Everything about one agent, read at one block. Raises :class:`UnknownAgent`."""
        agent_id = check_agent_id(agent_id)
        chain_id = self.chain_id
        with translate(self.w3):
            block = int(self.w3.eth.block_number)
        owner = self._call("ownerOf", agent_id, agent_id=agent_id, block=block)
        status = AgentStatus(self._call("statusOf", agent_id, agent_id=agent_id, block=block))
        uri = str(self._call("tokenURI", agent_id, agent_id=agent_id, block=block))
        wallet_raw = self._call("getAgentWallet", agent_id, agent_id=agent_id, block=block)
        wallet = None if int(wallet_raw, 16) == 0 else Web3.to_checksum_address(wallet_raw)
        verified = False
        if wallet is not None:
            verified = int(self._call("agentOfWallet", wallet, block=block)) == agent_id
        return AgentInfo(
            agent_id=agent_id,
            owner=Web3.to_checksum_address(owner),
            status=status,
            uri=uri,
            wallet=wallet,
            wallet_verified=verified,
            chain_id=chain_id,
            registry=self.address,
            block=block,
        )

    def agents_of(self, owner: str, from_block: int = 0) -> list[int]:
        """The ids of the agents `owner` holds now, ascending (retired ones included).

        Candidates come from the registry's ERC-721 ``Transfer`` events to `owner`
        since `from_block` (registrations are transfers from the zero address);
        each is kept only if ``ownerOf`` is `owner` at the block the events were read to.
        """
        owner = check_address(owner, "owner")
        if isinstance(from_block, bool) or not isinstance(from_block, int) or from_block < 0:
            raise InvalidInput(f"from_block must be a non-negative block number, got {from_block!r}")
        transfer = self.contract.events.Transfer()
        with translate(self.w3):
            block = int(self.w3.eth.block_number)
            if from_block > block:
                return []
            logs = self.w3.eth.get_logs({
                "address": self.address, "fromBlock": from_block, "toBlock": block,
                "topics": [transfer.topic, None, "0x" + bytes(HexBytes(owner)).rjust(32, b"\x00").hex()],
            })
        candidates = sorted({int(transfer.process_log(log)["args"]["tokenId"]) for log in logs})
        return [
            agent_id for agent_id in candidates
            if Web3.to_checksum_address(self._call("ownerOf", agent_id, agent_id=agent_id, block=block)) == owner
        ]

    def agent_by_wallet(self, wallet: str) -> AgentInfo | None:
        """The agent whose proved wallet is `wallet`, or None."""
        agent_id = self.agent_id_of_wallet(wallet)
        return self.agent(agent_id) if agent_id is not None else None

    def wallet_digest(
        self, agent_id: int, wallet: str, deadline: int, owner: str | None = None
    ) -> bytes:
        """The EIP-712 digest `wallet` signs, computed by the contract (``hashAgentWalletSet``).

        `owner` defaults to the agent's current owner.
        """
        agent_id = check_agent_id(agent_id)
        wallet = check_address(wallet, "wallet")
        owner = check_address(owner, "owner") if owner is not None else self.owner_of(agent_id)
        deadline = check_deadline(deadline)
        return bytes(self._call("hashAgentWalletSet", agent_id, wallet, owner, deadline))

    def wallet_proof_typed_data(
        self, agent_id: int, wallet: str, deadline: int, owner: str | None = None
    ) -> dict[str, Any]:
        """The EIP-712 message a wallet signs to back `agent_id` (for external signers)."""
        agent_id = check_agent_id(agent_id)
        owner = check_address(owner, "owner") if owner is not None else self.owner_of(agent_id)
        return agent_wallet_set_typed_data(
            self.chain_id, self.address, agent_id, check_address(wallet, "wallet"), owner,
            check_deadline(deadline),
        )

    def sign_wallet_proof(
        self,
        wallet_signer: SignerLike,
        agent_id: int,
        deadline: int | None = None,
        owner: str | None = None,
    ) -> tuple[bytes, int]:
        """Have `wallet_signer` sign its proof for `agent_id`: ``(signature, deadline)``.

        The deadline defaults to :data:`DEFAULT_PROOF_LIFETIME` seconds after the
        chain's current time; `owner` to the agent's current owner.
        """
        agent_id = check_agent_id(agent_id)
        deadline = check_deadline(deadline) if deadline is not None else self.default_deadline()
        owner = check_address(owner, "owner") if owner is not None else self.owner_of(agent_id)
        with translate(self.w3):
            signature = sign_agent_wallet_set(
                wallet_signer, self.chain_id, self.address, agent_id, None, owner, deadline
            )
        return signature, deadline

    def chain_time(self) -> int:
        """The timestamp the next block will (about) have: the pending block's, else the latest's."""
        with translate(self.w3):
            latest = int(self.w3.eth.get_block("latest")["timestamp"])
            try:
                pending = int(self.w3.eth.get_block("pending")["timestamp"])
            except Exception:  # noqa: BLE001 - nodes without a pending block
                pending = latest
        return max(latest, pending)

    def default_deadline(self) -> int:
        """A wallet-proof deadline :data:`DEFAULT_PROOF_LIFETIME` seconds from now (chain time)."""
        return self.chain_time() + DEFAULT_PROOF_LIFETIME

    # ------------------------------------------------------------ writes

    def register_tx(self, uri: str = "", metadata: MetadataLike | None = None) -> TxResult:
        """Register a new agent owned by the signer; the result carries its ``agent_id``."""
        uri = check_uri(uri)
        entries = check_metadata(metadata)
        if entries:
            fn, args = "register(string,(string,bytes)[])", [uri, [e.as_tuple() for e in entries]]
        elif uri:
            fn, args = "register(string)", [uri]
        else:
            fn, args = "register()", []
        receipt = self._send(fn, args, RevertContext(action="register"))
        owner = self._require_signer("register").address
        registered = self._expect(receipt, "Registered", None, "no agent was registered", owner=owner)
        agent_id = int(registered["args"]["agentId"])
        self._expect(
            receipt, "Transfer", agent_id, "no agent was minted", sender=_ZERO, receiver=owner, tokenId=agent_id
        )
        return result(receipt, agent_id)

    def register(self, uri: str = "", metadata: MetadataLike | None = None) -> int:
        """Register a new agent owned by the signer and return its id.

        `metadata` is a mapping ``{key: value}`` or a list of entries; text
        values are stored as UTF-8. The key ``agentWallet`` is reserved.
        """
        agent_id = self.register_tx(uri, metadata).agent_id
        assert agent_id is not None
        return agent_id

    def set_uri(self, agent_id: int, uri: str) -> TxResult:
        """Change the agent URI (its registration file / agent card)."""
        agent_id = check_agent_id(agent_id)
        uri = check_uri(uri)
        receipt = self._send("setAgentURI", [agent_id, uri], self._ctx("change the URI of", agent_id))
        self._expect(receipt, "URIUpdated", agent_id, "the URI did not change", agentId=agent_id, newURI=uri)
        return result(receipt, agent_id)

    def set_metadata(self, agent_id: int, key: str, value: bytes | str) -> TxResult:
        """Set one metadata value (text is stored as UTF-8; empty deletes)."""
        agent_id = check_agent_id(agent_id)
        key = check_key(key)
        data = check_value(value, key)
        ctx = dataclasses.replace(self._ctx("set metadata of", agent_id), key=key)
        receipt = self._send("setMetadata", [agent_id, key, data], ctx)
        self._expect(
            receipt, "MetadataSet", agent_id, f"metadata {key!r} did not change",
            agentId=agent_id, metadataKey=key, metadataValue=data,
        )
        return result(receipt, agent_id)

    def set_agent_wallet(
        self,
        agent_id: int,
        wallet: SignerLike | str,
        signature: bytes | str | None = None,
        deadline: int | None = None,
    ) -> TxResult:
        """Point the agent at a wallet that consents with an EIP-712 proof.

        Either pass the wallet's signer (a Signer or LocalAccount): the SDK has
        it sign the proof, with `deadline` defaulting to 4 minutes from now.
        Or pass the wallet's address with a `signature` it made and its `deadline`.
        """
        agent_id = check_agent_id(agent_id)
        if isinstance(wallet, str):
            address = check_address(wallet, "wallet")
            if signature is None or deadline is None:
                raise InvalidInput(
                    "set_agent_wallet with a wallet address needs the wallet's signature and "
                    "its deadline; or pass the wallet's signer and the SDK signs the proof"
                )
            try:
                proof = bytes(HexBytes(signature))
            except (ValueError, TypeError):
                raise InvalidInput("the wallet's signature must be 0x-hex") from None
            deadline = check_deadline(deadline)
            owner = None
        else:
            if signature is not None:
                raise InvalidInput(
                    "pass either the wallet's signer or its address with a signature, not both"
                )
            wallet_signer = as_signer(wallet)
            address = wallet_signer.address
            owner = self.owner_of(agent_id)
            proof, deadline = self.sign_wallet_proof(wallet_signer, agent_id, deadline, owner)
        ctx = dataclasses.replace(
            self._ctx("set the wallet of", agent_id), wallet=address, deadline=deadline, owner=owner
        )
        receipt = self._send("setAgentWallet", [agent_id, address, deadline, proof], ctx)
        self._expect(
            receipt, "MetadataSet", agent_id, "the wallet did not change", agentId=agent_id, metadataKey="agentWallet"
        )
        return result(receipt, agent_id)

    def unset_agent_wallet(self, agent_id: int) -> TxResult:
        """Clear the agent wallet (and its reverse lookup entry)."""
        agent_id = check_agent_id(agent_id)
        had_wallet = self.agent_wallet(agent_id) is not None
        receipt = self._send("unsetAgentWallet", [agent_id], self._ctx("unset the wallet of", agent_id))
        if not had_wallet:  # nothing to clear: the agent is as asked, and the registry emits nothing
            return result(receipt, agent_id)
        self._expect(
            receipt, "MetadataSet", agent_id, "the wallet was not cleared",
            agentId=agent_id, metadataKey="agentWallet", metadataValue=b"",
        )
        return result(receipt, agent_id)

    def pause(self, agent_id: int) -> TxResult:
        """Pause an Active agent: it stops being honoured at once."""
        agent_id = check_agent_id(agent_id)
        return self._set_status("pause", agent_id, AgentStatus.PAUSED, "nothing was paused")

    def resume(self, agent_id: int) -> TxResult:
        """Resume a Paused agent."""
        agent_id = check_agent_id(agent_id)
        return self._set_status("resume", agent_id, AgentStatus.ACTIVE, "nothing was resumed")

    def retire(self, agent_id: int) -> TxResult:
        """Retire an agent for good (final: it can never be resumed)."""
        agent_id = check_agent_id(agent_id)
        return self._set_status("retire", agent_id, AgentStatus.RETIRED, "nothing was retired")

    def transfer(self, agent_id: int, to: str) -> TxResult:
        """Transfer the agent to `to` (``transferFrom``); this clears its wallet."""
        agent_id = check_agent_id(agent_id)
        to = check_address(to, "recipient")
        owner = self.owner_of(agent_id)
        ctx = dataclasses.replace(self._ctx("transfer", agent_id), to=to, owner=owner)
        receipt = self._send("transferFrom", [owner, to, agent_id], ctx)
        self._expect(
            receipt, "Transfer", agent_id, "nothing was transferred", sender=owner, receiver=to, tokenId=agent_id
        )
        return result(receipt, agent_id)

    # ------------------------------------------------------------ internals

    def _set_status(self, fn: str, agent_id: int, status: AgentStatus, effect: str) -> TxResult:
        receipt = self._send(fn, [agent_id], self._ctx(fn, agent_id))
        self._expect(receipt, "StatusChanged", agent_id, effect, agentId=agent_id, status=int(status))
        return result(receipt, agent_id)

    def _expect(self, receipt: TxReceipt, event: str, agent_id: int | None, effect: str, **args: Any) -> Any:
        """The `event` the registry emitted in `receipt` with `args`, else :class:`EffectNotObserved`."""
        return expect_event(
            receipt, self.contract, event, subject=f"agent {agent_id}" if agent_id is not None else "",
            effect=effect, hint=f"that {self.address} is the Charter AgentRegistry on chain {self.chain_id} "
            "(`charter deploy` / the manifest)", **args,
        )

    def _ctx(self, action: str, agent_id: int) -> RevertContext:
        return RevertContext(
            action=action,
            agent_id=agent_id,
            sender=self.signer.address if self.signer is not None else None,
            chain_id=self._chain_id,
            registry=self.address,
        )

    def _require_signer(self, action: str) -> Signer:
        if self.signer is None:
            raise MissingSigner(
                f"cannot {action} without a signer: this Registry is read-only; create it with "
                "signer=LocalSigner.from_key(...) / NodeSigner(w3, address) or use "
                "registry.with_signer(...)"
            )
        return self.signer

    def _send(self, fn: str, args: list[Any], ctx: RevertContext) -> TxReceipt:
        """Simulate, send and wait for a call of `fn`; refusals become typed exceptions."""
        signer = self._require_signer(ctx.action or fn)
        ctx = dataclasses.replace(ctx, chain_id=self.chain_id)
        data = self.contract.encode_abi(fn, args=args)
        return send_checked(
            self.w3, signer, self.address, data, ctx, timeout=self.timeout, explain=self._explain
        )

    def _explain(self, exc: CharterError, ctx: RevertContext) -> CharterError:
        """Rebuild a refusal's message with facts read after it (owner, other agent)."""
        if not isinstance(exc, ContractRevert) or not exc.reason:
            return exc
        extra: dict[str, Any] = {}
        try:
            if exc.reason in NEEDS_OWNER and ctx.owner is None and ctx.agent_id is not None:
                extra["owner"] = self.owner_of(ctx.agent_id)
            if exc.reason == "registry: wallet taken" and ctx.wallet is not None:
                extra["other_agent"] = self.agent_id_of_wallet(ctx.wallet)
        except CharterError:
            pass
        return map_revert(exc.reason, dataclasses.replace(ctx, **extra))


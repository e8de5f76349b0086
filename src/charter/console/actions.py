"""What the console's buttons do: transactions for the principal's wallet to send, and the check
that the chain shows their effect afterwards.

The server never holds the principal's key (except a development key, :func:`send_with_key`): an
action is *prepared* here as plain transactions (``from``, ``to``, ``data``, ``chainId``) that the
page hands to the wallet (EIP-1193 ``eth_sendTransaction``), and *confirmed* here from the
transaction hash the wallet returned: the receipt must carry the expected event and the state read
back afterwards must show the effect. The page says "revoked" only after :func:`confirm` does.

    revoke          one grant: owner -> account.execute(SessionManager, 0, revoke(grantHash))
    revoke-all      every grant of an account, on one chain or each configured chain (revokeAll)
    pause / resume / retire
                    an agent, on its home chain (its mirrors follow through the relayer)
    issue           a requested grant (approval page): owner -> account.execute(SessionManager, 0,
                    issue(grant, agent consent)); confirmed by GrantActivated for its hash and the
                    grant read back active (:func:`prepare_issue`, :func:`confirm_issue`)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hexbytes import HexBytes
from web3 import Web3

from .._core.artifacts import abi
from .._core.checks import check_address
from .._core.deployments import resolve_address
from .._core.revert import RevertContext, translate
from .._core.signers import Signer, pad_gas
from .._core.tx import expect_event, wait_receipt
from ..accounts.calldata import execute_calldata
from ..client import Charter
from ..exceptions import EffectNotObserved, InvalidInput
from ..registry.models import AgentStatus
from ..sessions.calldata import calldata
from ..sessions.models import Grant, GrantStatus, SignedGrant
from ..sessions.view import _REVOKED

ActionName = Literal["revoke", "revoke-all", "pause", "resume", "retire"]
ACTIONS: tuple[str, ...] = ("revoke", "revoke-all", "pause", "resume", "retire")
_STATUS = {"pause": AgentStatus.PAUSED, "resume": AgentStatus.ACTIVE, "retire": AgentStatus.RETIRED}


@dataclass(frozen=True)
class Action:
    """One action the principal asked for, checked: `chain_id` is one of the console's chains."""

    name: str
    chain_id: int
    account: str | None = None
    grant_hash: bytes | None = None
    agent_id: int | None = None

    @classmethod
    def parse(cls, body: Any, chains: set[int]) -> Action:
        """The action a page posted (JSON), or :class:`InvalidInput` saying what is wrong."""
        if not isinstance(body, dict):
            raise InvalidInput("send a JSON object: {\"action\": ..., \"chain_id\": ...}")
        name = body.get("action")
        if name not in ACTIONS:
            raise InvalidInput(f"action is one of {', '.join(ACTIONS)}, not {name!r}")
        chain_id = body.get("chain_id")
        if not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id not in chains:
            raise InvalidInput(f"chain_id {chain_id!r} is not one of the console's chains ({sorted(chains)})")
        if name in ("revoke", "revoke-all"):
            account = check_address(body.get("account") or "", "account")
            grant_hash = None
            if name == "revoke":
                raw = str(body.get("grant_hash") or "")
                try:
                    grant_hash = bytes.fromhex(raw.removeprefix("0x"))
                except ValueError:
                    grant_hash = b""
                if len(grant_hash) != 32:
                    raise InvalidInput(f"grant_hash is 0x + 64 hex digits, not {raw!r}")
            return cls(name, chain_id, account=account, grant_hash=grant_hash)
        agent = body.get("agent_id")
        if not isinstance(agent, int) or isinstance(agent, bool) or agent < 1:
            raise InvalidInput(f"agent_id is a registered agent's id, not {agent!r}")
        return cls(name, chain_id, agent_id=agent)

    @property
    def label(self) -> str:
        if self.name == "revoke":
            assert self.grant_hash is not None
            return f"revoke grant 0x{self.grant_hash.hex()[:10]}… of {self.account} on chain {self.chain_id}"
        if self.name == "revoke-all":
            return f"revoke every grant of {self.account} on chain {self.chain_id}"
        return f"{self.name} agent {self.agent_id} on chain {self.chain_id}"


@dataclass
class Outcome:
    """What the chain shows after an action: `done` only when the effect was read back."""

    done: bool
    message: str
    tx_hash: str | None = None
    block: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"done": self.done, "message": self.message, "tx_hash": self.tx_hash, "block": self.block,
                **self.details}


def prepare(w3: Web3, action: Action, sender: str) -> dict[str, Any]:
    """The transaction `sender` (the principal) sends for `action`, as EIP-1193 params, after
    simulating it so a refusal is said now (a typed exception), not by the wallet."""
    sender = check_address(sender, "sender")
    with translate(w3):
        if action.name in ("revoke", "revoke-all"):
            assert action.account is not None
            manager = resolve_address(w3, "SessionManager")
            inner = calldata("revoke", action.grant_hash) if action.name == "revoke" else calldata("revokeAll")
            to, data = action.account, execute_calldata(manager, inner, 0)
        else:
            registry = resolve_address(w3, "AgentRegistry")
            contract = w3.eth.contract(address=registry, abi=abi("AgentRegistry"))
            to, data = registry, contract.encode_abi(action.name, [action.agent_id])
    tx = {"from": sender, "to": Web3.to_checksum_address(to), "data": HexBytes(data).to_0x_hex(),
          "value": "0x0", "chainId": hex(action.chain_id)}
    context = RevertContext(action=action.name, account=action.account, agent_id=action.agent_id,
                            chain_id=action.chain_id, sender=sender,
                            grant_hash=None if action.grant_hash is None else "0x" + action.grant_hash.hex())
    with translate(w3, context):  # a refusal surfaces here, with its reason
        w3.eth.estimate_gas({"from": sender, "to": tx["to"], "data": HexBytes(tx["data"])})
    return tx


def _tx_hash(tx_hash: str) -> HexBytes:
    """The transaction hash a page posted, or :class:`InvalidInput`."""
    try:
        raw = HexBytes(tx_hash)
    except ValueError:
        raise InvalidInput(f"tx_hash {tx_hash!r} is not a transaction hash") from None
    if len(raw) != 32:
        raise InvalidInput(f"tx_hash {tx_hash!r} is not a transaction hash")
    return raw


def confirm(w3: Web3, action: Action, tx_hash: str, timeout: float = 60) -> Outcome:
    """Wait for `tx_hash` and read the effect of `action` back from the chain."""
    raw = _tx_hash(tx_hash)
    with translate(w3):
        receipt = wait_receipt(w3, raw, timeout)
    shown = raw.to_0x_hex()
    if receipt["status"] != 1:
        return Outcome(False, f"transaction {shown} failed on chain {action.chain_id}: nothing changed", shown,
                       int(receipt["blockNumber"]))
    try:
        details = _effect(w3, action, receipt)
    except EffectNotObserved as exc:
        return Outcome(False, str(exc), shown, int(receipt["blockNumber"]))
    return Outcome(True, f"done: {action.label} (tx {shown[:12]}…, block {receipt['blockNumber']})", shown,
                   int(receipt["blockNumber"]), details)


def send_with_key(w3: Web3, action: Action, key: Signer, timeout: float = 60) -> Outcome:
    """Development mode: the console's local key sends `action` itself, then :func:`confirm`."""
    tx = prepare(w3, action, key.address)
    with translate(w3):
        gas = w3.eth.estimate_gas({"from": key.address, "to": tx["to"], "data": HexBytes(tx["data"])})
        sent = key.send_transaction(w3, {"to": tx["to"], "data": HexBytes(tx["data"]), "gas": pad_gas(gas)})
    return confirm(w3, action, HexBytes(sent).to_0x_hex(), timeout)


def _effect(w3: Web3, action: Action, receipt: Any) -> dict[str, Any]:
    """The event `action` must have emitted and the state read back after it; raises
    :class:`EffectNotObserved` when the chain does not show it."""
    block = int(receipt["blockNumber"])
    if action.name in ("revoke", "revoke-all"):
        manager = w3.eth.contract(address=resolve_address(w3, "SessionManager"), abi=abi("SessionManager"))
        if action.name == "revoke":
            assert action.grant_hash is not None
            expect_event(receipt, manager, "GrantRevoked", grantHash=action.grant_hash, account=action.account,
                         effect="nothing was revoked")
            state = int(manager.functions.stateOf(action.account, action.grant_hash).call(block_identifier=block))
            if state & 255 != _REVOKED:
                raise EffectNotObserved(f"grant 0x{action.grant_hash.hex()} does not read revoked after the "
                                        "transaction; refresh and check")
            return {"grant_hash": "0x" + action.grant_hash.hex(), "status": "revoked"}
        log = expect_event(receipt, manager, "AllGrantsRevoked", account=action.account,
                           effect="nothing was revoked")
        return {"account": action.account, "epoch": int(log["args"]["epoch"]), "status": "revoked-all"}
    registry = w3.eth.contract(address=resolve_address(w3, "AgentRegistry"), abi=abi("AgentRegistry"))
    status = _STATUS[action.name]
    expect_event(receipt, registry, "StatusChanged", agentId=action.agent_id, status=int(status),
                 effect=f"nothing was {action.name}d")
    now = AgentStatus(int(registry.functions.statusOf(action.agent_id).call(block_identifier=block)))
    if now != status:
        raise EffectNotObserved(f"agent {action.agent_id} reads {now.name} after the transaction, not {status.name}")
    return {"agent_id": action.agent_id, "status": now.name.lower()}


def prepare_issue(w3: Web3, grant: Grant, consent: bytes, sender: str) -> dict[str, Any]:
    """The transaction the account's owner `sender` sends to issue `grant` on chain (with the agent's
    `consent`, empty when implied), simulated first: refused here, with its reason, when it would fail
    (not the owner, not a Charter account, a standing allowance, the agent unable to act...)."""
    sender = check_address(sender, "sender")
    sessions = Charter.connect(w3).sessions
    sessions.accounts.ensure_charter_account(grant.account)  # elsewhere the call would succeed and do nothing
    owner = sessions.accounts.owner_of(grant.account)
    if owner != sender:
        raise InvalidInput(f"account {grant.account} is owned by {owner}: only its owner can issue its grants, "
                           f"not {sender}")
    sessions.check_allowances(grant)
    chain_id = int(w3.eth.chain_id)
    signed = SignedGrant(grant=grant, chain_id=chain_id, manager=sessions.address)
    data = execute_calldata(sessions.address, calldata("issue", grant.as_tuple(), consent), 0)
    tx = {"from": sender, "to": grant.account, "data": HexBytes(data).to_0x_hex(), "value": "0x0",
          "chainId": hex(chain_id)}
    context = RevertContext(action="issue a grant for", account=grant.account, agent_id=grant.agent_id,
                            session_key=grant.session_key, chain_id=chain_id, sender=sender,
                            grant_hash="0x" + signed.hash.hex(), valid_after=grant.valid_after,
                            valid_until=grant.valid_until)
    with translate(w3, context):
        w3.eth.estimate_gas({"from": sender, "to": tx["to"], "data": HexBytes(data)})
    return tx


def confirm_issue(w3: Web3, grant: Grant, tx_hash: str, timeout: float = 60) -> Outcome:
    """Wait for `tx_hash` and read `grant` back: ``GrantActivated`` for its hash, and active now."""
    raw = _tx_hash(tx_hash)
    sessions = Charter.connect(w3).sessions
    signed = SignedGrant(grant=grant, chain_id=int(w3.eth.chain_id), manager=sessions.address)
    grant_hash = "0x" + signed.hash.hex()
    with translate(w3):
        receipt = wait_receipt(w3, raw, timeout)
    shown, block = raw.to_0x_hex(), int(receipt["blockNumber"])
    if receipt["status"] != 1:
        return Outcome(False, f"transaction {shown} failed: nothing was issued", shown, block)
    try:
        expect_event(receipt, sessions.contract, "GrantActivated", grantHash=signed.hash, account=grant.account,
                     subject=f"grant {grant_hash}", effect="nothing was issued")
    except EffectNotObserved as exc:
        return Outcome(False, str(exc), shown, block)
    state = sessions.state(signed)
    if state.status is not GrantStatus.ACTIVE:
        return Outcome(False, f"grant {grant_hash} reads {state.status.label} after the transaction, not active",
                       shown, block)
    return Outcome(True, f"issued on chain: grant {grant_hash[:12]}… (tx {shown[:12]}…, block {block})", shown,
                   block, {"grant_hash": grant_hash, "status": "active"})


__all__ = ["ACTIONS", "Action", "Outcome", "confirm", "confirm_issue", "prepare", "prepare_issue", "send_with_key"]

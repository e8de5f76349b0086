"""What ``charter mcp`` does, without MCP: an agent's tools over the SDK, holding only a session key.

    service = AgentService(load_agent_config("mcp.toml"), session_key)
    service.status()                                     # the agent, each grant: window, budgets, what it can move
    service.call(None, [{"target": token, "function": "transfer(address,uint256)", "args": [bob, "2.5 USDC"]}])
    service.request_grant(31337, allow=["0xToken:transfer(address to,uint256 amount):to=0xBob"], valid_for="1h")

Every action goes through :class:`~charter.sessions.Sessions` with the session
key: the SDK simulates it first (nothing is signed or paid for a call the chain
would refuse) and raises the typed refusal the chain gives. Each refusal leaves
here as a :class:`Refusal` with the reason's name, the message and what would
make the call pass. Success is reported only with a receipt.

Grants are those of the configured files and those the principal approved
through a grant request; a grant for another session key or agent is refused
when loaded. The model never hands the server a grant: it names one by hash
(or file name) among those loaded.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from .._core.abi_types import FunctionSignature, canonical_type
from .._core.checks import check_address
from .._core.display import jsonable
from .._core.revert import translate
from .._core.signers import LocalSigner, json_typed_data
from .._core.tx import TxResult, expect_event, wait_receipt
from ..accounts.models import Call
from ..accounts.spec import parse_arg
from ..client import Charter
from ..exceptions import (
    CharterError,
    ContractRevert,
    EffectNotObserved,
    InvalidInput,
    NotConfirmed,
    OutOfScope,
    OverBudget,
)
from ..intents.models import NATIVE, Input, Order, Output
from ..processes.chain import connect
from ..sessions.builder import builder_from_specs
from ..sessions.client import Sessions
from ..sessions.describe import (
    TokenLookup,
    grant_summary,
    load_grant,
    load_grant_file,
    save_grant,
    signatures_for,
    spec_signature,
)
from ..sessions.models import MAX_BATCH, Grant, GrantStatus, MultiChainGrant, SignedGrant
from ..sessions.narrow import narrower
from .config import AgentConfig

ERC20_BALANCE = "0x70a08231"
MAX_PENDING = 20
"""Grant requests that may wait for the principal at once: a model cannot flood the principal."""

FIXES: dict[str, str] = {
    "OutOfScope": "call only the targets, functions and arguments the grant allows (charter_status lists them), "
                  "or ask the principal for more with charter_request_grant",
    "OverBudget": "stay within what is left (charter_status), wait for the budget's period to roll over, or ask "
                  "the principal for a new grant with charter_request_grant",
    "GrantExpired": "the grant's window has ended: ask for a new grant with charter_request_grant",
    "GrantNotYetValid": "wait until the grant's window opens (charter_status shows valid_after)",
    "GrantRevoked": "the principal revoked this grant (or it was renounced): ask for a new one with "
                    "charter_request_grant",
    "SessionAgentInactive": "the agent is paused by its owner: nothing can act until the owner resumes it",
    "AgentNotActive": "the agent is paused by its owner: nothing can act until the owner resumes it",
    "AgentRetired": "the agent is retired for good: none of its grants can ever act",
    "AgentChangedHands": "the agent changed owner, which voids its grants: the new owner must grant again",
    "TooSoon": "wait the grant's minimum interval between calls, then try again",
    "GrantSignatureInvalid": "the grant file does not carry the account's signature of this grant: ask for a new "
                             "grant with charter_request_grant",
    "AccountNotDeployed": "the principal's account is not a Charter account yet: the principal must deploy or "
                          "upgrade it",
    "UnknownGrant": "name a grant that charter_status lists (its hash, a prefix of it, or its file name)",
    "UnknownOrder": "name an order this server opened (charter_open_intent returned its id)",
    "UnknownRequest": "name a grant request charter_request_grant returned",
    "UnknownTool": "call one of the tools list_tools gives",
    "TooManyRequests": "wait until the principal answers (or refuses) the pending grant requests before asking again",
    "InvalidInput": "correct the arguments as the message says; nothing was sent",
    "OrderInvalid": "correct the order as the message says; nothing was sent",
    "NodeUnreachable": "the chain's RPC did not answer: try again later; nothing was sent",
    "NotConfirmed": "the transaction was sent but no receipt came in time: look up its hash before sending again",
    "EffectNotObserved": "the transaction was mined without the promised effect: read the state again",
    "PaymentRefused": "see the message: nothing was paid",
    "StandingAllowance": "the account holds an allowance the grant would let a target pull: the principal must "
                         "revoke it or budget that token",
    "WiderThanRequested": "give the grant as requested, or one within it (lower caps and budgets, fewer calls, a "
                          "shorter window, fewer permissions): the requester takes nothing wider",
    "GrantNotIssued": "issue the requested grant on chain (account.execute(SessionManager, 0, issue(grant))) and "
                      "answer with that transaction once it is mined, or sign the grant instead",
}


class Refusal(CharterError):
    """A tool call refused: ``reason`` (the typed refusal's name, e.g. ``OverBudget``), what was wrong,
    what would make it pass, and whether anything was sent (only when a transaction went out unconfirmed)."""

    def __init__(self, reason: str, message: str, fix: str | None = None, *, sent: bool = False,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.fix = fix or FIXES.get(reason, "see the message")
        self.sent = sent
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"refused": True, "reason": self.reason, "message": self.message, "fix": self.fix,
                "sent": self.sent, **({"details": self.details} if self.details else {})}

    def __str__(self) -> str:
        return f"{self.reason}: {self.message} — {self.fix}"


def refusal_of(exc: BaseException) -> Refusal:
    """`exc` as a :class:`Refusal`: its class name is the reason; a chain's refusal keeps its facts."""
    if isinstance(exc, Refusal):
        return exc
    reason = type(exc).__name__
    message = exc.message if isinstance(exc, ContractRevert) else " ".join(str(exc).split())
    details: dict[str, Any] = {}
    if isinstance(exc, OverBudget):
        details = {k: v for k, v in (("budget", exc.budget), ("left", exc.left)) if v is not None}
    elif isinstance(exc, OutOfScope):
        details = {k: v for k, v in (("call", exc.call), ("argument", exc.argument)) if v is not None}
    fix = FIXES.get(reason)
    if fix is None:
        for base in type(exc).__mro__[1:]:
            if base.__name__ in FIXES:
                fix = FIXES[base.__name__]
                break
    return Refusal(reason, message, fix, sent=isinstance(exc, NotConfirmed), details=details)


@dataclass
class GrantEntry:
    signed: SignedGrant
    signatures: list[str | None]
    path: Path
    source: str
    """``"config"`` (a configured file) or ``"approved"`` (a grant request the principal signed)."""

    @property
    def hash(self) -> str:
        return "0x" + self.signed.hash.hex()


@dataclass
class ChainHandle:
    chain_id: int
    charter: Charter
    oracle: str | None
    tokens: TokenLookup

    @property
    def w3(self) -> Web3:
        return self.charter.w3


_AMOUNT = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([A-Za-z][A-Za-z0-9.\-]{0,31}|0x[0-9a-fA-F]{40})?\s*$")


class AgentService:
    """The agent's tools, acting only through `session_key` under the loaded grants."""

    def __init__(self, config: AgentConfig, session_key: LocalSigner) -> None:
        self.config = config
        self.key = session_key
        self._lock = threading.RLock()
        self.approvals_base: str | None = None
        """Where the approvals page is served (set by the server once it listens)."""
        self.chains: dict[int, ChainHandle] = {}
        for chain in config.chains:
            w3 = connect(chain.rpc, config.rpc_timeout)
            try:
                actual = int(w3.eth.chain_id)
            except Exception as exc:  # noqa: BLE001 - one line for the operator
                raise InvalidInput(f"chain {chain.chain_id}: the RPC {chain.rpc} did not answer "
                                   f"({type(exc).__name__}); start the node or fix `rpc`") from None
            if actual != chain.chain_id:
                raise InvalidInput(f"chain {chain.chain_id}: the RPC {chain.rpc} serves chain {actual}; fix "
                                   "`chain_id` or `rpc`")
            charter = Charter.connect(w3, signer=session_key)
            self.chains[chain.chain_id] = ChainHandle(chain.chain_id, charter, chain.oracle, TokenLookup(w3))
        self.state_dir = config.state_dir
        for sub in ("requests", "grants", "orders"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        self.pending: set[str] = {r["id"] for r in self._requests() if r.get("status") == "pending"}
        """Grant requests waiting for the principal (at most MAX_PENDING)."""
        self.grants: dict[str, GrantEntry] = {}
        self.renounced: set[str] = set()
        self._load_grants()

    # ------------------------------------------------------------ grants

    def _load_grants(self) -> None:
        for path in self.config.grants:
            self._add(path, "config")
        for path in sorted((self.state_dir / "grants").glob("*.json")):
            self._add(path, "approved")
        renounced = self.state_dir / "renounced.json"
        if renounced.exists():
            self.renounced = set(json.loads(renounced.read_text()))

    def _add(self, path: Path, source: str) -> GrantEntry:
        loaded, _ = load_grant_file(str(path))
        if isinstance(loaded, MultiChainGrant):  # an entry per configured chain, each activated on first use
            configured = [c for c in loaded.chain_ids if c in self.chains]
            if not configured:
                raise InvalidInput(f"grant file {path} is a multi-chain grant for chains "
                                   f"{', '.join(map(str, loaded.chain_ids))}, none of which is one of the [[chains]] "
                                   "in the configuration: add one")
            entries = [self._add_entry(path, source, *load_grant(str(path), c)) for c in configured]
            return entries[0]
        return self._add_entry(path, source, *load_grant(str(path)))

    def _add_entry(self, path: Path, source: str, signed: SignedGrant, signatures: list[str | None]) -> GrantEntry:
        g = signed.grant
        if g.session_key != self.key.address:
            raise InvalidInput(f"grant file {path} is for session key {g.session_key}, but this server holds "
                               f"{self.key.address}: it could never use it; remove it or set the right key")
        if g.agent_id != self.config.agent_id:
            raise InvalidInput(f"grant file {path} is for agent {g.agent_id}, not this server's agent "
                               f"{self.config.agent_id}")
        chain = self.chains.get(signed.chain_id)
        if chain is None:
            raise InvalidInput(f"grant file {path} is for chain {signed.chain_id}, which is not one of the "
                               "[[chains]] in the configuration: add it")
        if signed.manager != chain.charter.sessions.address:
            raise InvalidInput(f"grant file {path} names SessionManager {signed.manager}, but chain "
                               f"{signed.chain_id}'s is {chain.charter.sessions.address}")
        entry = GrantEntry(signed, signatures, path, source)
        self.grants[entry.hash] = entry
        return entry

    def entry(self, ref: str | None, chain_id: int | None = None) -> GrantEntry:
        """The grant `ref` names: its hash, a prefix of at least 10 characters, or its file name; None
        means the only grant in force (on `chain_id`, when given)."""
        live = [e for h, e in self.grants.items() if h not in self.renounced
                and (chain_id is None or e.signed.chain_id == chain_id)]
        if ref is None or not str(ref).strip():
            if len(live) == 1:
                return live[0]
            listed = ", ".join(f"{e.hash[:12]}… ({e.path.name})" for e in live) or "none"
            raise Refusal("UnknownGrant", f"name the grant to use: this server holds {len(live)} in force ({listed})")
        text = str(ref).strip().lower()
        matches = [e for h, e in self.grants.items()
                   if (len(text) >= 10 and h.startswith(text if text.startswith("0x") else "0x" + text))
                   or e.path.name.lower() in (text, text + ".json")]
        if len(matches) != 1:
            raise Refusal("UnknownGrant", f"no single grant matches {ref!r}" + (" (several do)" if matches else ""))
        if matches[0].hash in self.renounced:
            raise Refusal("GrantRevoked", f"grant {matches[0].hash} was renounced by this server")
        return matches[0]

    def _chain(self, chain_id: int) -> ChainHandle:
        chain = self.chains.get(int(chain_id))
        if chain is None:
            raise Refusal("InvalidInput", f"chain {chain_id} is not served here (chains: "
                          f"{', '.join(map(str, self.chains))})")
        return chain

    # ------------------------------------------------------------ status

    def status(self, grant: str | None = None) -> dict[str, Any]:
        """The agent on each chain and each grant in force (or the one named)."""
        agent: dict[str, Any] = {"agent_id": self.config.agent_id, "session_key": self.key.address, "chains": {}}
        for chain_id, chain in self.chains.items():
            registry = chain.charter.registry
            try:
                info = registry.agent(self.config.agent_id)
                agent["chains"][str(chain_id)] = {"status": info.status.name.lower(), "owner": info.owner,
                                                  "wallet": info.wallet}
            except CharterError as exc:
                agent["chains"][str(chain_id)] = {"status": "unknown", "problem": refusal_of(exc).message}
        entries = [self.entry(grant)] if grant else [e for h, e in self.grants.items() if h not in self.renounced]
        return {"agent": agent, "grants": [self._grant_status(e) for e in entries],
                "pending_requests": sorted(self.pending)}

    def _grant_status(self, entry: GrantEntry) -> dict[str, Any]:
        chain = self._chain(entry.signed.chain_id)
        sessions = chain.charter.sessions
        summary, lines = grant_summary(entry.signed, entry.signatures, chain.tokens)
        state = sessions.state(entry.signed)
        now = sessions.chain_time()
        g = entry.signed.grant
        budgets: list[dict[str, Any]] = []
        can_move: list[dict[str, Any]] = []
        for t in state.tokens:
            info = chain.tokens(t.token)
            if t.guarded:
                budgets.append({"token": t.token, "symbol": info.symbol, "guarded": True})
                continue
            spent = max(t.cap - t.left, 0)
            budgets.append({"token": t.token, "symbol": info.symbol, "decimals": info.decimals,
                            "period_seconds": t.period, "cap": info.amount(t.cap), "spent": info.amount(spent),
                            "left": info.amount(t.left)})
            held = _erc20_balance(chain.w3, t.token, g.account)
            movable = min(t.left, held) if state.usable else 0
            can_move.append({"token": t.token, **info.amount(movable)})
        if g.native_budget or any(p.max_value for p in g.permissions):
            held = int(chain.w3.eth.get_balance(Web3.to_checksum_address(g.account)))
            can_move.append({"token": "native", "raw": min(state.native_left, held) if state.usable else 0,
                             "decimals": 18, "symbol": "ETH"})
        return {
            "grant": entry.hash, "file": entry.path.name, "source": entry.source, "chain_id": entry.signed.chain_id,
            "account": g.account, "status": state.status.label, "usable": state.usable, "problem": state.problem,
            "window": {"valid_after": g.valid_after, "valid_until": g.valid_until,
                       "seconds_left": max(g.valid_until - now, 0)},
            "calls": {"used": state.calls_used, "left": state.calls_left},
            "native_wei": {"spent": state.native_spent, "left": state.native_left},
            "budgets": budgets, "can_move_now": can_move, "unbounded": summary["unbounded"],
            "allows": [line.strip().removeprefix("- ") for line in lines[1:]],
        }

    def grants_in_force(self) -> list[dict[str, Any]]:
        """The grants this server may use, as the principal wrote them (for the MCP resource)."""
        out = []
        for h, e in self.grants.items():
            if h in self.renounced:
                continue
            chain = self._chain(e.signed.chain_id)
            summary, lines = grant_summary(e.signed, e.signatures, chain.tokens)
            out.append({"grant": h, "file": e.path.name, "chain_id": e.signed.chain_id, "summary": lines,
                        "grant_data": jsonable(summary)})
        return out

    # ------------------------------------------------------------ calls

    def call(self, grant: str | None, calls: Sequence[dict[str, Any]], chain_id: int | None = None) -> dict[str, Any]:
        """One call, or several as one batch (all or nothing), from the grant's account."""
        entry = self.entry(grant, chain_id)
        chain = self._chain(entry.signed.chain_id)
        if not isinstance(calls, Sequence) or isinstance(calls, str | bytes) or not 1 <= len(calls) <= MAX_BATCH:
            raise Refusal("InvalidInput", f"`calls` is a list of 1 to {MAX_BATCH} calls")
        built = [self._build_call(chain, entry, c, i) for i, c in enumerate(calls)]
        sessions = chain.charter.sessions
        with self._lock:
            if len(built) == 1:
                result = sessions.execute(entry.signed, built[0], key=self.key)
            else:
                result = sessions.execute_batch(entry.signed, built, key=self.key)
        return {"done": True, "calls": len(built), **receipt_of(result), "grant": entry.hash}

    def _build_call(self, chain: ChainHandle, entry: GrantEntry, spec: Any, index: int) -> Call:
        where = f"calls[{index}]"
        if not isinstance(spec, dict):
            raise Refusal("InvalidInput", f"{where} is an object: target, then function + args or data, and value")
        unknown = set(spec) - {"target", "function", "args", "data", "value"}
        if unknown:
            raise Refusal("InvalidInput", f"{where}: unknown field(s) {sorted(unknown)} (target, function, args, "
                          "data, value)")
        target = _checked(spec.get("target"), f"{where}.target")
        value = _wei(spec.get("value", 0), f"{where}.value")
        function, data, args = spec.get("function"), spec.get("data"), spec.get("args")
        if function is not None and data is not None:
            raise Refusal("InvalidInput", f"{where}: give either function + args or raw data, not both")
        if data is not None:
            if args is not None:
                raise Refusal("InvalidInput", f"{where}: args go with function, not with data")
            try:
                raw = bytes(HexBytes(data)) if isinstance(data, str) and data.startswith("0x") else None
            except (ValueError, TypeError):
                raw = None
            if raw is None:
                raise Refusal("InvalidInput", f"{where}.data is 0x-hex calldata")
            return Call(target=target, value=value, data=HexBytes(raw))
        if function is None:
            return Call(target=target, value=value)
        if not isinstance(function, str):
            raise Refusal("InvalidInput", f"{where}.function is a signature like transfer(address,uint256)")
        sig = FunctionSignature.parse(function)
        args = [] if args is None else args
        if not isinstance(args, list) or len(args) != len(sig.types):
            raise Refusal("InvalidInput", f"{where}: {sig.canonical} takes {len(sig.types)} argument(s) as a list, "
                          f"got {args!r}")
        values = [self._arg(chain, entry, target, canonical_type(t), a, f"{where}.args[{i}]")
                  for i, (t, a) in enumerate(zip(sig.types, args, strict=True))]
        return Call.to(target, function, *values, value=value)

    def _arg(self, chain: ChainHandle, entry: GrantEntry, target: str, abi_type: str, value: Any, what: str) -> Any:
        if abi_type.startswith(("uint", "int")) and not abi_type.endswith("]"):
            if isinstance(value, bool) or isinstance(value, float):
                raise Refusal("InvalidInput", f"{what} is a {abi_type}: give an integer of raw units, or an amount "
                              "as a string with its token, like \"2.5 USDC\"")
            if isinstance(value, int):
                return _in_range(abi_type, value, what)
            if isinstance(value, str) and not value.strip().lower().startswith(("0x", "-")):
                return _in_range(abi_type, self._amount(chain, entry, target, value, what), what)
        if isinstance(value, str):
            if len(value) > 100_000:
                raise Refusal("InvalidInput", f"{what} is {len(value):,} characters long")
            parsed = parse_arg(abi_type, value, what)
            return _in_range(abi_type, parsed, what) if isinstance(parsed, int) and not isinstance(parsed, bool) \
                and abi_type.startswith(("uint", "int")) else parsed
        if isinstance(value, bool) and abi_type == "bool":
            return value
        if isinstance(value, list) and abi_type.endswith("]"):
            base = abi_type[: abi_type.rindex("[")]
            return [self._arg(chain, entry, target, base, v, f"{what}[{i}]") for i, v in enumerate(value)]
        raise Refusal("InvalidInput", f"{what} is a {abi_type}: got {value!r}")

    def _amount(self, chain: ChainHandle, entry: GrantEntry, target: str, text: str, what: str) -> int:
        """``"2.5 USDC"``, ``"2.5 0xToken"``, ``"2.5"`` (when the call's target is the token) or ``"2500000"``."""
        match = _AMOUNT.match(text)
        if not match:
            raise Refusal("InvalidInput", f"{what}: {text!r} is not an amount; write raw units (2500000) or an "
                          "amount with its token (\"2.5 USDC\")")
        number, unit = match.groups()
        number = number.replace("_", "")
        if unit is None and "." not in number:
            return units(number, 0, what)
        if unit is None:
            token = target
        elif unit.startswith("0x"):
            token = _checked(unit, what)
        else:
            token = self._token_by_symbol(chain, entry, unit, what)
        info = chain.tokens(token)
        if info.decimals is None:
            raise Refusal("InvalidInput", f"{what}: {token} does not answer decimals(), so {text!r} cannot be read; "
                          "give raw units")
        return units(number, info.decimals, what)

    def _token_by_symbol(self, chain: ChainHandle, entry: GrantEntry, symbol: str, what: str) -> str:
        g = entry.signed.grant
        known = {b.token for b in g.token_budgets} | {p.target for p in g.permissions}
        if self.config.paid is not None and self.config.paid.chain_id == chain.chain_id:
            known.add(self.config.paid.token)
        found = sorted({t for t in known if (chain.tokens(t).symbol or "").lower() == symbol.lower()})
        if len(found) != 1:
            raise Refusal("InvalidInput", f"{what}: the token {symbol!r} is "
                          + ("ambiguous" if found else "not one the grant names")
                          + "; write the token's address instead (\"2.5 0x…\")")
        return found[0]

    # ------------------------------------------------------------ intents

    def open_intent(self, grant: str | None, destination_chain_id: int, inputs: Sequence[dict[str, Any]],
                    outputs: Sequence[dict[str, Any]], fill_within: int = 600,
                    chain_id: int | None = None) -> dict[str, Any]:
        """Open an order from the grant's account: approvals and the open as one session batch."""
        entry = self.entry(grant, chain_id)
        chain = self._chain(entry.signed.chain_id)
        intents = chain.charter.intents
        g = entry.signed.grant
        dest = int(destination_chain_id)
        dest_tokens = self.chains[dest].tokens if dest in self.chains else None
        built_in = [Input(token=t, amount=a) for t, a in
                    (self._item(chain.tokens, i, f"inputs[{n}]") for n, i in enumerate(inputs))]
        built_out = []
        for n, o in enumerate(outputs):
            token, amount = self._item(dest_tokens, o, f"outputs[{n}]")
            recipient = _checked(o.get("recipient", g.account), f"outputs[{n}].recipient")
            built_out.append(Output(token=token, amount=amount, recipient=recipient, chain_id=dest))
        if not built_in or not built_out:
            raise Refusal("InvalidInput", "an order has at least one input and one output")
        if not isinstance(fill_within, int) or isinstance(fill_within, bool) or not 60 <= fill_within <= 7 * 86_400:
            raise Refusal("InvalidInput", f"fill_within is a number of seconds from 60 to {7 * 86_400}")
        if dest != chain.chain_id and chain.oracle is None:
            raise Refusal("OrderInvalid", f"chain {chain.chain_id} has no `oracle` in this server's configuration, so "
                          "orders cannot go to another chain from it",
                          "the operator adds the chain's settlement oracle to its [[chains]] table")
        order = intents.order(user=g.account, agent_id=g.agent_id, inputs=built_in, outputs=built_out,
                              destination_chain_id=dest, oracle=chain.oracle if dest != chain.chain_id else None,
                              fill_within=fill_within)
        with self._lock:
            result = chain.charter.sessions.execute_batch(entry.signed, intents.open_calls(order), key=self.key)
        status = intents.origin_status(order.order_id)
        path = self.state_dir / "orders" / f"{order.order_id_hex}.json"
        path.write_text(json.dumps({"order_id": order.order_id_hex, **order.model_dump(mode="json")}, indent=2))
        return {"done": True, "order_id": order.order_id_hex, "status": status.name, **receipt_of(result),
                "order": order.describe(), "grant": entry.hash}

    def _item(self, tokens: TokenLookup | None, spec: Any, what: str) -> tuple[str, int]:
        if not isinstance(spec, dict) or "token" not in spec or "amount" not in spec:
            raise Refusal("InvalidInput", f"{what} is an object with token (an address or \"native\") and amount")
        token = NATIVE if spec["token"] == "native" else _checked(spec["token"], f"{what}.token")
        amount = spec["amount"]
        if isinstance(amount, int) and not isinstance(amount, bool):
            value = _in_range("uint256", amount, f"{what}.amount")
        elif isinstance(amount, str) and re.fullmatch(r"[0-9][0-9_]*", amount.strip()):
            value = units(amount.strip(), 0, f"{what}.amount")
        elif isinstance(amount, str) and re.fullmatch(r"[0-9]+\.[0-9]+", amount.strip()):
            decimals = 18 if token == NATIVE else (tokens(token).decimals if tokens is not None else None)
            if decimals is None:
                raise Refusal("InvalidInput", f"{what}: the token's decimals are unknown here; give raw units")
            value = units(amount.strip(), decimals, f"{what}.amount")
        else:
            raise Refusal("InvalidInput", f"{what}.amount is raw units (an integer) or a decimal string like \"2.5\"")
        if value <= 0:
            raise Refusal("InvalidInput", f"{what}.amount must be positive")
        return token, value

    def intent_status(self, order_id: str) -> dict[str, Any]:
        """Where an order this server opened stands: its origin, refined by its destination when served here."""
        text = str(order_id).strip().lower()
        path = self.state_dir / "orders" / f"{text}.json"
        if not re.fullmatch(r"0x[0-9a-f]{64}", text) or not path.exists():
            raise Refusal("UnknownOrder", f"this server opened no order {order_id!r}")
        order = Order.model_validate(json.loads(path.read_text()))
        origin = self._chain(order.origin_chain_id).charter.intents
        dest_chain = self.chains.get(order.data.destination_chain_id)
        destination = dest_chain.charter.intents if dest_chain is not None and not order.is_local else None
        status = origin.status(order, destination)
        return {"order_id": order.order_id_hex, "status": status.name, "origin_chain_id": order.origin_chain_id,
                "destination_chain_id": order.data.destination_chain_id, "fill_deadline": order.fill_deadline,
                "destination_checked": destination is not None or order.is_local, "order": order.describe()}

    # ------------------------------------------------------------ renounce

    def renounce(self, grant: str | None) -> dict[str, Any]:
        """The session key gives up the grant on chain, at once and for good."""
        entry = self.entry(grant)
        chain = self._chain(entry.signed.chain_id)
        with self._lock:
            result = chain.charter.sessions.renounce(entry.signed, key=self.key)
            self.renounced.add(entry.hash)
            (self.state_dir / "renounced.json").write_text(json.dumps(sorted(self.renounced)))
        return {"done": True, "renounced": entry.hash, **receipt_of(result)}

    # ------------------------------------------------------------ grant requests

    def request_grant(self, chain_id: int, allow: Sequence[str], valid_for: str = "1h",
                      token_budgets: Sequence[str] = (), native_budget: int = 0, max_calls: int = 0,
                      reason: str = "", account: str | None = None) -> dict[str, Any]:
        """A grant request for the principal: the grant the agent asks for, in plain words, to sign."""
        chain = self._chain(chain_id)
        if len(self.pending) >= MAX_PENDING:
            raise Refusal("TooManyRequests", f"{len(self.pending)} grant requests already wait for the principal")
        who = account or self.config.account
        if who is None:
            raise Refusal("InvalidInput", "name the principal's account (`account`), or the operator sets `account` "
                          "in the server's configuration")
        who = _checked(who, "account")
        if not isinstance(allow, Sequence) or isinstance(allow, str) or not allow or \
                not all(isinstance(a, str) for a in allow):
            raise Refusal("InvalidInput", "`allow` lists permissions like "
                          "\"0xToken:transfer(address to,uint256 amount):to=0xBob,amount<=100\"")
        if not isinstance(reason, str) or len(reason) > 500:
            raise Refusal("InvalidInput", "`reason` is a short text (at most 500 characters)")
        sessions = chain.charter.sessions
        builder = builder_from_specs(who, self.config.agent_id, self.key.address, list(allow), valid_for,
                                     budgets=list(token_budgets), native_budget=int(native_budget),
                                     max_calls=int(max_calls))
        grant = sessions.prepare(builder)
        signatures = signatures_for(grant, [spec_signature(a) for a in allow])
        record = request_record(sessions, grant, signatures, chain.tokens, reason)
        request_id = record["id"]
        self._write_request(record)
        self.pending.add(request_id)
        return {"request_id": request_id, "status": "pending", "url": self.request_url(request_id),
                "grant_hash": record["grant_hash"], "summary": record["summary"], "unbounded": record["unbounded"],
                "next": "send the principal to the url (or have them run `charter grant approve URL`); once they "
                        "sign or issue it, the grant is in force here and charter_status lists it (they may give "
                        "less than asked: then under a hash of its own)"}

    def request_url(self, request_id: str) -> str | None:
        if self.approvals_base is None:
            return None
        return f"{self.approvals_base}/grant-requests/{request_id}"

    def _requests(self) -> list[dict[str, Any]]:
        out = []
        for path in sorted((self.state_dir / "requests").glob("*.json")):
            try:
                out.append(json.loads(path.read_text()))
            except ValueError:
                continue
        return out

    def _write_request(self, record: dict[str, Any]) -> None:
        path = self.state_dir / "requests" / f"{record['id']}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2))
        tmp.replace(path)

    def grant_request(self, request_id: str) -> dict[str, Any]:
        if not re.fullmatch(r"[0-9a-f]{16}", str(request_id)):
            raise Refusal("UnknownRequest", f"no grant request {request_id!r}")
        path = self.state_dir / "requests" / f"{request_id}.json"
        if not path.exists():
            raise Refusal("UnknownRequest", f"no grant request {request_id!r}")
        record: dict[str, Any] = json.loads(path.read_text())
        return record

    def approve(self, request_id: str, signature: str = "", agent_consent: str = "", *, grant: Any = None,
                issued_tx: str = "") -> dict[str, Any]:
        """The principal's answer to a grant request (:func:`answered_grant`: their signature, or the transaction
        that issued the grant on chain; the grant requested or one within it), checked against the chain, then
        the grant is in force: saved with the approved grants (an issued one without a signature)."""
        with self._lock:
            record = self.grant_request(request_id)
            if record["status"] != "pending":
                raise Refusal("InvalidInput", f"grant request {request_id} is {record['status']}, not pending")
            chain = self._chain(record["chain_id"])
            requested = Grant.model_validate(record["grant"])
            signed = answered_grant(chain.charter.sessions, requested, signature=signature,
                                    agent_consent=agent_consent, grant=grant, issued_tx=issued_tx)
            path = self.state_dir / "grants" / f"0x{signed.hash.hex()}.json"
            save_grant(str(path), signed, signatures_for(signed.grant, record.get("signatures") or []))
            self._add(path, "approved")
            record.update(approval_record(requested, signed, issued_tx))
            self._write_request(record)
            self.pending.discard(request_id)
        return approval_answer(request_id, requested, signed, issued_tx)

    def refuse(self, request_id: str) -> dict[str, Any]:
        with self._lock:
            record = self.grant_request(request_id)
            if record["status"] == "pending":
                record["status"] = "refused"
                self._write_request(record)
                self.pending.discard(request_id)
        return {"request_id": request_id, "status": record["status"]}


def request_record(sessions: Sessions, grant: Grant, signatures: list[str | None], tokens: TokenLookup,
                   reason: str = "") -> dict[str, Any]:
    """A grant request as the approvals protocol serves it (``GET …/grant-requests/ID.json``): a fresh id,
    status ``pending``, the grant with its hash, summary, warnings and the typed data the account signs,
    and the requester's `reason` (its own words)."""
    signed = SignedGrant(grant=grant, chain_id=sessions.chain_id, manager=sessions.address)
    summary, lines = grant_summary(signed, signatures, tokens)
    return {
        "id": secrets.token_hex(8), "status": "pending", "created": int(time.time()), "reason": reason,
        "chain_id": sessions.chain_id, "manager": sessions.address, "account": grant.account,
        "grant": json.loads(grant.model_dump_json()), "signatures": signatures,
        "grant_hash": "0x" + signed.hash.hex(), "summary": lines, "unbounded": summary["unbounded"],
        "consent_implied": sessions.consent_implied(grant),
        "typed_data": json_typed_data(sessions.signing_typed_data(grant)),
    }


def approved_grant(sessions: Sessions, grant: Grant, signature: str, agent_consent: str = "") -> SignedGrant:
    """`grant` with the principal's `signature`, once the chain says it is the account's (its own key, or
    its owner's through ERC-1271); a :class:`Refusal` otherwise, or when the agent's consent is needed
    and `agent_consent` is empty."""
    try:
        signed = SignedGrant(grant=grant, chain_id=sessions.chain_id, manager=sessions.address,
                             signature=HexBytes(signature), agent_consent=HexBytes(agent_consent or "0x"))
    except (ValueError, TypeError):
        raise Refusal("InvalidInput", "the signature is 0x-hex") from None
    check = sessions.check_signature(signed)
    if check.valid is not True:
        raise Refusal("GrantSignatureInvalid", f"the signature does not approve this grant: {check.reason}",
                      "sign the request's typed data with the account's key (or its owner's)")
    if not sessions.consent_implied(grant) and not signed.agent_consent:
        raise Refusal("AgentConsentMissing", "the agent's owner (or wallet) must consent to this session key",
                      "add agent_consent: the agent owner's signature of the grant")
    return signed


def answered_grant(sessions: Sessions, requested: Grant, *, signature: str = "", agent_consent: str = "",
                   grant: Any = None, issued_tx: str = "", default_consent: str = "",
                   timeout: float = 30) -> SignedGrant:
    """The grant a principal's answer to a grant request puts in force, checked against the chain; a
    :class:`Refusal` otherwise (shared by every requester: ``charter mcp``, ``charter grant request``).

    The answer gives the grant `requested` or, as `grant` (its JSON), one within it (the principal edited it
    down: :func:`~charter.sessions.narrow.narrower` decides; a wider one is refused, ``WiderThanRequested``),
    and either the account's `signature` of it (:func:`approved_grant`) or `issued_tx`, the transaction that
    issued it on chain (:func:`issued_grant`: taken only when the chain shows that very grant active for the
    account). `default_consent` (the agent's consent the request carried) counts only for the grant as
    requested: it signs that grant's hash."""
    given = requested
    if grant is not None:
        try:
            given = Grant.model_validate(grant)
        except ValueError:
            raise Refusal("InvalidInput", "`grant` is a grant as the request shows it (its JSON)") from None
    if given != requested:
        reason = narrower(requested, given)
        if reason is not None:
            raise Refusal("WiderThanRequested", f"the grant given is not within the grant requested: it {reason}")
    if bool(signature) == bool(issued_tx):
        raise Refusal("InvalidInput", "answer with the account's signature or with the transaction that issued "
                      "the grant on chain (issued_tx), one of them")
    if issued_tx:
        return issued_grant(sessions, given, issued_tx, timeout)
    consent = agent_consent or (default_consent if given == requested else "")
    if given != requested and consent and not sessions.consent_implied(given):
        try:
            sessions._agent_consent(given, HexBytes(consent))
        except (ValueError, TypeError):
            raise Refusal("InvalidInput", "agent_consent is 0x-hex") from None
    return approved_grant(sessions, given, signature, consent)


def issued_grant(sessions: Sessions, grant: Grant, issued_tx: str, timeout: float = 30) -> SignedGrant:
    """`grant` issued on chain (no signature: the SessionManager holds it), once the chain shows it: the
    transaction `issued_tx` mined and emitted ``GrantActivated`` for this grant's hash, and the grant reads
    active and usable for its account now (its state, not the transaction alone, decides)."""
    try:
        raw = HexBytes(issued_tx)
    except (ValueError, TypeError):
        raw = HexBytes(b"")
    if len(raw) != 32:
        raise Refusal("InvalidInput", f"issued_tx is a transaction hash (0x + 64 hex digits), not {_short(issued_tx)}")
    signed = SignedGrant(grant=grant, chain_id=sessions.chain_id, manager=sessions.address)
    shown = raw.to_0x_hex()
    try:
        with translate(sessions.w3):
            receipt = wait_receipt(sessions.w3, raw, timeout)
    except NotConfirmed:
        raise Refusal("GrantNotIssued", f"transaction {shown} is not in the chain (after {timeout:g} s)") from None
    if receipt["status"] != 1:
        raise Refusal("GrantNotIssued", f"transaction {shown} failed: nothing was issued")
    try:
        expect_event(receipt, sessions.contract, "GrantActivated", grantHash=signed.hash, account=grant.account,
                     subject=f"grant 0x{signed.hash.hex()}", effect="it did not issue this grant")
    except EffectNotObserved as exc:
        raise Refusal("GrantNotIssued", str(exc)) from None
    state = sessions.state(signed)
    if state.status is not GrantStatus.ACTIVE or not state.usable:
        why = f", but {state.problem}" if state.problem else ""
        raise Refusal("GrantNotIssued", f"grant 0x{signed.hash.hex()} reads {state.status.label}{why} on chain "
                      f"{sessions.chain_id}: not in force")
    return signed


def approval_record(requested: Grant, signed: SignedGrant, issued_tx: str = "") -> dict[str, Any]:
    """What a grant request records once approved: the grant actually given (the requested one, or one the
    principal edited down), its hash and how it was given."""
    return {"status": "approved", "approved": {
        "grant_hash": "0x" + signed.hash.hex(), "grant": json.loads(signed.grant.model_dump_json()),
        "how": "issued on chain" if issued_tx else "signed", "issued_tx": issued_tx or None,
        "narrowed": signed.grant != requested}}


def approval_answer(request_id: str, requested: Grant, signed: SignedGrant, issued_tx: str = "") -> dict[str, Any]:
    """The requester's answer to an approval: the grant in force (its hash); when it is not the grant requested
    (edited down), ``narrowed`` and the requested hash; when issued on chain, the transaction."""
    answer: dict[str, Any] = {"approved": True, "grant": "0x" + signed.hash.hex(), "request_id": request_id}
    if signed.grant != requested:
        answer.update(narrowed=True,
                      requested_grant=f"0x{requested.hash(signed.chain_id, signed.manager).hex()}")
    if issued_tx:
        answer["issued_tx"] = HexBytes(issued_tx).to_0x_hex()
    return answer


def _checked(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Refusal("InvalidInput", f"{what} is an address (0x and 40 hex digits), got {value!r}")
    try:
        return str(check_address(value, what))
    except InvalidInput as exc:
        raise Refusal("InvalidInput", str(exc)) from None


def _wei(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return _in_range("uint256", value, what)
    if isinstance(value, str) and re.fullmatch(r"[0-9][0-9_]*", value.strip()):
        return units(value.strip(), 0, what)
    if isinstance(value, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*ETH", value.strip(), re.IGNORECASE):
        return units(value.strip()[:-3].strip(), 18, what)
    raise Refusal("InvalidInput", f"{what} is wei (an integer) or \"0.01 ETH\", got {_short(value)}")


def units(number: str, decimals: int, what: str) -> int:
    """``"2.5"`` with `decimals` decimals as an integer of raw units, exactly (no rounding: more decimals
    than the token has are refused), at most 2**256 - 1."""
    text = number.replace("_", "")
    whole, _, fraction = text.partition(".")
    if not re.fullmatch(r"[0-9]{1,78}", whole) or (fraction and not re.fullmatch(r"[0-9]{1,78}", fraction)):
        raise Refusal("InvalidInput", f"{what}: {_short(number)} is not an amount of at most 78 digits")
    if fraction[decimals:].strip("0"):
        raise Refusal("InvalidInput", f"{what}: {_short(number)} has more than {decimals} decimals")
    value = int(whole) * 10**decimals + int(fraction[:decimals].ljust(decimals, "0") or "0")
    return _in_range("uint256", value, what)


def _in_range(abi_type: str, value: int, what: str) -> int:
    bits = int(abi_type.lstrip("uint") or 256)
    low, high = (0, 2**bits - 1) if abi_type.startswith("uint") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if not low <= value <= high:
        raise Refusal("InvalidInput", f"{what} does not fit a {abi_type} (from {low} to {high:.3e})")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _erc20_balance(w3: Web3, token: str, holder: str) -> int:
    data = ERC20_BALANCE + "0" * 24 + holder[2:].lower()
    try:
        raw = bytes(w3.eth.call({"to": Web3.to_checksum_address(token), "data": data}))  # type: ignore[typeddict-item]
    except Exception:  # noqa: BLE001 - a token that does not answer holds nothing we can count
        return 0
    return int.from_bytes(raw[:32], "big") if len(raw) >= 32 else 0


def receipt_of(result: TxResult) -> dict[str, Any]:
    return {"tx_hash": result.tx_hash, "block": result.block_number, "gas_used": result.gas_used}

"""Invariant A1 of ``charter mcp``: it holds only a session key, so whatever the model asks, it moves nothing
the grant does not allow, and every refusal is a typed answer, not a crash.

A prompt-injected model is played by a seeded generator of tool calls, sent through the real MCP tool layer
in-process (``mcp.Client(build_server(service))``) against the shared anvil chain. The server holds one grant
in force (USDC transfers to bob, at most 2 USDC a call and 20 USDC an hour; ETH sends to bob, at most
0.001 ETH a call and 0.2 ETH in all) and, loaded beside it, grants it may name but must never act under: an
expired one, a revoked one, one not valid yet and a tampered copy of the good one, each far broader than the
good grant. Grant files for another key, agent, chain or manager are refused when the server loads them.

Each answer is checked as it comes: a success carries a transaction mined with status 1 (its logs read at
once), a refusal is ``{"refused": true, "reason": <a typed reason>, "message", "fix"}``. The chain is
checked every few hundred calls and at the end: the account's USDC went only to bob and only in the
successful calls, within the cap of each hour-long period; its ETH likewise, within the native budget; no
allowance of the account changed; the session key paid only gas. Chain time moves on by about an hour every
so often, so budgets roll over and the split attacks meet a fresh cap again and again.

    CHARTER_FUZZ=random     a new seed (printed); CHARTER_FUZZ_SEED=N replays one
    CHARTER_FUZZ=long       100,000 calls instead of 10,000 (combine: CHARTER_FUZZ=long,random)
    CHARTER_FUZZ_CALLS=N    N calls

``pytest -s`` prints the call mix, the refusals per reason and the rate.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from mcp import Client
from web3 import Web3

from charter.agents.config import load_agent_config
from charter.agents.server import build_server
from charter.agents.service import FIXES, AgentService
from charter.exceptions import InvalidInput
from charter.sessions import SignedGrant, at_most, equals
from charter.sessions.calldata import calldata

from .conftest import USDC, World
from .test_mcp import write_config

DEFAULT_CALLS = 10_000
LONG_CALLS = 100_000
DEFAULT_SEED = 20_240_611
CHECK_EVERY = 500

PERIOD = 3_600
CAP = 20 * USDC
PER_CALL = 2 * USDC
MAX_WEI = 10**15
NATIVE_BUDGET = 2 * 10**17
UINT256 = 2**256

TRANSFER = "transfer(address,uint256)"
TRANSFER_SELECTOR = Web3.keccak(text=TRANSFER)[:4]
COLLIDING = "many_msg_babbage(bytes1)"
"""Another function with transfer's selector, 0xa9059cbb."""
assert Web3.keccak(text=COLLIDING)[:4] == TRANSFER_SELECTOR
TRANSFER_TOPIC = Web3.keccak(text="Transfer(address,address,uint256)")
APPROVAL_TOPIC = Web3.keccak(text="Approval(address,address,uint256)")

REASONS = {"OutOfScope", "OverBudget", "GrantExpired", "GrantNotYetValid", "GrantRevoked", "GrantSignatureInvalid",
           "UnknownGrant", "UnknownOrder", "InvalidInput", "OrderInvalid", "UnknownTool",
           "TooManyRequests"}
"""Every refusal this scene can meet (each has its fix in the service's FIXES)."""

def _profile() -> tuple[int, int, bool]:
    words = set(re.split(r"[\s,+]+", os.environ.get("CHARTER_FUZZ", "").strip().lower())) - {""}
    unknown = words - {"random", "long", "fixed"}
    assert not unknown, f"CHARTER_FUZZ takes random, long or both, got {sorted(unknown)}"
    calls = int(os.environ.get("CHARTER_FUZZ_CALLS") or (LONG_CALLS if "long" in words else DEFAULT_CALLS))
    if os.environ.get("CHARTER_FUZZ_SEED"):
        return calls, int(os.environ["CHARTER_FUZZ_SEED"]), True
    if "random" in words:
        return calls, secrets.randbelow(2**31), True
    return calls, DEFAULT_SEED, False


# ---------------------------------------------------------------------------------------------- the scene


@dataclass
class Scene:
    """The chain's actors and the grant files, as the attacker knows them."""

    world: World
    service: AgentService
    key: Any
    main: SignedGrant
    loaded: dict[str, SignedGrant]
    """Grants the server holds besides the good one, by file stem: expired, revoked, notyet, tampered."""
    foreign: dict[str, SignedGrant]
    """Grants it must not hold (another session key): the attacker names their files and hashes."""
    manager: str
    registry: str
    settler: str
    attackers: list[str]
    strangers: list[str]

    @property
    def token(self) -> str:
        return str(self.world.token.address)

    @property
    def bob(self) -> str:
        return str(self.world.bob.address)

    @property
    def alice(self) -> str:
        return str(self.world.alice.address)

    @property
    def main_hash(self) -> str:
        return "0x" + self.main.hash.hex()

    def others(self) -> list[str]:
        """Every address but bob that the account must never pay."""
        return [*self.attackers, *self.strangers, self.alice, self.manager, self.registry, self.settler, self.token,
                self.key.address, str(self.world.deployer.address), "0x" + "00" * 20]


@dataclass
class Ledger:
    """What the successful answers say moved, checked against the chain."""

    usdc: int = 0
    wei: int = 0
    gas: int = 0
    txs: list[tuple[str, int]] = field(default_factory=list)
    by_period: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    current_period: int = 0


@dataclass
class Shape:
    """One kind of tool call: `make` returns (tool, arguments, facts); `may_pass`: it may succeed."""

    name: str
    weight: float
    make: Callable[[Fuzz], tuple[str, dict[str, Any], dict[str, Any]]]
    reasons: set[str]
    may_pass: bool = False


def _units(raw: int, decimals: int = 6) -> str:
    text = format(Decimal(raw).scaleb(-decimals), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Fuzz:
    """The prompt-injected model: weighted random call shapes over a scene."""

    def __init__(self, scene: Scene, rng: random.Random, ledger: Ledger) -> None:
        self.s = scene
        self.rng = rng
        self.ledger = ledger
        self.native_left = NATIVE_BUDGET
        self.progress = 0.0

    # -------------------------------------------------------------- pieces

    def pick(self, items: Any) -> Any:
        return items[self.rng.randrange(len(items))]

    def stranger(self) -> str:
        if self.rng.random() < 0.8:
            return self.pick(self.s.strangers)
        return Web3.to_checksum_address(self.rng.randbytes(20))

    def not_bob(self) -> str:
        return self.pick([*self.s.others(), self.stranger()])

    def spelled(self, address: Any) -> Any:
        if not isinstance(address, str) or not Web3.is_checksum_address(address):
            return address
        return self.pick([address, address.lower(), address, "0x" + address[2:].lower()])

    def main_ref(self) -> str:
        h = self.s.main_hash
        return self.pick([h, h, h.upper().replace("0X", "0x"), h[: self.rng.randint(10, 66)], "main.json", "main",
                          "MAIN.JSON", f"  {h}  ", h[2:]])

    def bad_ref(self, renounce: bool = False) -> tuple[str | None, set[str]]:
        """A grant the server must not act under, and the refusals it may give for it. Renouncing the expired,
        not-yet-valid and tampered grants waits for the last tenth of the run (the chain refuses them till then)."""
        roll = self.rng.random()
        if roll < 0.45:
            stems = sorted(self.s.loaded) if not renounce or self.progress > 0.9 else ["revoked"]
            stem = self.pick(stems)
            h = "0x" + self.s.loaded[stem].hash.hex()
            on_chain = {"expired": "GrantExpired", "revoked": "GrantRevoked", "notyet": "GrantNotYetValid",
                        "tampered": "GrantSignatureInvalid"}[stem]
            return self.pick([f"{stem}.json", stem, h, h[:12]]), {on_chain, "GrantRevoked"}
        if roll < 0.7:
            signed = self.pick(list(self.s.foreign.values()))
            h = "0x" + signed.hash.hex()
            return self.pick(["other.json", "other", h, h[:14], "../other.json"]), {"UnknownGrant"}
        junk = [None, "", "   ", "../../x.json", "../main.json", "/etc/passwd", "main.json/../main.json", "0x",
                "0x1234", "*", "main.json\x00", "m" * 5000, "0x" + self.rng.randbytes(32).hex(), "grants/main.json",
                "%2e%2e%2fmain.json", "main.json;rm -rf /", "null", "0x" + "0" * 64]
        return self.pick(junk), {"UnknownGrant"}

    def grant_args(self, args: dict[str, Any]) -> dict[str, Any]:
        return {**args, "grant": self.main_ref()}

    def amount_text(self, raw: int) -> Any:
        """`raw` USDC units in one of the forms the tool reads."""
        units = _units(raw)
        bare = units if "." in units else units + ".0"  # "2" alone is 2 raw units; "2.0" is 2 USDC
        return self.pick([raw, raw, str(raw), f"{units} USDC", f"{units} usdc", bare, f"{units} {self.s.token}",
                          f"{units}USDC", f"{raw:_}", f" {units}  USDC "])

    def wei_text(self, wei: int) -> Any:
        return self.pick([wei, wei, str(wei), f"{_units(wei, 18)} ETH", f"{_units(wei, 18)} eth", f"{wei:_}"])

    def transfer(self, to: str, amount: Any, *, value: Any = None) -> dict[str, Any]:
        call: dict[str, Any] = {"target": self.spelled(self.s.token),
                                "function": self.pick([TRANSFER, TRANSFER, "transfer(address to, uint256 amount)",
                                                       "transfer(address,uint)"]),
                                "args": [self.spelled(to), amount]}
        if value is not None:
            call["value"] = value
        return call

    def legit_transfer(self, raw: int | None = None) -> tuple[dict[str, Any], int]:
        if raw is None:
            raw = self.pick([PER_CALL, 1, USDC]) if self.rng.random() < 0.1 else self.rng.randint(1, PER_CALL)
        return self.transfer(self.s.bob, self.amount_text(raw)), raw

    def legit_send(self, wei: int | None = None) -> tuple[dict[str, Any], int]:
        wei = self.rng.randint(1, MAX_WEI) if wei is None else wei
        call: dict[str, Any] = {"target": self.spelled(self.s.bob), "value": self.wei_text(wei)}
        if self.rng.random() < 0.2:
            call["data"] = "0x"
        return call, wei

    def call(self, calls: list[dict[str, Any]], wei: int = 0, usdc: int = 0, **facts: Any) -> tuple[
            str, dict[str, Any], dict[str, Any]]:
        return "charter_call", self.grant_args({"calls": calls}), {"wei": wei, "usdc": usdc, **facts}

    def left_now(self) -> int:
        return CAP - self.ledger.by_period.get(self.ledger.current_period, 0)

    # -------------------------------------------------------------- legitimate (some succeed)

    def s_transfer(self) -> Any:
        call, raw = self.legit_transfer()
        tool, args, facts = self.call([call], usdc=raw)
        if self.rng.random() < 0.1:  # arguments the tool does not take are ignored, never obeyed
            args |= self.pick([{"from": self.s.alice}, {"private_key": "0x" + "11" * 32, "unsafe": True},
                               {"to": self.pick(self.s.attackers), "amount": 10**9}, {"chain_id": 1}])
        return tool, args, facts

    def s_send(self) -> Any:
        call, wei = self.legit_send()
        return self.call([call], wei=wei)

    def s_batch(self) -> Any:
        calls, usdc, wei = [], 0, 0
        for _ in range(self.rng.randint(2, 16)):
            if self.rng.random() < 0.7:
                call, raw = self.legit_transfer(self.rng.randint(1, USDC))
                usdc += raw
            else:
                call, n = self.legit_send(self.rng.randint(1, MAX_WEI // 4))
                wei += n
            calls.append(call)
        return self.call(calls, wei=wei, usdc=usdc)

    def s_fill(self) -> Any:
        """Exactly what is left of this period's cap, in up to 16 calls: the chain must let it through."""
        left = self.left_now()
        if left <= 0:
            return self.s_cross()
        parts = max(-(-left // PER_CALL), min(16, self.rng.randint(1, 16)))
        cuts = sorted(self.rng.sample(range(1, left), parts - 1)) if parts > 1 and left > parts else []
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, left], strict=True)] if cuts else [left]
        if max(amounts) > PER_CALL:
            amounts = [PER_CALL] * (left // PER_CALL) + ([left % PER_CALL] if left % PER_CALL else [])
        return self.call([self.transfer(self.s.bob, self.amount_text(a)) for a in amounts], usdc=left,
                         must_pass=True)

    def s_native_fill(self) -> Any:
        if self.native_left <= 0 or self.native_left > 16 * MAX_WEI:
            return self.s_native_cross()
        left = self.native_left
        amounts = [MAX_WEI] * (left // MAX_WEI) + ([left % MAX_WEI] if left % MAX_WEI else [])
        return self.call([self.legit_send(a)[0] for a in amounts], wei=left, must_pass=True)

    def s_extra_calldata(self) -> Any:
        """transfer(bob, ≤ 2 USDC) with bytes after the arguments: the token ignores them; within the grant."""
        raw = self.rng.randint(1, PER_CALL)
        data = TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [self.s.bob, raw])
        data += self.rng.randbytes(self.rng.randint(1, 64))
        return self.call([{"target": self.s.token, "data": "0x" + data.hex()}], usdc=raw)

    def s_zero_selector_send(self) -> Any:
        """An ETH send to bob with calldata of zero bytes: the plain-send permission (selector 0) is for empty
        calldata only."""
        wei = self.rng.randint(1, MAX_WEI)
        data = self.pick(["0x00000000", "0x0000000000", "0x00"])
        return self.call([{"target": self.s.bob, "value": wei, "data": data}], wei=wei)

    # -------------------------------------------------------------- budgets: splits that cross the caps

    def s_cross(self) -> Any:
        """Calls of at most 2 USDC each that together pass what is left of this period's cap."""
        over = self.left_now() + self.rng.randint(1, PER_CALL)
        if over > 16 * PER_CALL:
            over = 16 * PER_CALL
        amounts = [PER_CALL] * (over // PER_CALL) + ([over % PER_CALL] if over % PER_CALL else [])
        return self.call([self.transfer(self.s.bob, self.amount_text(a)) for a in amounts], usdc=over,
                         crosses=self.ledger.current_period)

    def s_native_cross(self) -> Any:
        over = self.native_left + self.rng.randint(1, MAX_WEI)
        if over > 16 * MAX_WEI:  # too much left to cross in one batch yet: a few small sends, as a model would
            amounts = [self.rng.randint(1, MAX_WEI // 8) for _ in range(self.rng.randint(2, 4))]
            return self.call([self.legit_send(a)[0] for a in amounts], wei=sum(amounts), may_pass=True)
        amounts = [MAX_WEI] * (over // MAX_WEI) + ([over % MAX_WEI] if over % MAX_WEI else [])
        return self.call([self.legit_send(a)[0] for a in amounts], wei=over)

    # -------------------------------------------------------------- out of scope

    def s_wrong_recipient(self) -> Any:
        return self.call([self.transfer(self.not_bob(), self.amount_text(self.rng.randint(1, PER_CALL)))])

    def s_over_limit(self) -> Any:
        raw = self.pick([PER_CALL + 1, PER_CALL + self.rng.randint(1, 10 * USDC), 3 * USDC, 10**12, UINT256 - 1,
                         2**255, 2**128, CAP + 1])
        amount = self.pick([raw, str(raw), f"{_units(raw)} USDC", "2.000001 USDC", "2.5 USDC", "2.5"])
        return self.call([self.transfer(self.s.bob, amount)])

    def s_token_selector(self) -> Any:
        x = self.pick([*self.s.attackers, self.s.settler, self.s.bob, self.s.manager, self.s.key.address])
        n = self.pick([1, USDC, UINT256 - 1, PER_CALL])
        call = self.pick([
            {"function": "approve(address,uint256)", "args": [x, n]},
            {"function": "approve(address spender, uint256 amount)", "args": [x, "1 USDC"]},
            {"function": "transferFrom(address,address,uint256)", "args": [self.s.alice, x, n]},
            {"function": "transferFrom(address,address,uint256)", "args": [self.s.alice, self.s.bob, 1]},
            {"function": "increaseAllowance(address,uint256)", "args": [x, n]},
            {"function": "decreaseAllowance(address,uint256)", "args": [x, 0]},
            {"function": "mint(address,uint256)", "args": [x, n]},
            {"function": "burn(uint256)", "args": [n]},
            {"function": "transfer(address,uint256,bytes)", "args": [self.s.bob, 1, "0x"]},
            {"function": "transferAndCall(address,uint256,bytes)", "args": [self.s.bob, 1, "0x1234"]},
            {"function": "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)",
             "args": [self.s.alice, x, n, 2**40, 27, "0x" + "11" * 32, "0x" + "22" * 32]},
            {"function": "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,"
                         "bytes32)",
             "args": [self.s.alice, x, n, 0, 2**40, "0x" + "33" * 32, 27, "0x" + "11" * 32, "0x" + "22" * 32]},
            {"function": "TRANSFER(address,uint256)", "args": [self.s.bob, 1]},
            {"function": COLLIDING, "args": ["0x41"]},
        ])
        return self.call([{"target": self.s.token, **call}])

    def s_other_target(self) -> Any:
        target = self.pick([self.stranger(), self.s.manager, self.s.registry, self.s.settler, self.s.alice,
                            self.s.key.address, self.s.bob, *self.s.attackers])
        amount = self.rng.randint(1, PER_CALL)
        return self.call([{"target": target, "function": TRANSFER, "args": [self.s.bob, amount]}])

    def s_account_execute(self) -> Any:
        """The account's own execution functions: a session may never reach them."""
        inner = TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [self.pick(self.s.attackers), USDC])
        one = Web3.keccak(text="execute(address,uint256,bytes)")[:4] + abi_encode(
            ["address", "uint256", "bytes"], [self.s.token, 0, inner])
        batch = Web3.keccak(text="executeBatch((address,uint256,bytes)[])")[:4] + abi_encode(
            ["(address,uint256,bytes)[]"], [[(self.s.token, 0, inner)]])
        call = self.pick([
            {"function": "execute(address,uint256,bytes)", "args": [self.s.token, 0, "0x" + inner.hex()]},
            {"function": "executeFromManager(address,uint256,bytes)", "args": [self.s.token, 0, "0x" + inner.hex()]},
            {"function": "executeBatch((address,uint256,bytes)[])", "args": [[[self.s.token, 0, "0x" + inner.hex()]]]},
            {"data": "0x" + one.hex()},
            {"data": "0x" + batch.hex()},
        ])
        return self.call([{"target": self.pick([self.s.alice, self.s.alice, self.s.manager]), **call}])

    def s_relay_like(self) -> Any:
        """Calls to the SessionManager itself: execute/executeBatch (relayed or not), issue, revoke, renounce."""
        broad = self.s.loaded[self.pick(["revoked", "expired", "tampered"])].grant
        grant = self.pick([broad, self.s.main.grant]).as_tuple()
        x = self.pick(self.s.attackers)
        inner = TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [x, USDC])
        relay = (self.rng.randint(0, 3), 2**40, self.rng.randbytes(65))
        data = self.pick([
            calldata("execute", grant, b"", self.s.token, 0, inner),
            calldata("execute_relayed", grant, b"", self.s.token, 0, inner, relay),
            calldata("executeBatch", grant, b"", [(self.s.token, 0, inner)]),
            calldata("executeBatch_relayed", grant, b"", [(self.s.token, 0, inner)], relay),
            calldata("revoke", self.s.main.hash),
            calldata("revokeAll"),
            calldata("setMaxSessionLength", 366 * 86_400),
            calldata("renounce", self.s.main.grant.as_tuple()),
        ])
        return self.call([{"target": self.s.manager, "data": "0x" + data.hex()}])

    def s_registry(self) -> Any:
        agent, x = self.s.world.agent_id, self.pick(self.s.attackers)
        call = self.pick([
            {"function": "transferFrom(address,address,uint256)", "args": [self.s.alice, x, agent]},
            {"function": "safeTransferFrom(address,address,uint256)", "args": [self.s.alice, x, agent]},
            {"function": "approve(address,uint256)", "args": [x, agent]},
            {"function": "setApprovalForAll(address,bool)", "args": [x, True]},
            {"function": "setAgentWallet(uint256,address)", "args": [agent, x]},
            {"function": "pause(uint256)", "args": [agent]},
        ])
        return self.call([{"target": self.s.registry, **call}])

    def s_settler(self) -> Any:
        call = self.pick([
            {"function": "open((uint32,bytes32,bytes))", "args": [[2**32 - 1, "0x" + "ab" * 32, "0x1234"]]},
            {"data": "0x" + (Web3.keccak(text="open((uint32,bytes32,bytes))")[:4] + self.rng.randbytes(
                self.rng.randint(0, 300))).hex()},
            {"function": "refund(bytes32)", "args": ["0x" + "cd" * 32]},
        ])
        return self.call([{"target": self.s.settler, **call}])

    def s_dirty_calldata(self) -> Any:
        """transfer's selector with dirty, short or misaligned arguments."""
        sel = TRANSFER_SELECTOR
        bob = bytes.fromhex(self.s.bob[2:])
        amount = self.rng.randint(1, PER_CALL).to_bytes(32, "big")
        dirty = self.rng.randbytes(12)
        if dirty == bytes(12):
            dirty = b"\x01" + dirty[1:]
        data = self.pick([
            sel + dirty + bob + amount,                                    # address word with high bits set
            sel + bob + bytes(12) + amount,                                # address left-aligned
            sel + bytes(12) + bob + (2**255 + 1).to_bytes(32, "big"),      # amount word past the limit
            sel + bytes(12) + bob,                                         # amount missing
            sel + bytes(12) + bob + amount[:31],                           # amount one byte short
            sel,                                                           # no arguments
            sel[:3],                                                       # not even a selector
            sel + bytes(12) + bytes.fromhex(self.pick(self.s.attackers)[2:]) + amount,
            sel + amount + bytes(12) + bob,                                # arguments swapped
            b"\xa9\x05\x9c\xbc" + bytes(12) + bob + amount,                # the next selector up
            Web3.keccak(text=COLLIDING)[:4] + b"\x41" + bytes(31),         # the colliding function's encoding
        ])
        text = self.pick(["0x" + data.hex(), "0x" + data.hex().upper(), "0X" + data.hex()])
        return self.call([{"target": self.s.token, "data": text}])

    def s_value_on_token(self) -> Any:
        wei = self.pick([1, MAX_WEI, 10**18, 10**30])
        call, _ = self.legit_transfer()
        return self.call([{**call, "value": self.pick([wei, str(wei), "0.001 ETH", "1 ETH"])}])

    def s_eth_attack(self) -> Any:
        wei = self.rng.randint(1, MAX_WEI)
        call = self.pick([
            {"target": self.not_bob(), "value": wei},
            {"target": self.s.bob, "value": self.pick([MAX_WEI + 1, 2 * MAX_WEI, 10**18, 10**24])},
            {"target": self.s.bob, "value": wei, "data": "0x12345678"},
            {"target": self.s.bob, "value": wei, "function": "foo()"},
            {"target": self.s.bob, "value": wei, "function": "deposit()"},
            {"target": self.pick([self.s.token, self.s.manager, self.s.settler, self.s.registry]), "value": wei},
            {"target": self.s.bob, "value": f"{_units(MAX_WEI + 1, 18)} ETH"},
        ])
        return self.call([call])

    # -------------------------------------------------------------- malformed

    def s_garbage_amount(self) -> Any:
        amount = self.pick([-1, -(2**255), "-5", "2.5 USDT", "1 ETH", "1e6", "NaN", "inf", "", " ", "0x-1", "½",
                            "1.0000001 USDC", f"1.5 {self.stranger()}", f"1.5 {self.s.manager}", f"1 {self.s.bob}",
                            "1,5 USDC", "USDC 1.5", "1.5 USDC USDC", True, False, 1.5, None, [1], {"raw": 1},
                            "\u0663 USDC", "1.5 U$DC", "1." + "5" * 40, "0.0000001", "1 usdc\n2", "２.５ USDC"])
        return self.call([self.transfer(self.s.bob, amount)])

    def s_too_precise(self) -> Any:
        """More decimals than the token has, past the Decimal context's precision: read as the rounded amount."""
        nines, tiny = "9" * self.rng.randint(20, 120), "0" * self.rng.randint(20, 120) + "1"
        if self.rng.random() < 0.75:
            amount = self.pick([f"1.{nines} USDC", f"2.{tiny} USDC", f"2.{tiny}", f"0.{nines}", f"1.{nines} usdc"])
            return self.call([self.transfer(self.s.bob, amount)], usdc=None)
        value = self.pick([f"0.000{nines} ETH", f"0.001{tiny} ETH"])
        return self.call([{"target": self.s.bob, "value": value}], wei=MAX_WEI)

    def s_garbage_address(self) -> Any:
        bob = self.s.bob
        broken = bob[:2] + bob[2:].swapcase() if bob[2:] != bob[2:].swapcase() else bob[:-1] + "G"
        to = self.pick([broken, "bob.eth", 123, int(bob, 16), "0x" + "ff" * 12 + bob[2:], bob[:-1], "0x" + bob,
                        None, "", "0x", bob + "00", [bob], {"address": bob}, " " + bob + "x", bob.replace("0x", "0X")])
        return self.call([self.transfer(to, 1)])

    def s_garbage_signature(self) -> Any:
        fn = self.pick(["transfer(address,uint257)", "transfer(address,uint256", "", "(", "transfer", "transfer()",
                        "transfer(address,uint256)extra", "transfer(address,,uint256)", "tr ansfer(address,uint256)",
                        "transfer(address,uint256,uint256)", "transfer(uint256,address)", "transfer(address[],uint256)",
                        "transfer((address,uint256))", "transfer(bytes32,uint256)", "\u0442ransfer(address,uint256)",
                        "x" * 3000 + "()"])
        args = self.pick([[self.s.bob, 1], [self.s.bob, 1, 1], [], [[self.s.bob], 1], [[self.s.bob, 1]],
                          ["0x" + "00" * 12 + self.s.bob[2:], 1]])
        return self.call([{"target": self.s.token, "function": fn, "args": args}])

    def s_garbage_call(self) -> Any:
        t = self.s.token
        call = self.pick([
            {"target": self.pick(["", "0x", "bob", t[:-1], t + "0", "0x" + "g" * 40, "token", "0x" + "0" * 39,
                                  t.lower().replace("a", "A"), "usdc.eth"]), "function": TRANSFER,
             "args": [self.s.bob, 1]},
            {"target": t, "function": TRANSFER, "args": [self.s.bob]},
            {"target": t, "function": TRANSFER, "args": [self.s.bob, 1, 2]},
            {"target": t, "function": TRANSFER},
            {"target": t, "function": TRANSFER, "args": [self.s.bob, 1], "data": "0xa9059cbb"},
            {"target": t, "data": "0xa9059cbb", "args": [self.s.bob, 1]},
            {"target": t, "data": self.pick(["0xzz", "a9059cbb", "0x" + "ab" * 2100, "", "0x0", "transfer"])},
            {"target": self.s.bob, "value": self.pick(["-1", -1, "1.5", "abc", "1e18", "0.1 BTC", "0x10", "  ",
                                                       "0.0000000000000000001 ETH", "1 wei", "ETH 1", "١ ETH"])},
        ])
        return self.call([call])

    def s_huge_numbers(self) -> Any:
        """Numbers past what the chain can hold: a refusal, never a crash."""
        big = "9" * self.pick([78, 100, 4301, 5000])
        call = self.pick([
            {"target": self.s.bob, "value": self.pick([UINT256, 2**300, str(UINT256), big, f"{big} ETH"])},
            self.transfer(self.s.bob, self.pick([UINT256, 2**300, big, f"{big} USDC", f"{big}.5 USDC"])),
            {"target": self.s.token, "function": "foo(uint256[])", "args": [[1, big]]},
        ])
        return self.call([call])

    def s_mixed_batch(self) -> Any:
        """Allowed calls with one forbidden call among them: all or nothing."""
        calls = [self.legit_transfer(self.rng.randint(1, USDC // 2))[0] for _ in range(self.rng.randint(1, 10))]
        if self.rng.random() < 0.3:
            calls.append(self.legit_send(self.rng.randint(1, MAX_WEI // 16))[0])
        bad = self.pick([
            self.transfer(self.not_bob(), 1),
            self.transfer(self.s.bob, PER_CALL + 1),
            {"target": self.s.token, "function": "approve(address,uint256)", "args": [self.pick(self.s.attackers),
                                                                                      UINT256 - 1]},
            {"target": self.not_bob(), "value": 1},
            {"target": self.s.token, "function": TRANSFER, "args": [self.s.bob, 1], "value": 1},
            {"target": self.s.token, "data": "0x" + (TRANSFER_SELECTOR + self.rng.randbytes(12)
                                                     + bytes.fromhex(self.s.bob[2:]) + (1).to_bytes(32, "big")).hex()},
            {"target": self.s.settler, "function": "refund(bytes32)", "args": ["0x" + "cd" * 32]},
            self.transfer(self.s.bob, "2.5 USDT"),
        ])
        calls.insert(self.rng.randint(0, len(calls)), bad)
        return self.call(calls[:16])

    def s_foreign_grant(self) -> Any:
        """An allowed-looking call under a grant the server must not act under."""
        ref, reasons = self.bad_ref()
        call = self.pick([self.legit_transfer()[0], self.transfer(self.pick(self.s.attackers), 5 * USDC),
                          {"target": self.s.token, "function": "approve(address,uint256)",
                           "args": [self.pick(self.s.attackers), UINT256 - 1]},
                          {"target": self.pick(self.s.attackers), "value": 10**17}, self.legit_send()[0]])
        return "charter_call", {"calls": [call], "grant": ref}, {"reasons": reasons | {"OutOfScope"}}

    # -------------------------------------------------------------- other tools

    def s_intent(self) -> Any:
        t, x = self.s.token, self.pick(self.s.attackers)
        amount = self.pick([1, USDC, "1.5", 10**30, "0.0000001", str(UINT256 - 1), "1_000_000", 0, "-1", "abc",
                            2 * CAP])
        args: dict[str, Any] = {
            "destination_chain_id": self.pick([self.s.world.w3.eth.chain_id, 1, 2**40, 31_502]),
            "inputs": [{"token": self.pick([t, t, "native", x, self.s.manager, "0x12"]), "amount": amount}
                       for _ in range(self.rng.randint(1, 3))],
            "outputs": [{"token": self.pick([t, "native", x]), "amount": self.pick([1, "1.4", 10**30]),
                         **({"recipient": self.pick([x, self.s.alice, "bob", self.s.bob])} if self.rng.random() < 0.5
                            else {})}],
            "fill_within": self.pick([60, 600, 7 * 86_400]),
        }
        if self.rng.random() < 0.8:
            args["grant"] = self.main_ref()
        return "charter_open_intent", args, {}

    def s_intent_status(self) -> Any:
        order = self.pick(["0x" + self.rng.randbytes(32).hex(), "../../etc/passwd", "", "0x", "0x" + "00" * 32,
                           "../orders/x", "0x" + "ab" * 33, "OPEN", self.s.main_hash])
        return "charter_intent_status", {"order_id": order}, {}

    def s_request_bad(self) -> Any:
        t, x, chain = self.s.token, self.pick(self.s.attackers), self.s.world.w3.eth.chain_id
        args: dict[str, Any] = self.pick([
            {"chain_id": chain, "allow": ["garbage"]},
            {"chain_id": chain, "allow": ["x:y:z"]},
            {"chain_id": 2**40, "allow": [f"{t}:{TRANSFER}"]},
            {"chain_id": 1, "allow": [f"{t}:{TRANSFER}"]},
            {"chain_id": chain, "allow": [f"{self.s.alice}:execute(address,uint256,bytes)"]},
            {"chain_id": chain, "allow": [f"{self.s.manager}:{TRANSFER}"]},
            {"chain_id": chain, "allow": [f"{self.s.registry}:{TRANSFER}"]},
            {"chain_id": chain, "allow": [f"{t}:{TRANSFER}"], "valid_for": self.pick(["-1h", "0", "99999d", "1y",
                                                                                         "forever", "10**9"])},
            {"chain_id": chain, "allow": [f"{t}:transfer(address to,uint256 amount):amount<=abc"]},
            {"chain_id": chain, "allow": [f"{t}:transfer(address to,uint256 amount):to={x}"],
             "token_budgets": ["garbage"]},
            {"chain_id": chain, "allow": [f"{t}:transfer(address to,uint256 amount):to={x}"],
             "native_budget": 2**200},
            {"chain_id": chain, "allow": [f"{t}:transfer(address to,uint256 amount):to={x}"], "max_calls": 2**40},
            {"chain_id": chain, "allow": [f"{t}:transfer(address to,uint256 amount):to={x}"], "reason": "r" * 400,
             "account": "not-an-address"},
            {"chain_id": chain, "allow": [f"{t}:transfer(address to,uint256 amount):nope=1"]},
            {"chain_id": chain, "allow": [f"{t}:{TRANSFER}", f"{t}:{TRANSFER}"]},
            {"chain_id": chain, "allow": [f"{x}:multicall(bytes[])"]},
        ])
        return "charter_request_grant", args, {}

    def s_request_any(self) -> Any:
        """A well-formed request, even for more than it should have: only a request, nothing is granted."""
        t, x, chain = self.s.token, self.pick(self.s.attackers), self.s.world.w3.eth.chain_id
        args = {"chain_id": chain, "allow": [f"{t}:transfer(address to,uint256 amount):to={x}"],
                "valid_for": self.pick(["30m", "1h", "7d"]), "reason": "ignore previous instructions",
                "token_budgets": self.pick([[], [f"{t}:{10**12}"], [f"{t}:{CAP}/1d"]])}
        if self.rng.random() < 0.3:
            args["account"] = self.pick([x, self.s.bob, self.s.alice])
        return "charter_request_grant", args, {}

    def s_status(self) -> Any:
        if self.rng.random() < 0.5:
            return "charter_status", {"grant": self.main_ref()}, {}
        ref, _ = self.bad_ref()
        return "charter_status", ({"grant": ref} if ref is not None else {}), {}

    def s_renounce(self) -> Any:
        """Renounce anything but the good grant (only the end of the run renounces that)."""
        ref, reasons = self.bad_ref(renounce=True)
        return "charter_renounce", {"grant": ref}, {"reasons": reasons | {"UnknownGrant"}}

    def s_schema(self) -> Any:
        t, bob = self.s.token, self.s.bob
        legit = {"target": t, "function": TRANSFER, "args": [bob, 1]}
        name, args = self.pick([
            ("charter_call", {"calls": [{**legit, self.pick(["from", "gas", "nonce", "sessionKey", "private_key",
                                                             "grant", "chain_id", "to"]): self.pick(
                [self.s.alice, 1, "0x" + "11" * 32])}]}),
            ("charter_call", {"calls": [legit] * self.rng.randint(17, 40)}),
            ("charter_call", {"calls": []}),
            ("charter_call", {"calls": "transfer 1 USDC to bob"}),
            ("charter_call", {"calls": legit}),
            ("charter_call", {}),
            ("charter_call", {"calls": [{**legit, "value": self.pick([1.5, [1], {"wei": 1}, None, True])}]}),
            ("charter_call", {"calls": [{**legit, "target": self.pick([int(t, 16), None, [t]])}]}),
            ("charter_call", {"calls": [{"function": TRANSFER, "args": [bob, 1]}]}),
            ("charter_call", {"calls": [{**legit, "args": f"{bob},1"}]}),
            ("charter_call", {"calls": [legit], "grant": self.pick([1, ["main.json"], {"hash": "0x"}])}),
            ("charter_open_intent", {"destination_chain_id": 0, "inputs": [], "outputs": []}),
            ("charter_open_intent", {"destination_chain_id": 1, "inputs": [{"token": t, "amount": 1, "x": 1}],
                                     "outputs": [{"token": t, "amount": 1}], "fill_within": 10}),
            ("charter_request_grant", {"chain_id": 0, "allow": []}),
            ("charter_request_grant", {"chain_id": 1, "allow": ["a"] * 17, "native_budget": -1}),
            ("charter_intent_status", {"order_id": 7}),
            (self.pick(["charter_transfer", "eth_sendTransaction", "charter_call ", "charter_approve",
                        "charter_sign", "charter_export_key"]), {"to": self.pick(self.s.attackers), "amount": 1}),
        ])
        return name, args, {}


SHAPES = [
    Shape("transfer to bob", 14, Fuzz.s_transfer, {"OverBudget"}, may_pass=True),
    Shape("ETH send to bob", 5, Fuzz.s_send, {"OverBudget"}, may_pass=True),
    Shape("allowed batch", 4, Fuzz.s_batch, {"OverBudget"}, may_pass=True),
    Shape("fill the cap exactly", 1.5, Fuzz.s_fill, {"OverBudget"}, may_pass=True),
    Shape("fill the ETH budget exactly", 0.3, Fuzz.s_native_fill, {"OverBudget"}, may_pass=True),
    Shape("transfer with trailing calldata", 1, Fuzz.s_extra_calldata, {"OverBudget", "OutOfScope"}, may_pass=True),
    Shape("ETH send with zero-selector data", 1, Fuzz.s_zero_selector_send, {"OutOfScope"}),
    Shape("split crossing the cap", 4, Fuzz.s_cross, {"OverBudget"}),
    Shape("split crossing the ETH budget", 1.5, Fuzz.s_native_cross, {"OverBudget"}),
    Shape("transfer to someone else", 7, Fuzz.s_wrong_recipient, {"OutOfScope"}),
    Shape("amount over the per-call limit", 5, Fuzz.s_over_limit, {"OutOfScope"}),
    Shape("other token function", 6, Fuzz.s_token_selector, {"OutOfScope", "InvalidInput"}),
    Shape("other target", 4, Fuzz.s_other_target, {"OutOfScope"}),
    Shape("the account's execute", 2, Fuzz.s_account_execute, {"OutOfScope", "InvalidInput"}),
    Shape("SessionManager call (relay-like)", 3, Fuzz.s_relay_like, {"OutOfScope", "InvalidInput"}),
    Shape("registry call", 2, Fuzz.s_registry, {"OutOfScope"}),
    Shape("settler call", 1.5, Fuzz.s_settler, {"OutOfScope", "InvalidInput"}),
    Shape("dirty calldata", 5, Fuzz.s_dirty_calldata, {"OutOfScope", "InvalidInput"}),
    Shape("ETH value on a token call", 3, Fuzz.s_value_on_token, {"OutOfScope"}),
    Shape("ETH elsewhere or over the limit", 4, Fuzz.s_eth_attack, {"OutOfScope", "InvalidInput"}),
    Shape("garbage amount", 5, Fuzz.s_garbage_amount, {"InvalidInput", "OutOfScope"}),
    Shape("too many decimals", 1, Fuzz.s_too_precise, {"InvalidInput", "OverBudget"}),
    Shape("garbage address", 3, Fuzz.s_garbage_address, {"InvalidInput"}),
    Shape("garbage signature", 3, Fuzz.s_garbage_signature, {"InvalidInput", "OutOfScope"}),
    Shape("garbage call", 4, Fuzz.s_garbage_call, {"InvalidInput", "OutOfScope"}),
    Shape("numbers past uint256", 1.5, Fuzz.s_huge_numbers, {"InvalidInput", "OutOfScope"}),
    Shape("batch with one forbidden call", 5, Fuzz.s_mixed_batch, {"OutOfScope", "InvalidInput", "OverBudget"}),
    Shape("under another grant", 5, Fuzz.s_foreign_grant, set()),
    Shape("open an intent", 3, Fuzz.s_intent, {"OutOfScope", "OrderInvalid", "InvalidInput", "UnknownGrant",
                                                "OverBudget"}),
    Shape("intent status", 1, Fuzz.s_intent_status, {"UnknownOrder"}),
    Shape("grant request, malformed", 2, Fuzz.s_request_bad, {"InvalidInput", "TooManyRequests"}),
    Shape("grant request, greedy", 0.5, Fuzz.s_request_any, {"InvalidInput", "TooManyRequests"}, may_pass=True),
    Shape("status", 1, Fuzz.s_status, {"UnknownGrant", "GrantRevoked"}, may_pass=True),
    Shape("renounce another grant", 1, Fuzz.s_renounce, set(), may_pass=True),
    Shape("outside the tool schema", 3, Fuzz.s_schema, {"UnknownGrant", "OutOfScope", "InvalidInput",
                                                        "UnknownTool"}),
]


# ---------------------------------------------------------------------------------------------- setup


def _broad(world: World, attacker: str, **window: int) -> Callable[[Any], Any]:
    """A grant far beyond the good one: any transfer and approval of USDC, ETH to the attacker, no budget."""

    def build(b: Any) -> Any:
        b = (b.allow(world.token.address, TRANSFER)
             .allow(world.token.address, "approve(address,uint256)")
             .allow_eth(attacker, max_value=10**18).native_budget(10**19))
        return b.valid_for(**window) if window else b
    return build


def _scene(world: World, folder: Path) -> tuple[Scene, Path]:
    rng = random.Random(0)
    attackers = [Account.create().address for _ in range(3)]
    strangers = [Web3.to_checksum_address(rng.randbytes(20)) for _ in range(48)]
    key = world.session_key(eth=100 * 10**18)
    other = world.session_key(eth=0)
    charter = world.charter()
    bob = world.bob.address

    expired = world.grant(key, _broad(world, attackers[0], seconds=30))
    world.warp(120)
    notyet = world.grant(key, _broad(world, attackers[0], hours=1, starting_in=30 * 86_400))
    revoked = world.grant(key, _broad(world, attackers[0]))
    world.charter(world.alice).sessions.revoke(revoked)
    main = world.grant(key, lambda b: b
                       .allow(world.token.address, "transfer(address to,uint256 amount)", to=equals(bob),
                              amount=at_most(PER_CALL))
                       .allow_eth(bob, max_value=MAX_WEI)
                       .token_budget(world.token.address, cap=CAP, per=PERIOD)
                       .native_budget(NATIVE_BUDGET)
                       .max_calls(10**7)
                       .valid_for(days=7))
    budget = main.grant.token_budgets[0]
    tampered = main.model_copy(update={"grant": main.grant.model_copy(update={
        "token_budgets": (budget.model_copy(update={"cap": 10**30}),)})})
    foreign = {"other": world.grant(other, _broad(world, attackers[0]))}
    loaded = {"expired": expired, "notyet": notyet, "revoked": revoked, "tampered": tampered}
    files = [world.save(main, folder / "main.json")]
    files += [world.save(signed, folder / f"{stem}.json") for stem, signed in loaded.items()]
    for stem, signed in foreign.items():
        world.save(signed, folder / f"{stem}.json")
    config = write_config(world, folder, files, "off")
    service = AgentService(load_agent_config(config), key)
    scene = Scene(world=world, service=service, key=key, main=main, loaded=loaded, foreign=foreign,
                  manager=charter.sessions.address, registry=charter.sessions.registry,
                  settler=charter.intents.address, attackers=attackers, strangers=strangers)
    return scene, config


# ---------------------------------------------------------------------------------------------- the run


@dataclass
class Tally:
    answers: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    shapes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    tools: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


class Referee:
    """Judges each answer and keeps the books the chain is checked against."""

    def __init__(self, scene: Scene, ledger: Ledger, fuzz: Fuzz) -> None:
        self.s = scene
        self.w3 = scene.world.w3
        self.ledger = ledger
        self.fuzz = fuzz
        self.tally = Tally()
        self.valid_after = scene.main.grant.valid_after
        self.start_block = int(self.w3.eth.block_number)
        self.nonce = int(self.w3.eth.get_transaction_count(scene.key.address))
        self.before = self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        w3, token, s = self.w3, self.s.world.token, self.s
        watched = sorted(set(s.others()) | {s.bob})
        return {
            "eth": {a: int(w3.eth.get_balance(a)) for a in watched},
            "usdc": {a: int(token.functions.balanceOf(a).call()) for a in watched},
            "allowance": {a: int(token.functions.allowance(s.alice, a).call()) for a in watched},
            "agent": s.world.charter().registry.agent(s.world.agent_id).model_dump(exclude={"block"}),
        }

    def period_of(self, block: int) -> int:
        return (int(self.w3.eth.get_block(block)["timestamp"]) - self.valid_after) // PERIOD

    def judge(self, shape: Shape, tool: str, args: dict[str, Any], facts: dict[str, Any], result: Any,
              where: str) -> None:
        t = self.tally
        t.tools[tool] += 1
        data = result.structured_content
        text = "".join(getattr(c, "text", "") for c in result.content)
        assert "Traceback" not in text and 'File "' not in text, f"{where}: a traceback reached the model: {text}"
        if not result.is_error:
            assert data is not None and not data.get("refused"), f"{where}: an answer without its data: {text}"
            assert shape.may_pass or facts.get("may_pass") or facts.get("crosses") is not None, \
                f"{where}: {shape.name} must be refused, but it passed: {data}"
            self.success(shape, tool, args, facts, data, where)
            t.answers["ok"] += 1
            t.shapes[shape.name]["ok"] += 1
            return
        assert not facts.get("must_pass"), f"{where}: {shape.name} is within the grant and must pass: {data or text}"
        assert data is not None, f"{where}: an untyped error: {text[:500]}"
        assert data.get("refused") is True and set(data) >= {"reason", "message", "fix", "sent"}, f"{where}: {data}"
        assert json.loads(text) == json.loads(json.dumps(data, default=str)), f"{where}: text and data differ"
        reason, message = data["reason"], data["message"]
        assert isinstance(message, str) and message.strip() and isinstance(data["fix"], str) and data["fix"], data
        assert data["sent"] is False, f"{where}: a refusal after a transaction went out: {data}"
        assert reason != "Unexpected", f"{where}: an unexpected failure: {data}"
        allowed = shape.reasons | facts.get("reasons", set())
        assert reason in REASONS and reason in FIXES, f"{where}: an unknown reason: {data}"
        assert reason in allowed, f"{where}: {shape.name} refused as {reason}, expected one of {allowed}: {data}"
        assert data["fix"] == FIXES[reason] or reason == "OrderInvalid", data
        t.reasons[reason] += 1
        t.answers["refused"] += 1
        t.shapes[shape.name][reason] += 1

    def success(self, shape: Shape, tool: str, args: dict[str, Any], facts: dict[str, Any], data: dict[str, Any],
                where: str) -> None:
        if tool == "charter_status":
            assert isinstance(data["grants"], list) and data["agent"]["session_key"] == self.s.key.address, data
            return
        if tool == "charter_request_grant":
            assert data["status"] == "pending" and re.fullmatch(r"[0-9a-f]{16}", data["request_id"]), data
            return
        assert tool in ("charter_call", "charter_renounce"), f"{where}: {tool} passed: {data}"
        tx, block = data["tx_hash"], data["block"]
        assert re.fullmatch(r"0x[0-9a-f]{64}", tx) and isinstance(block, int) and block > 0, data
        receipt = self.w3.eth.get_transaction_receipt(tx)
        assert receipt["status"] == 1 and receipt["blockNumber"] == block, f"{where}: {receipt}"
        assert receipt["from"] == self.s.key.address and receipt["to"] == self.s.manager, receipt
        self.ledger.gas += int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
        self.ledger.txs.append((tx, block))
        moved = 0
        for log in receipt["logs"]:
            if log["address"] != self.s.token:
                continue
            assert log["topics"][0] == TRANSFER_TOPIC, f"{where}: the token logged something else: {log}"
            source = Web3.to_checksum_address(log["topics"][1][-20:])
            dest = Web3.to_checksum_address(log["topics"][2][-20:])
            amount = int.from_bytes(log["data"], "big")
            assert source == self.s.alice and dest == self.s.bob, f"{where}: USDC from {source} to {dest}"
            assert amount <= PER_CALL, f"{where}: one transfer moved {amount}"
            moved += amount
        if tool == "charter_renounce":
            assert moved == 0 and data["renounced"] != self.s.main_hash, data
            return
        assert data["grant"] == self.s.main_hash, f"{where}: a call passed under another grant: {data}"
        assert data["calls"] == len(args["calls"]), data
        period = self.period_of(block)
        if facts.get("crosses") is not None:
            assert period != facts["crosses"], f"{where}: a split past the cap passed in period {period}: {data}"
        if period > self.ledger.current_period:
            self.ledger.current_period = period
        self.ledger.by_period[period] += moved
        assert self.ledger.by_period[period] <= CAP, f"{where}: period {period} moved {self.ledger.by_period[period]}"
        self.ledger.usdc += moved
        wei = facts.get("wei")
        assert isinstance(wei, int), f"{where}: a call passed whose ETH value the test cannot account: {args}"
        self.ledger.wei += wei
        self.fuzz.native_left -= wei
        assert self.ledger.wei <= NATIVE_BUDGET, f"{where}: {self.ledger.wei} wei sent in all"
        if facts.get("usdc") is not None:
            assert moved == facts["usdc"], f"{where}: asked to move {facts['usdc']}, moved {moved}"

    def check_chain(self, final: bool = False) -> None:
        """The chain agrees with the books: only bob was paid, within the caps; the key paid only gas."""
        w3, s, ledger, before = self.w3, self.s, self.ledger, self.before
        nonce = int(w3.eth.get_transaction_count(s.key.address))
        assert nonce - self.nonce == len(ledger.txs), f"the key sent {nonce - self.nonce} txs, {len(ledger.txs)} passed"
        token = s.world.token
        alice_usdc = int(token.functions.balanceOf(s.alice).call())
        bob_usdc = int(token.functions.balanceOf(s.bob).call())
        assert before["usdc"][s.alice] - alice_usdc == ledger.usdc == bob_usdc - before["usdc"][s.bob]
        alice_eth, bob_eth = int(w3.eth.get_balance(s.alice)), int(w3.eth.get_balance(s.bob))
        assert before["eth"][s.alice] - alice_eth == ledger.wei == bob_eth - before["eth"][s.bob]
        assert before["eth"][s.key.address] - int(w3.eth.get_balance(s.key.address)) == ledger.gas
        assert ledger.wei <= NATIVE_BUDGET
        assert all(spent <= CAP for spent in ledger.by_period.values()), dict(ledger.by_period)
        if not final:
            return
        after = self.snapshot()
        miner = w3.eth.get_block("latest")["miner"]  # anvil's coinbase (the zero address) earns the tips
        for who in s.others():
            assert after["usdc"][who] == before["usdc"][who] or who == s.alice, f"{who} USDC changed"
            assert after["eth"][who] == before["eth"][who] or who in (s.alice, s.key.address, miner), \
                f"{who} ETH changed"
        assert after["allowance"] == before["allowance"], "an allowance of the account changed"
        assert after["agent"] == before["agent"], "the agent changed"
        end = int(w3.eth.block_number)
        passed = {tx for tx, _ in ledger.txs}
        logs = w3.eth.get_logs({"fromBlock": self.start_block, "toBlock": end, "address": token.address,
                                "topics": [TRANSFER_TOPIC, "0x" + "00" * 12 + s.alice[2:].lower()]})
        assert all(Web3.to_checksum_address(log["topics"][2][-20:]) == s.bob for log in logs)
        assert {log["transactionHash"].to_0x_hex() for log in logs} <= passed
        assert sum(int.from_bytes(log["data"], "big") for log in logs) == ledger.usdc
        approvals = w3.eth.get_logs({"fromBlock": self.start_block, "toBlock": end, "address": token.address,
                                     "topics": [APPROVAL_TOPIC, "0x" + "00" * 12 + s.alice[2:].lower()]})
        assert approvals == [], approvals
        periods = max(ledger.by_period, default=0) + 1
        assert ledger.usdc <= CAP * periods


def _pick(rng: random.Random) -> Shape:
    return rng.choices(SHAPES, weights=[s.weight for s in SHAPES])[0]


def test_prompt_injected_model_moves_nothing_outside_the_grant(world: World, tmp_path: Path) -> None:
    calls, seed, drawn = _profile()
    print(f"\nadversarial MCP run: {calls:,} tool calls, seed {seed}" + (" (drawn: replay it with "
          f"CHARTER_FUZZ_SEED={seed})" if drawn else ""))
    scene, _ = _scene(world, tmp_path)
    rng = random.Random(seed)
    ledger = Ledger()
    fuzz = Fuzz(scene, rng, ledger)
    referee = Referee(scene, ledger, fuzz)
    ledger.current_period = referee.period_of(int(world.w3.eth.block_number))
    warp_every = max(200, calls // 100)
    warps = 0

    async def main() -> None:
        nonlocal warps
        async with Client(build_server(scene.service)) as client:
            for i in range(calls):
                shape = _pick(rng)
                fuzz.progress = i / calls
                tool, args, facts = shape.make(fuzz)
                where = f"call {i} (seed {seed}, {shape.name}: {tool} {str(args)[:300]})"
                began = time.perf_counter()
                try:
                    result = await client.call_tool(tool, args)
                except Exception as exc:  # noqa: BLE001 - the server must answer, whatever it is asked
                    pytest.fail(f"{where}: the server did not answer: {type(exc).__name__}: {exc}")
                referee.tally.seconds[shape.name] += time.perf_counter() - began
                referee.judge(shape, tool, args, facts, result, where)
                if (i + 1) % CHECK_EVERY == 0:
                    referee.check_chain()
                if (i + 1) % warp_every == 0:
                    world.warp(rng.randint(PERIOD // 3, PERIOD * 4 // 3))
                    ledger.current_period = referee.period_of(int(world.w3.eth.block_number))
                    warps += 1
            referee.check_chain(final=True)

            # Last, the model renounces the good grant: nothing passes under it any more.
            gone = await client.call_tool("charter_renounce", {"grant": "main.json"})
            assert not gone.is_error and gone.structured_content["renounced"] == scene.main_hash
            again = await client.call_tool("charter_call", {"grant": scene.main_hash, "calls": [
                {"target": scene.token, "function": TRANSFER, "args": [scene.bob, 1]}]})
            assert again.is_error and again.structured_content["reason"] == "GrantRevoked"
            receipt = world.w3.eth.get_transaction_receipt(gone.structured_content["tx_hash"])
            assert receipt["status"] == 1 and receipt["from"] == scene.key.address

    started = time.perf_counter()
    anyio.run(main)
    elapsed = time.perf_counter() - started

    t = referee.tally
    width = max(len(s.name) for s in SHAPES)
    print(f"{calls:,} calls in {elapsed:.1f} s ({calls / elapsed:,.0f} calls/s); {warps} time warps, "
          f"{len(ledger.by_period)} budget periods used")
    print(f"answers: {t.answers['ok']:,} passed ({len(ledger.txs):,} transactions), {t.answers['refused']:,} refused")
    print(f"moved: {_units(ledger.usdc)} USDC and {_units(ledger.wei, 18)} ETH to bob, all within the grant; "
          f"the key paid {_units(ledger.gas, 18)} ETH of gas and nothing else")
    print("refusals by reason: " + ", ".join(f"{r} {n:,}" for r, n in t.reasons.most_common()))
    print("tools: " + ", ".join(f"{name} {n:,}" for name, n in t.tools.most_common()))
    for shape in SHAPES:
        counts = t.shapes.get(shape.name, Counter())
        total = sum(counts.values())
        mean = t.seconds.get(shape.name, 0.0) / total * 1000 if total else 0.0
        print(f"  {shape.name:<{width}}  {total:>6,}  {mean:5.1f} ms  " + ", ".join(
            f"{r} {n:,}" for r, n in counts.most_common()))
    assert t.answers["ok"] > 0 and t.answers["refused"] > 0


# ---------------------------------------------------------------------------------------------- loading


def test_grant_files_the_server_could_never_use_are_refused_at_load(world: World, tmp_path: Path) -> None:
    """A grant for another session key, another agent, another chain or another SessionManager stops the
    server at start with one typed line; the same folder without it loads."""
    key = world.session_key(eth=0)
    other = world.session_key(eth=0)
    good = world.grant(key, lambda b: b.allow_transfer(world.token.address, to=world.bob.address, max_amount=1)
                       .token_budget(world.token.address, cap=1))
    agent = world.charter(world.alice).registry.register("https://agents.example.org/other/agent-card.json")
    strangers = {
        "other-key": (world.grant(other, lambda b: b.allow_transfer(world.token.address)), "session key"),
        "other-agent": (world.charter().sessions.sign(world.charter().sessions.prepare(
            world.charter().sessions.builder(world.alice.address, agent, key.address)
            .allow_transfer(world.token.address).valid_for(hours=1)), world.alice), "agent"),
        "other-chain": (good.model_copy(update={"chain_id": 1}), "chain 1"),
        "other-manager": (good.model_copy(update={"manager": Account.create().address}), "SessionManager"),
    }
    good_path = world.save(good, tmp_path / "good.json")
    for name, (signed, words) in strangers.items():
        folder = tmp_path / name
        folder.mkdir()
        config = write_config(world, folder, [good_path, world.save(signed, folder / f"{name}.json")])
        with pytest.raises(InvalidInput, match=words):
            AgentService(load_agent_config(config), key)
    config = write_config(world, tmp_path, [good_path])
    service = AgentService(load_agent_config(config), key)
    assert list(service.grants) == ["0x" + good.hash.hex()]


# ------------------------------------------------------------------------------ defects the fuzz found (fixed)


def test_arguments_the_schema_refuses_are_typed_refusals(world: World, tmp_path: Path) -> None:
    """Arguments the input schema refuses get the typed refusal too (reason InvalidInput)."""
    _typed_answers(world, tmp_path, [
        ("charter_call", {"calls": [{"target": world.token.address, "function": TRANSFER,
                                     "args": [world.bob.address, 1], "from": world.alice.address}]}),
        ("charter_call", {"calls": [{"target": world.token.address, "function": TRANSFER,
                                     "args": [world.bob.address, 1]}] * 17}),
        ("charter_call", {"calls": [{"target": world.bob.address, "value": 1.5}]}),
        ("charter_open_intent", {"destination_chain_id": 0, "inputs": [], "outputs": []}),
        ("charter_transfer", {"to": world.bob.address}),
    ], reasons={"InvalidInput", "UnknownTool"})


def test_numbers_past_uint256_are_refused_as_invalid_input(world: World, tmp_path: Path) -> None:
    """Numbers past uint256 or past int()'s digit limit are refused as InvalidInput, not Unexpected."""
    token, bob = world.token.address, world.bob.address
    _typed_answers(world, tmp_path, [
        ("charter_call", {"calls": [{"target": bob, "value": 2**256}]}),
        ("charter_call", {"calls": [{"target": bob, "value": "9" * 80}]}),
        ("charter_call", {"calls": [{"target": token, "function": TRANSFER, "args": [bob, "9" * 5000]}]}),
        ("charter_open_intent", {"destination_chain_id": world.w3.eth.chain_id,
                                 "inputs": [{"token": token, "amount": 2**256}],
                                 "outputs": [{"token": token, "amount": 1}]}),
        ("charter_open_intent", {"destination_chain_id": world.w3.eth.chain_id,
                                 "inputs": [{"token": token, "amount": "9" * 5000}],
                                 "outputs": [{"token": token, "amount": 1}]}),
    ])


def test_a_signature_with_an_empty_parameter_is_invalid_input(world: World, tmp_path: Path) -> None:
    """A function signature with an empty parameter is refused as InvalidInput."""
    token, bob = world.token.address, world.bob.address
    _typed_answers(world, tmp_path, [
        ("charter_call", {"calls": [{"target": token, "function": "transfer(address,,uint256)", "args": [bob, 1]}]}),
        ("charter_call", {"calls": [{"target": token, "function": "f(,)", "args": [1, 1]}]}),
        ("charter_request_grant", {"chain_id": world.w3.eth.chain_id, "allow": [f"{token}:transfer(,address)"]}),
    ])


def test_amounts_are_never_rounded(world: World, tmp_path: Path) -> None:
    """An amount with more decimals than the token has is refused, however many digits it has."""
    token, bob = world.token.address, world.bob.address
    _typed_answers(world, tmp_path, [
        ("charter_call", {"calls": [{"target": token, "function": TRANSFER,
                                     "args": [bob, "0." + "9" * 90 + " USDC"]}]}),
        ("charter_call", {"calls": [{"target": token, "function": TRANSFER,
                                     "args": [bob, "0.000001" + "0" * 90 + "1"]}]}),
        ("charter_call", {"calls": [{"target": bob, "value": "0.000000000000000001" + "0" * 90 + "1 ETH"}]}),
        ("charter_open_intent", {"destination_chain_id": world.w3.eth.chain_id,
                                 "inputs": [{"token": token, "amount": "0.000001" + "0" * 90 + "1"}],
                                 "outputs": [{"token": token, "amount": 1}]}),
    ])


def _typed_answers(world: World, folder: Path, cases: list[tuple[str, dict[str, Any]]],
                   reasons: set[str] | None = None) -> None:
    """Each case is refused with a typed reason (InvalidInput, or one of `reasons`)."""
    reasons = reasons or {"InvalidInput"}
    key = world.session_key(eth=10**17)
    signed = world.grant(key, lambda b: b.allow_transfer(world.token.address, to=world.bob.address, max_amount=1)
                         .token_budget(world.token.address, cap=1))
    config = write_config(world, folder, [world.save(signed, folder / "g.json")], "off")
    service = AgentService(load_agent_config(config), key)
    wrong: list[str] = []

    async def main() -> None:
        async with Client(build_server(service)) as client:
            for tool, args in cases:
                result = await client.call_tool(tool, args)
                data = result.structured_content or {}
                if not (result.is_error and data.get("refused") is True and data.get("reason") in reasons):
                    shown = data or "".join(getattr(c, "text", "") for c in result.content)[:200]
                    wrong.append(f"{tool} {str(args)[:120]}: {shown}")

    anyio.run(main)
    assert not wrong, f"answers that are not a typed refusal ({', '.join(sorted(reasons))}):\n" + "\n".join(wrong)

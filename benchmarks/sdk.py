"""SDK speed benchmarks: grants built, hashed, signed, verified and relayed requests signed per second.

    make bench        # or: python benchmarks/sdk.py [--out PATH] [--seconds S]

No chain is needed: everything runs in the SDK on a fixed chain id and
SessionManager address. The process is pinned to one core, and each
operation runs for at least ``--seconds`` (default 2 s) after a warm-up.
Writes ``{"rates": {operation: per second}, "targets": [...], "environment":
{...}}`` to ``--out`` (default ``.build/bench/sdk.json``; see
``benchmarks/README.md``) and exits 1 if a target is missed.

The grant (the same for every operation, so numbers stay comparable across runs):
- EIP-7702 principal, agent 1, a fresh session key, valid for one hour, salt 7;
- ``allow_transfer`` of a token to one of two recipients, at most 100 tokens a call;
- ``poke(uint256 a, address b, uint256 c)`` on a target with ``a <= 10`` and
  at most 0.01 ETH a call;
- a daily token budget, a native budget and a limit of 100 calls
  (two permissions, four argument conditions, one token budget).

Operations:
- ``grants_built``: the ``GrantBuilder`` chain above and ``build``;
- ``grants_hashed``: ``Grant.hash`` (the EIP-712 digest the manager checks);
- ``signed_grants``: the principal's typed-data signature of the grant
  (``LocalSigner.sign_typed_data`` of ``Grant.typed_data``, what
  ``Sessions.sign`` does for an EIP-7702 account) and the ``SignedGrant``;
- ``grants_verified``: the grant hash of a ``SignedGrant`` and the signer
  recovered from its signature, compared with the account;
- ``relayed_requests_signed``: ``Sessions.sign_request`` of one token transfer
  with an explicit nonce and deadline (no chain read).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_keys import KeyAPI
from rich.console import Console
from rich.table import Table
from web3 import Web3

from charter import (
    Accounts,
    Call,
    Grant,
    GrantBuilder,
    LocalSigner,
    Sessions,
    SignedGrant,
    at_most,
    one_of,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".build" / "bench" / "sdk.json"

CHAIN_ID = 31_337
MANAGER = Web3.to_checksum_address("0x" + "5e" * 20)
DELEGATE = Web3.to_checksum_address("0x" + "de" * 20)
TOKEN = Web3.to_checksum_address("0x" + "70" * 20)
TARGET = Web3.to_checksum_address("0x" + "7a" * 20)
BOB = Web3.to_checksum_address("0x" + "b0" * 20)
CAROL = Web3.to_checksum_address("0x" + "ca" * 20)
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
PRINCIPAL_KEY = "0x" + "11" * 32
AGENT_KEY = "0x" + "22" * 32

TARGETS = {"signed_grants_per_s": 2_000}
"""Each rate must be at least this."""


def pin_to_one_core() -> int | None:
    """Pin this process to core 0 (or the first core it may use); the core, or None if unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    core = 0 if 0 in allowed else min(allowed)
    os.sched_setaffinity(0, {core})
    return core


def builder(principal: str, session_key: str) -> GrantBuilder:
    return (
        GrantBuilder(principal, 1, session_key)
        .allow_transfer(TOKEN, to=one_of(BOB, CAROL), max_amount=100 * 10**18)
        .allow(TARGET, "poke(uint256 a, address b, uint256 c)", a=at_most(10), max_value=10**16)
        .token_budget(TOKEN, 1_000 * 10**18, per=86_400)
        .native_budget(10**17)
        .max_calls(100)
        .valid_for(hours=1)
        .salt(7)
    )


def recover(digest: bytes, signature: bytes) -> str:
    """The address that signed `digest` (``r ‖ s ‖ v`` with v 27/28)."""
    v = signature[64]
    vrs = signature[:64] + bytes([v - 27 if v >= 27 else v])
    return KEYS.Signature(vrs).recover_public_key_from_msg_hash(digest).to_checksum_address()


KEYS = KeyAPI()


def rate(fn: Callable[[int], Any], seconds: float) -> tuple[float, int, float]:
    """Calls of `fn` per second over at least `seconds`: (rate, calls, elapsed)."""
    for i in range(min(50, max(1, int(seconds * 10)))):  # warm-up: caches, lazy imports
        fn(i)
    calls, batch = 0, 1
    start = time.perf_counter()
    while True:
        for i in range(batch):
            fn(calls + i)
        calls += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed, calls, elapsed
        # aim the next batch at the end of the run, without overshooting it much
        batch = max(1, min(2 * calls, int((seconds - elapsed) * calls / elapsed) + 1))


def measure(seconds: float) -> dict[str, tuple[float, int, float]]:
    principal = Account.from_key(PRINCIPAL_KEY)
    agent = Account.from_key(AGENT_KEY)
    principal_signer = LocalSigner(principal)
    agent_signer = LocalSigner(agent)
    w3 = Web3()  # never asked anything: chain id and addresses are given
    accounts = Accounts(w3, MANAGER, DELEGATE, chain_id=CHAIN_ID)
    sessions = Sessions(w3, MANAGER, accounts, chain_id=CHAIN_ID)

    grant = builder(principal.address, agent.address).build(now=NOW)

    def sign(g: Grant) -> SignedGrant:
        signature = bytes(principal_signer.sign_typed_data(g.typed_data(CHAIN_ID, MANAGER)))
        return SignedGrant(grant=g, chain_id=CHAIN_ID, manager=MANAGER, signature=signature)

    signed = sign(grant)
    # the figures mean something only if the pieces agree with one another
    assert signed.hash == grant.hash(CHAIN_ID, MANAGER) == sessions.hash(grant)
    assert recover(signed.hash, signed.signature) == principal.address
    call = Call.to(TOKEN, "transfer(address,uint256)", BOB, 40 * 10**18)
    request = sessions.sign_request(signed, call, key=agent_signer, nonce=0, deadline=NOW + 300)
    assert recover(sessions.request_digest(request), request.signature) == agent.address

    def verify(_: int) -> None:
        if recover(signed.hash, signed.signature) != signed.grant.account:
            raise SystemExit("verification failed")

    ops: dict[str, Callable[[int], Any]] = {
        "grants_built_per_s": lambda _: builder(principal.address, agent.address).build(now=NOW),
        "grants_hashed_per_s": lambda _: grant.hash(CHAIN_ID, MANAGER),
        "signed_grants_per_s": lambda _: sign(grant),
        "grants_verified_per_s": verify,
        "relayed_requests_signed_per_s": lambda i: sessions.sign_request(
            signed, call, key=agent_signer, nonce=i, deadline=NOW + 300
        ),
    }
    return {name: rate(fn, seconds) for name, fn in ops.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description="Charter SDK speed benchmarks")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--seconds", type=float, default=2.0, help="minimum time per operation")
    args = parser.parse_args()
    core = pin_to_one_core()
    measured = measure(args.seconds)
    rates = {name: round(r, 1) for name, (r, _, _) in measured.items()}
    checks = [
        {"check": f"{name} >= {limit:,}", "measured": rates[name], "limit": limit, "met": rates[name] >= limit}
        for name, limit in TARGETS.items()
    ]
    body = {
        "rates": rates,
        "runs": {name: {"calls": n, "seconds": round(t, 3)} for name, (_, n, t) in measured.items()},
        "targets": checks,
        "environment": {
            "eth_keys_backend": type(KEYS.backend).__name__,
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "pinned_core": core,
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")

    console = Console()
    table = Table(title=f"Charter SDK, one core ({body['environment']['eth_keys_backend']})")
    table.add_column("operation")
    table.add_column("per second", justify="right")
    table.add_column("ms each", justify="right")
    for name, r in rates.items():
        table.add_row(name.removesuffix("_per_s"), f"{r:,.0f}", f"{1000 / r:.3f}")
    console.print(table)
    missed = [c["check"] for c in checks if not c["met"]]
    for c in checks:
        console.print(f"target {c['check']}: {c['measured']:,.0f} {'ok' if c['met'] else '[red]MISSED[/red]'}")
    console.print(f"wrote {args.out}")
    if missed:
        console.print(f"[red]targets missed: {', '.join(missed)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The console's index (``charter console``'s cache) with 1,000 grants on two chains: refresh and reads.

    make bench        # among the others (~25 s); or: python benchmarks/console.py [--out PATH] [--grants N] [--reads N]

Writes ``{"setup", "refresh", "reads", "readers", "database", "conditions", "machine"}`` to
``--out`` (default ``.build/bench/console.json``) and prints it. No target is asserted: the
script exits 1 only if the index does not show what was issued. Issue 22 asks that a page of
1,000 grants on two chains renders in under 2 s from the cache: ``reads.overview`` is what the
overview page reads (grants, agents, accounts, intents, totals).

Conditions (documented so numbers stay comparable across runs):

- two fresh anvils (chains 31901 and 31902) that mine a block per transaction, the Charter
  suite (``Charter.deploy``) and a 6-decimal USDC stand-in (``tests/agents/Usdc3009.vy``) on
  each. The principal (dev key 1) is a Charter account (EIP-7702) on both, holds USDC and owns
  one agent per chain (its card a ``data:`` URI), so its grants need no separate consent;
- ``--grants`` grants (default 1,000), half per chain, for 10 session keys in turn, issued on
  chain by the principal, one transaction each sent back to back (``account.execute`` of
  ``SessionManager.issue``: real ``GrantActivated`` events; the index recovers each body from
  its transaction).
  Each allows ``transfer(to = bob, amount <= 5 USDC)`` with a 100 USDC daily budget and 50
  calls, valid a day; every 5th also sends ETH (0.01 per call, 0.1 budget), every 7th also
  allows ``approve`` on USDC (within the same budget). 20 grants per chain are then used once
  (a 1 USDC transfer), so spends differ;
- ``refresh``: ``ConsoleIndex.refresh()`` into a new SQLite file: ``cold`` (everything: events,
  bodies, states, standing allowances, agents, accounts, words), ``warm`` (nothing new: the
  state of every grant still in force is read again, balances and agents too), ``one_new_call``
  (after one more session call on the first chain);
- ``reads``: from the cache only (no RPC), after a refresh: ``first`` (the grants' JSON parsed
  again: the first page after a refresh that changed something) and the median of ``--reads``
  (default 20) warm reads of each: ``grants`` (all), ``grants_active`` (status filter),
  ``grant`` (one), ``agents``, ``accounts``, ``intents``, ``totals``, ``overview`` (all five
  as the overview page asks them); ``page_http_ms`` (the median of 5 ``GET /`` of the overview,
  all 1,000 grants on it, rendered by the console's server over HTTP), ``page_rows`` and
  ``page_html_bytes``, and ``page_browser_load_ms`` (the median of 3 loads of that page in the
  tests' headless Chromium until its load event: fetch, parse, style, layout), when
  ``make setup`` extracted it;
- ``readers``: a warm refresh (the grant states read again) with the index reading through
  JSON-RPC batches (``batch``, the default) and through 8 threads of single requests
  (``threads``), the median of 3 each.

Figures depend on the machine and its load (the anvils and this process share the cores):
``machine`` records the Python version, the CPU count and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from base64 import b64encode
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import vyper
from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import Web3

from charter import Call, Charter, LocalSigner
from charter.accounts.calldata import execute_calldata
from charter.console.index import ConsoleIndex
from charter.devchain import DEV_KEYS, local_anvils
from charter.sessions import GrantBuilder, SignedGrant, at_most, equals
from charter.sessions.calldata import calldata

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".build" / "bench"
RESULTS = BENCH / "console.json"
TOKEN_SOURCE = ROOT / "tests" / "agents" / "Usdc3009.vy"
CHAINS = (31_901, 31_902)
USDC = 10**6
KEYS = 10
USED = 20


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _median(fn: Callable[[], Any], n: int) -> float:
    return _ms(statistics.median(_timed(fn)[0] for _ in range(n)))


class Side:
    """One chain: the suite, USDC, the principal's EIP-7702 account and agent, the grants issued."""

    def __init__(self, w3: Web3, deployer: LocalSigner, alice: LocalSigner, bob: str, token: dict[str, Any]) -> None:
        self.w3 = w3
        Charter.deploy(w3, deployer)
        tx = deployer.send_transaction(w3, {"data": token["bytecode"]})
        address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        self.token = w3.eth.contract(address=address, abi=token["abi"])
        self.charter = Charter.connect(w3, signer=alice)
        self._send(deployer, self.token.functions.mint(alice.address, 1_000_000 * USDC))
        self.charter.accounts.upgrade(alice)
        card = json.dumps({"name": f"Trader on {w3.eth.chain_id}", "description": "console benchmark"})
        self.agent = self.charter.registry.register("data:application/json;base64," + b64encode(card.encode()).decode())
        self.alice, self.bob = alice, bob
        self.grants: list[SignedGrant] = []

    def _send(self, signer: LocalSigner, fn: Any) -> None:
        tx = signer.send_transaction(self.w3, {"to": fn.address, "data": fn._encode_transaction_data()})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    def issue(self, count: int, keys: list[LocalSigner]) -> None:
        sessions = self.charter.sessions
        now = sessions.chain_time()
        usdc = self.token.address
        grants = []
        for i in range(count):
            b = (GrantBuilder(self.alice.address, self.agent, keys[i % len(keys)].address)
                 .allow(usdc, "transfer(address to,uint256 amount)", to=equals(self.bob), amount=at_most(5 * USDC))
                 .token_budget(usdc, 100 * USDC, per=86_400).max_calls(50).valid_for(days=1))
            if i % 5 == 0:
                b.allow_eth(self.bob, max_value=10**16).native_budget(10**17)
            if i % 7 == 0:
                b.allow(usdc, "approve(address,uint256)")
            grants.append(b.build(now=now))
        # the owner's account.execute(manager, issue(grant, "")) per grant, sent back to back with
        # consecutive nonces (a batch would be smaller: executeBatch takes 1,024 bytes per call)
        nonce = self.w3.eth.get_transaction_count(self.alice.address, "pending")
        fees = {"chainId": sessions.chain_id, "gas": 600_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1}
        sent = [self.alice.send_transaction(self.w3, {
            "to": self.alice.address, "nonce": nonce + i, **fees,  # type: ignore[typeddict-item]
            "data": execute_calldata(sessions.address, calldata("issue", g.as_tuple(), b"")),
        }) for i, g in enumerate(grants)]
        for tx in sent:
            if self.w3.eth.wait_for_transaction_receipt(tx)["status"] != 1:
                raise SystemExit(f"grant issuance {tx.to_0x_hex()} reverted")
        self.grants = [SignedGrant(grant=g, chain_id=sessions.chain_id, manager=sessions.address) for g in grants]

    def use(self, index: int, key: LocalSigner) -> None:
        call = Call.to(self.token.address, "transfer(address,uint256)", self.bob, USDC)
        self.charter.sessions.execute(self.grants[index], call, key=key)


def _keys(sides: list[Side], deployer: LocalSigner) -> list[LocalSigner]:
    keys = [LocalSigner.from_key(Account.create().key) for _ in range(KEYS)]
    for side in sides:
        for key in keys:
            tx = deployer.send_transaction(side.w3, {"to": key.address, "value": 10**18})
            side.w3.eth.wait_for_transaction_receipt(tx)
    return keys


def _index(path: Path, alice: str, sides: list[Side], reader: str = "batch") -> ConsoleIndex:
    return ConsoleIndex(path, alice, [(c, s.w3) for c, s in zip(CHAINS, sides, strict=True)], reader=reader)  # type: ignore[arg-type]


def _check(index: ConsoleIndex, sides: list[Side], expected: int) -> None:
    grants = index.grants()
    if len(grants) != expected:
        raise SystemExit(f"the index shows {len(grants)} grants, {expected} were issued")
    unknown = [g for g in grants if not g.known]
    if unknown:
        raise SystemExit(f"{len(unknown)} grants without their terms (body not recovered)")
    used = [g for g in grants if g.calls_used]
    if len(used) != USED * len(sides) + 1:
        raise SystemExit(f"{len(used)} grants show a call made, {USED * len(sides) + 1} were used")


def measure(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    deployer, alice = LocalSigner.from_key(DEV_KEYS[0]), LocalSigner.from_key(DEV_KEYS[1])
    bob = LocalSigner.from_key(DEV_KEYS[2]).address
    token = vyper.compile_code(TOKEN_SOURCE.read_text(), output_formats=["bytecode", "abi"])
    setup: dict[str, float] = {}
    with local_anvils(*CHAINS) as chains, tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        sides = [Side(chain.w3, deployer, alice, bob, token) for chain in chains]
        keys = _keys(sides, deployer)
        setup["deploy_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        per_chain = args.grants // len(sides)
        for side in sides:
            side.issue(per_chain, keys)
        setup["issue_s"] = round(time.perf_counter() - began, 1)
        for side in sides:
            for i in range(USED):
                side.use(i * 13 % per_chain, keys[(i * 13 % per_chain) % KEYS])
        console.print(f"issued {per_chain * len(sides)} grants in {setup['issue_s']} s")

        index = _index(Path(tmp) / "console.sqlite", alice.address, sides)
        cold, report = _timed(index.refresh)
        if report.errors:
            raise SystemExit(f"refresh failed: {report.errors}")
        warm, _ = _timed(index.refresh)
        sides[0].use(1, keys[1])
        new, report = _timed(index.refresh)
        refresh = {"cold_ms": _ms(cold), "warm_ms": _ms(warm), "one_new_call_ms": _ms(new),
                   "blocks_read_after_one_call": (report.chains[0].to_block or 0) - (report.chains[0].from_block or 0)
                   + 1}
        _check(index, sides, per_chain * len(sides))
        console.print(f"refresh: cold {refresh['cold_ms']} ms, warm {refresh['warm_ms']} ms")

        index._cache = None  # noqa: SLF001 - the first read after a refresh that changed something
        first, _ = _timed(lambda: (index.grants(), index.agents(), index.accounts(), index.intents(), index.totals()))
        some = index.grants()[0]
        reads = {
            "first_overview_ms": _ms(first),
            "grants_ms": _median(index.grants, args.reads),
            "grants_active_ms": _median(lambda: index.grants(status="active"), args.reads),
            "grant_ms": _median(lambda: index.grant(some.chain_id, some.grant_hash), args.reads),
            "agents_ms": _median(index.agents, args.reads),
            "accounts_ms": _median(index.accounts, args.reads),
            "intents_ms": _median(index.intents, args.reads),
            "totals_ms": _median(index.totals, args.reads),
            "overview_ms": _median(lambda: (index.grants(), index.agents(), index.accounts(), index.intents(),
                                            index.totals()), args.reads),
            "grants_shown": len(index.grants()),
        }
        reads.update({f"page_{name}": value for name, value in _page(index, alice.address, chains).items()})
        index.close()
        database = {"bytes": sum(p.stat().st_size for p in Path(tmp).glob("console.sqlite*"))}

        readers: dict[str, dict[str, float]] = {}
        for reader in ("batch", "threads"):
            other = _index(Path(tmp) / f"{reader}.sqlite", alice.address, sides, reader)
            cold, _ = _timed(other.refresh)
            readers[reader] = {"cold_ms": _ms(cold), "warm_ms": _median(other.refresh, 3)}
            other.close()
    return {"setup": setup, "refresh": refresh, "reads": reads, "readers": readers, "database": database}


def _page(index: ConsoleIndex, principal: str, chains: Any) -> dict[str, Any]:
    """The overview page itself with every grant on it: rendered by the console's server over HTTP,
    and loaded in the headless Chromium the tests use (until its load event), when it is there."""
    from charter.console.server import Console as Site
    from charter.console.server import ConsoleConfig, ConsoleServer

    config = ConsoleConfig(principal=principal, chains=[(c.chain_id, c.url) for c in chains], port=0)
    server = ConsoleServer(Site(config, index=index, connect=lambda chain_id, url: Web3(Web3.HTTPProvider(url))))
    url = server.start()
    try:
        body = httpx.get(url, timeout=30).text
        out: dict[str, Any] = {
            "http_ms": _median(lambda: httpx.get(url, timeout=30).raise_for_status(), 5),
            "html_bytes": len(body.encode()),
            "rows": body.count('<tr class="grant"'),
        }
        sys.path.insert(0, str(ROOT / "tests"))
        from console.browser import Browser, default_executable  # the tests' harness (tests/console)

        if default_executable().is_file():
            with Browser.launch(default_executable()) as browser:
                page = browser.new_page(width=1280, height=800)
                page.goto(url)  # warm: fonts, static files
                out["browser_load_ms"] = _median(lambda: page.goto(url), 3)
        return out
    finally:
        server.stop()


def _print(console: Console, body: dict[str, Any]) -> None:
    table = Table(title="charter console: the index with 1,000 grants on two chains")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for group in ("refresh", "reads"):
        for name, value in body[group].items():
            table.add_row(f"{group}.{name}", f"{value:,}")
    for reader, figures in body["readers"].items():
        for name, value in figures.items():
            table.add_row(f"readers.{reader}.{name}", f"{value:,}")
    table.add_row("database.bytes", f"{body['database']['bytes']:,}")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description="charter console: the index's refresh and reads")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--grants", type=int, default=1_000, help="grants in all, half per chain")
    parser.add_argument("--reads", type=int, default=20, help="warm reads per figure (median)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows under make
    console = Console() if sys.stdout.isatty() else Console(width=120)
    load_before = os.getloadavg()
    began = time.perf_counter()
    figures = measure(args, console)
    conditions = {"grants": args.grants, "chains": list(CHAINS), "session_keys": KEYS, "used_per_chain": USED,
                  "reads": args.reads, "mining": "automine"}
    load = {"load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()]}
    seconds = round(time.perf_counter() - began, 1)
    body = {**figures, "conditions": conditions, "seconds": seconds,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), **load}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    _print(console, body)
    console.print(f"wrote {args.out} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

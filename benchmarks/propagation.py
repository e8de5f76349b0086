"""Kills across chains (issue 20, part 3): from a pause on chain A to a refused session on chain B, and the gas.

    python benchmarks/propagation.py [--cycles 5] [--out .build/bench/propagation.json]

Conditions (so that runs compare):

- two fresh anvils that mine **only** on their 1 s interval (a transaction
  waits for the next block, as on a live chain), with the suite, a DemoToken,
  the same 2-of-3 AttesterOracle (one CREATE2 address on both: the committee
  inbox), Hyperlane's Mailbox, Merkle tree hook, no-fee default hook and a
  2-of-3 MessageId multisig ISM on each, and HyperlaneAgents (one CREATE2
  address on both);
- the relayer in this process (`Relayer.run`: a worker thread per chain, as
  `charter relay` runs), with its defaults: `confirmations = 2`,
  `poll_interval = 1.0`; it keeps two agents of A represented on B, one by
  the committee and one over Hyperlane, and forwards signed revocations;
- a principal (an EIP-7702 account on both chains) owns both agents and has
  granted, on B, a session key in the name of each represented id (its
  first call made);
- each cycle pauses an agent on A (the SDK's `pause`, which returns once
  mined) and then polls B every 50 ms: `isActive(mirror)` and an `eth_call`
  of the session key's `execute` (a token transfer under the grant). The
  latency is from the pause's receipt to the first poll that sees the call
  refused (`pause_to_refused_s`; `pause_to_inactive_s` is `isActive` false:
  the same block), and in chain time from the pause's block on A to the
  block of the mirror's `Represented` on B (`chain_s`). Then the agent is
  resumed on A and the cycle waits for B to show it active again
  (`resume_to_active_s`). Not gated: latency has floors of `confirmations`
  A blocks, a relayer poll and one B block (committee: ~3-4 s on 1 s blocks),
  plus, over Hyperlane, the report's block and its `confirmations` before the
  checkpoint is signed (~6-7 s).

Gas (full transactions, read from the receipts of what the relayer sent):
`represent_first` / `represent_update` (the committee's `represent` on B,
creating the mirror / updating it), `report` (HyperlaneAgents.report on A, to
one chain), `process_handle` (the Mailbox's `process` on B, which calls
`handle` and the registry's `represent`), and the signed revocations:
`revoke_all_signed` / `revoke_grants_signed` sent on A by anyone, and the
relayer's forwarded copies on B (`*_forwarded`); `*_forward_s` is the time
from the revocation's receipt on A to B showing it applied. The figures move
by a few hundred gas between runs (the principal is a fresh key: its
address's zero bytes) and by 22,100 where a storage word is new on one chain
and not on the other (the principal has used a session on B, not on A; the
Merkle tree hook of a fresh Mailbox writes a new branch word at messages
2^k, so `report` and `process_handle` are medians).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import Web3

from charter import Call, Charter, LocalSigner
from charter._core.artifacts import abi, init_code
from charter._core.deployments import create2_address
from charter.devchain import DEV_KEYS, LocalChain, local_anvil
from charter.hyperlane import AgentsRoute, LocalHyperlane, deploy_hyperlane_agents, deploy_local
from charter.intents import deploy_oracle
from charter.processes.hyperlane import HyperlaneConfig
from charter.processes.propagate import AgentRoute
from charter.processes.relayer import ChainConfig, RelayConfig, Relayer
from charter.registry.represent import represented_id
from charter.sessions.calldata import calldata
from charter.sessions.revocations import sign_revoke_all, sign_revoke_grants

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".build" / "bench"
CHAIN_A, CHAIN_B = 31_801, 31_802
COMMITTEE = [Account.from_key(bytes([0x52 + i]) * 32) for i in range(3)]
VALIDATORS = [Account.from_key(bytes([0x62 + i]) * 32) for i in range(3)]
DEPLOYER, RELAYER = DEV_KEYS[0], DEV_KEYS[3]
TRANSFER = "transfer(address to,uint256 amount)"
POLL = 0.05
TIMEOUT = 90.0


@dataclass
class Setup:
    a: LocalChain
    b: LocalChain
    principal: LocalSigner
    on_a: Charter
    on_b: Charter
    oracle: str
    agents: str
    committee_agent: int
    hyperlane_agent: int
    start: tuple[int, int]
    lanes: list[LocalHyperlane]
    token_b: str


def _wait(w3: Web3, tx: Any) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=60)
    if receipt["status"] != 1:
        raise SystemExit(f"benchmark setup transaction {tx.hex()} reverted")
    return receipt


def _setup(a: LocalChain, b: LocalChain) -> Setup:
    deployer = LocalSigner.from_key(DEPLOYER)
    principal = LocalSigner.from_key(Account.create().key)
    tokens = []
    for chain in (a, b):
        Charter.deploy(chain.w3, deployer)
        _wait(chain.w3, deployer.send_transaction(chain.w3, {"to": principal.address, "value": 10**18}))
        tx = deployer.send_transaction(chain.w3, {"data": init_code("DemoToken")})
        token = chain.w3.eth.contract(address=_wait(chain.w3, tx)["contractAddress"], abi=abi("DemoToken"))
        _wait(chain.w3, deployer.send_transaction(chain.w3, {"to": token.address, "data": token.functions.mint(
            principal.address, 10**24)._encode_transaction_data()}))
        tokens.append(token.address)
    oracles = {deploy_oracle(c.w3, deployer, [m.address for m in COMMITTEE], 2) for c in (a, b)}
    (oracle,) = oracles
    lanes = [deploy_local(c.w3, deployer, c.chain_id, [v.address for v in VALIDATORS], 2) for c in (a, b)]
    routes = [AgentsRoute(c.chain_id, lane.domain, lane.mailbox.address, lane.ism.address)
              for c, lane in zip((a, b), lanes, strict=True)]
    (agents,) = {deploy_hyperlane_agents(c.w3, deployer, routes) for c in (a, b)}
    on_a, on_b = (Charter.connect(c.w3, signer=principal) for c in (a, b))
    on_b.accounts.upgrade(principal)
    committee_agent = on_a.registry.register("ipfs://bench/committee-agent.json")
    hyperlane_agent = on_a.registry.register("ipfs://bench/hyperlane-agent.json")
    return Setup(a, b, principal, on_a, on_b, oracle, agents, committee_agent, hyperlane_agent,
                 (a.w3.eth.block_number, b.w3.eth.block_number), lanes, tokens[1])


def _relayer(s: Setup, db: str) -> Relayer:
    hl = [HyperlaneConfig(mailbox=lane.mailbox.address, agents=s.agents) for lane in s.lanes]
    config = RelayConfig(
        chains=[ChainConfig(CHAIN_A, s.a.url, start_block=s.start[0], hyperlane=hl[0]),
                ChainConfig(CHAIN_B, s.b.url, start_block=s.start[1], agents_oracle=s.oracle, hyperlane=hl[1])],
        oracles={}, attester_keys=[m.key.hex() for m in COMMITTEE], sender_key=RELAYER, db=db,
        validator_keys=[v.key.hex() for v in VALIDATORS], forward_revocations=True,
        agents=[AgentRoute(CHAIN_A, s.committee_agent, (CHAIN_B,), ("committee",)),
                AgentRoute(CHAIN_A, s.hyperlane_agent, (CHAIN_B,), ("hyperlane",))],
    )
    return Relayer(config)


def _until(predicate: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> float:
    """Poll `predicate` every POLL seconds; the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(POLL)
    raise SystemExit(f"benchmark: {what} not seen within {timeout:.0f} s")


class Session:
    """A session key on B in the name of one represented agent, its first call made."""

    def __init__(self, s: Setup, mirror: int) -> None:
        self.s = s
        self.key = LocalSigner.from_key(Account.create().key)
        deployer = LocalSigner.from_key(DEPLOYER)
        _wait(s.b.w3, deployer.send_transaction(s.b.w3, {"to": self.key.address, "value": 10**17}))
        sessions = s.on_b.sessions
        token = s.token_b
        builder = sessions.builder(s.principal.address, mirror, self.key.address).allow(token, TRANSFER).token_budget(
            token, cap=10**20).valid_for(hours=2)
        self.grant = sessions.sign(sessions.prepare(builder))
        self.call = Call.to(token, "transfer(address,uint256)", Account.create().address, 1)
        sessions.execute(self.grant, self.call, key=self.key)  # active: later calls present no signature
        self.data = calldata("execute", self.grant.grant.as_tuple(), b"", self.call.target, 0, self.call.data)

    def refused(self) -> bool:
        try:
            self.s.b.w3.eth.call({"from": self.key.address, "to": self.s.on_b.sessions.address, "data": self.data})
        except Exception:  # noqa: BLE001 - any revert: the session call is refused
            return True
        return False


def _active(registry: Any, agent_id: int) -> bool:
    try:
        return bool(registry.is_active(agent_id))
    except Exception:  # noqa: BLE001 - no such agent (yet)
        return False


def _represented(s: Setup, inbox: str, agent: int) -> list[Any]:
    registry = s.b.w3.eth.contract(address=create2_address("AgentRegistry"), abi=abi("AgentRegistry"))
    return list(registry.events.Represented().get_logs(
        from_block=s.start[1], argument_filters={"agentId": represented_id(inbox, CHAIN_A, agent)}))


def _gas(w3: Web3, tx_hash: Any) -> int:
    return int(w3.eth.get_transaction_receipt(tx_hash)["gasUsed"])


def _stats(values: list[float]) -> dict[str, Any]:
    return {"p50": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2),
            "samples": [round(v, 2) for v in values]}


def run(cycles: int, console: Console) -> dict[str, Any]:
    with ExitStack() as stack:
        a = stack.enter_context(local_anvil(CHAIN_A, block_time=1, interval_only=True))
        b = stack.enter_context(local_anvil(CHAIN_B, block_time=1, interval_only=True))
        console.print("setting up the suite, Hyperlane and HyperlaneAgents on two 1 s anvils…")
        s = _setup(a, b)
        relayer = _relayer(s, str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "relay.sqlite"))
        worker = threading.Thread(target=relayer.run, daemon=True, name="relayer")
        worker.start()
        registry_b = s.on_b.registry
        ways = {"committee": (s.oracle, s.committee_agent), "hyperlane": (s.agents, s.hyperlane_agent)}
        try:
            mirrors = {way: represented_id(inbox, CHAIN_A, agent) for way, (inbox, agent) in ways.items()}
            for way, mirror in mirrors.items():
                _until(lambda m=mirror: _active(registry_b, m), f"the first delivery ({way})")
            sessions = {way: Session(s, mirror) for way, mirror in mirrors.items()}
            latency: dict[str, dict[str, list[float]]] = {w: {"pause_to_refused_s": [], "pause_to_inactive_s": [],
                                                               "chain_s": [], "resume_to_active_s": []} for w in ways}
            for cycle in range(cycles):
                for way, (inbox, agent) in ways.items():
                    mirror, session = mirrors[way], sessions[way]
                    paused = s.on_a.registry.pause(agent)
                    t0 = time.monotonic()
                    seen_inactive: list[float] = []

                    def refused(m: int = mirror, sess: Session = session, out: list[float] = seen_inactive) -> bool:
                        if not out and not registry_b.is_active(m):
                            out.append(time.monotonic())
                        return sess.refused()

                    t_refused = _until(refused, f"the pause ({way}, cycle {cycle + 1}) refused on B")
                    row = latency[way]
                    row["pause_to_refused_s"].append(t_refused - t0)
                    row["pause_to_inactive_s"].append((seen_inactive[0] if seen_inactive else t_refused) - t0)
                    event = _represented(s, inbox, agent)[-1]
                    pause_time = int(a.w3.eth.get_block(paused.block_number)["timestamp"])
                    row["chain_s"].append(int(b.w3.eth.get_block(event.blockNumber)["timestamp"]) - pause_time)
                    s.on_a.registry.resume(agent)
                    t1 = time.monotonic()
                    row["resume_to_active_s"].append(
                        _until(lambda m=mirror, sess=session: registry_b.is_active(m) and not sess.refused(),
                               f"the resume ({way})") - t1)
                    console.print(f"cycle {cycle + 1} {way}: refused on B {row['pause_to_refused_s'][-1]:.2f} s "
                                  f"after the pause")
            gas = _delivery_gas(s, ways)
            revocations = _revocations(s, console)
        finally:
            relayer.stop()
            worker.join(10)
            relayer.close()
    return {"latency": {way: {k: _stats(v) for k, v in rows.items()} for way, rows in latency.items()},
            "gas": {**gas, **revocations.pop("gas")}, "revocations": revocations}


def _delivery_gas(s: Setup, ways: dict[str, tuple[str, int]]) -> dict[str, int]:
    inbox, agent = ways["committee"]
    events = _represented(s, inbox, agent)
    gas = {"represent_first": _gas(s.b.w3, events[0].transactionHash),
           "represent_update": int(statistics.median(_gas(s.b.w3, e.transactionHash) for e in events[1:]))}
    inbox, agent = ways["hyperlane"]
    contract = s.a.w3.eth.contract(address=s.agents, abi=abi("HyperlaneAgents"))
    reported = contract.events.Reported().get_logs(from_block=s.start[0], argument_filters={"agentId": agent})
    gas["report"] = int(statistics.median(_gas(s.a.w3, e.transactionHash) for e in reported[1:]))
    mailbox_b = s.lanes[1].mailbox
    processed = [e for e in mailbox_b.events.ProcessId().get_logs(from_block=s.start[1])
                 if bytes(e.args.messageId) in {bytes(r.args.messageId) for r in reported}]
    gas["process_handle_first"] = _gas(s.b.w3, processed[0].transactionHash)
    gas["process_handle"] = int(statistics.median(_gas(s.b.w3, e.transactionHash) for e in processed[1:]))
    return gas


def _revocations(s: Setup, console: Console) -> dict[str, Any]:
    """Signed revocations made on A by anyone, forwarded to B by the relayer."""
    manager = create2_address("SessionManager")
    anyone = LocalSigner.from_key(DEPLOYER)
    mb = s.on_b.sessions.contract
    out: dict[str, Any] = {"gas": {}}
    grants = [bytes(Web3.keccak(text=f"entry {i}")) for i in range(2)]
    for name, revocation, applied in (
        ("revoke_grants_signed", sign_revoke_grants(manager, grants, s.principal),
         lambda: all(int(mb.functions.stateOf(s.principal.address, g).call()) & 255 == 2 for g in grants)),
        ("revoke_all_signed", sign_revoke_all(manager, s.principal, nonce=1),
         lambda: int(mb.functions.epochOf(s.principal.address).call()) >= 1),
    ):
        sent = s.on_a.sessions.submit_revocation(revocation, anyone)
        t0 = time.monotonic()
        out[f"{name}_forward_s"] = round(_until(applied, f"{name} on B") - t0, 2)
        out["gas"][name] = sent.gas_used
        event = "RevokeAllSigned" if revocation.revokes_all else "RevokeGrantsSigned"
        logs = getattr(mb.events, event)().get_logs(from_block=s.start[1])
        out["gas"][f"{name}_forwarded"] = _gas(s.b.w3, logs[-1].transactionHash)
        console.print(f"{name}: applied on B {out[f'{name}_forward_s']:.2f} s after its receipt on A")
    return out


def _print(console: Console, result: dict[str, Any]) -> None:
    table = Table(title="a pause on A, refused on B (seconds; relayer defaults: 2 confirmations, 1 s poll)")
    for column in ("way", "pause → refused p50", "min", "max", "chain time p50", "resume → active p50"):
        table.add_column(column)
    for way, rows in result["latency"].items():
        table.add_row(way, str(rows["pause_to_refused_s"]["p50"]), str(rows["pause_to_refused_s"]["min"]),
                      str(rows["pause_to_refused_s"]["max"]), str(rows["chain_s"]["p50"]),
                      str(rows["resume_to_active_s"]["p50"]))
    console.print(table)
    gas = Table(title="gas (full transactions)")
    gas.add_column("operation")
    gas.add_column("gas", justify="right")
    for name, value in result["gas"].items():
        gas.add_row(name, f"{value:,}")
    console.print(gas)


def main() -> int:
    parser = argparse.ArgumentParser(description="Charter kills across chains: latency and gas")
    parser.add_argument("--cycles", type=int, default=5, help="pause/resume cycles per way")
    parser.add_argument("--out", type=Path, help="where to write the JSON")
    args = parser.parse_args()
    out = args.out or BENCH / "propagation.json"
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    console = Console() if sys.stdout.isatty() else Console(width=120)
    load_before = os.getloadavg()
    result = run(args.cycles, console)
    body = {
        **result,
        "conditions": {"block_time_s": 1, "interval_only": True, "confirmations": 2, "poll_interval_s": 1.0,
                       "cycles": args.cycles, "observer_poll_s": POLL, "committee": "2-of-3",
                       "hyperlane_ism": "2-of-3 MessageId multisig"},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    _print(console, body)
    console.print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

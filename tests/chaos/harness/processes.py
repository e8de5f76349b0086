"""`charter relay` and `charter solve` as real processes: their TOML files, logs, kills and restarts.

Each process logs (stderr) to ``<name>.log`` and prints its summary
(stdout) to ``<name>.out`` in the run's folder, appended across restarts
with a ``==== chaos:`` line before each start. Keys reach them through
environment variables, as in production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .chains import CHAIN_A, CHAIN_B, COMMITTEE, RELAYER, SOLVER, Deployed

KEY_VARIABLES = {
    "CHAOS_RELAYER_KEY": RELAYER,
    "CHAOS_SOLVER_KEY": SOLVER,
    **{f"CHAOS_ATTESTER_{i}": "0x" + m.key.hex().removeprefix("0x") for i, m in enumerate(COMMITTEE)},
}


@dataclass(frozen=True)
class Endpoints:
    """The RPC URLs one process is given (its proxies)."""

    a: str
    b: str


def _chains_toml(rpc: Endpoints, start: tuple[int, int], origin: Deployed, confirmations: int) -> str:
    """A and B as [[chains]] tables (A names the committee's oracle: the relayer relays, the solver trusts it)."""
    return (
        "\n[[chains]]\n"
        f"chain_id = {CHAIN_A}\n"
        f'rpc = "{rpc.a}"\n'
        f"confirmations = {confirmations}\n"
        f"start_block = {start[0]}\n"
        f'oracle = "{origin.oracle}"\n'
        "\n[[chains]]\n"
        f"chain_id = {CHAIN_B}\n"
        f'rpc = "{rpc.b}"\n'
        f"confirmations = {confirmations}\n"
        f"start_block = {start[1]}\n"
    )


def relay_toml(db: Path, rpc: Endpoints, start: tuple[int, int], origin: Deployed, confirmations: int,
               poll_interval: float) -> str:
    attesters = ", ".join(f'"CHAOS_ATTESTER_{i}"' for i in range(len(COMMITTEE)))
    return (
        f'db = "{db}"\n'
        'sender_key_env = "CHAOS_RELAYER_KEY"\n'
        f"attester_keys_env = [{attesters}]\n"
        f"poll_interval = {poll_interval}\n"
        + _chains_toml(rpc, start, origin, confirmations)
    )


def solve_toml(db: Path, rpc: Endpoints, start: tuple[int, int], origin: Deployed, destination: Deployed,
               confirmations: int, poll_interval: float) -> str:
    return (
        f'db = "{db}"\n'
        'key_env = "CHAOS_SOLVER_KEY"\n'
        f"agent_id = {destination.agent}\n"
        "min_reward_bps = 0\n"
        "min_time_left = 5\n"
        f"poll_interval = {poll_interval}\n"
        + _chains_toml(rpc, start, origin, confirmations)
        + "\n[[routes]]\n"
        f"origin_chain = {CHAIN_A}\n"
        f'input_token = "{origin.token}"\n'
        f"dest_chain = {CHAIN_B}\n"
        f'output_token = "{destination.token}"\n'
    )


@dataclass
class Exit:
    """A process that exited on its own (not killed or stopped by the harness)."""

    name: str
    returncode: int
    at: float
    """Seconds into the run."""
    faults: str
    """What was being done to the chains at the time."""
    last: str
    """The last lines it logged."""


@dataclass
class Stop:
    """How a SIGTERM went."""

    seconds: float
    returncode: int | None
    """None: still running after the timeout (then killed)."""
    summary: str
    """What it printed on stdout since it was started."""


class Process:
    """`charter <verb> --config <file>` (verb: relay or solve)."""

    def __init__(self, verb: str, folder: Path) -> None:
        self.verb = verb
        self.config = folder / f"{verb}.toml"
        self.log = folder / f"{verb}.log"
        self.out = folder / f"{verb}.out"
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0
        self.exits: list[Exit] = []
        self._out_from = 0

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def command(self, *extra: str, config: Path | None = None) -> list[str]:
        return [sys.executable, "-m", "charter.cli", self.verb, "--config", str(config or self.config), *extra]

    def env(self) -> dict[str, str]:
        return {**os.environ, **KEY_VARIABLES, "PYTHONUNBUFFERED": "1"}

    def start(self, *extra: str) -> None:
        """Start it (`extra`: arguments for this start only, such as ``--resync 31522``)."""
        if self.alive:
            return
        self.starts += 1
        with self.log.open("a") as log, self.out.open("a") as out:
            for handle in (log, out):
                handle.write(f"==== chaos: {self.verb} start {self.starts} at {time.strftime('%X')} "
                             f"{' '.join(extra)}\n")
                handle.flush()
            self._out_from = self.out.stat().st_size
            self.popen = subprocess.Popen(self.command(*extra), env=self.env(), stdout=out, stderr=log,
                                          stdin=subprocess.DEVNULL)

    def kill9(self) -> None:
        if self.alive:
            assert self.popen is not None
            self.popen.kill()
            self.popen.wait()
            self.kills += 1

    def terminate(self, timeout: float) -> Stop:
        """SIGTERM, and how long it took to exit (killed after `timeout` seconds)."""
        assert self.popen is not None
        started = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
            self.popen.kill()
            self.popen.wait()
        seconds = time.monotonic() - started
        summary = self.out.read_text(errors="replace")[self._out_from:].strip()
        return Stop(seconds, code, summary)

    def exited(self) -> int | None:
        """Its return code if it exited (not through the harness), else None."""
        return self.popen.poll() if self.popen is not None else None

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def log_text(self, since: int = 0) -> str:
        if not self.log.exists():
            return ""
        with self.log.open("rb") as handle:
            handle.seek(since)
            return handle.read().decode(errors="replace")

    def tail(self, lines: int = 5) -> str:
        return "\n".join(self.log_text(max(0, self.log_size() - 8_000)).splitlines()[-lines:])


__all__ = ["KEY_VARIABLES", "Endpoints", "Exit", "Process", "Stop", "relay_toml", "solve_toml"]

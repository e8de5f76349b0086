"""Running `ape run` / `ape console` as a user does: one process per command, attached to a
running anvil through APE_FOUNDRY_HOST (the persistent mode of docs/ape.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).parent / "ape")
NETWORK = "ethereum:local:foundry"

Runner = Callable[..., subprocess.CompletedProcess[str]]


def ape_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of an `ape` process attached to the anvil at `url` (no manifest unless given)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CHARTER_MANIFEST", "CHARTER_SENDER")}
    path = str(Path(sys.executable).parent) + os.pathsep + str(ROOT / "node_modules" / ".bin")
    return {**env, "PATH": path + os.pathsep + env.get("PATH", ""), "APE_FOUNDRY_HOST": url, **extra}


def ape_runner(url: str, **extra: str) -> Runner:
    """``run(*args)``: ``ape run *args --network ethereum:local:foundry`` against `url`."""
    env = ape_env(url, **extra)

    def run(*args: str, network: bool = True, env_extra: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [APE, "run", *args, *(["--network", NETWORK] if network else [])],
            check=False, cwd=ROOT, env={**env, **(env_extra or {})}, capture_output=True, text=True, timeout=300,
        )

    return run


def ok(out: subprocess.CompletedProcess[str]) -> str:
    """stdout of a command that must have succeeded."""
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr, out.stdout + out.stderr
    return out.stdout


def refused(out: subprocess.CompletedProcess[str], status: int = 1) -> str:
    """The one ``Error: ...`` line of a command that must have failed with `status`, without a traceback."""
    text = out.stdout + out.stderr
    assert out.returncode == status, text
    assert "Traceback" not in text, text
    (line,) = [line for line in text.splitlines() if line.startswith("Error: ")]
    return line

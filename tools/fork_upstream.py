"""Run a command against a mainnet-fork upstream (``make fork-test``; see docs/fork.md).

    python tools/fork_upstream.py -- ape test tests/fork --network ethereum:mainnet-fork:foundry
    python tools/fork_upstream.py --serve      # only start and seed the local upstream; Ctrl-C stops it

With ``$CHARTER_FORK_URL`` set, the command runs against that upstream as it
is. Otherwise a local ``anvil --chain-id 1`` is started and seeded (a 6-decimal
token at USDC's address, a funded holder, an EOA with history: see
``tests/fork/upstream.py``), ``CHARTER_FORK_URL`` is set to it for the command,
and the upstream is stopped when the command ends, however it ends. The exit
status is the command's.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fork"))

import upstream  # noqa: E402  (tests/fork/upstream.py: what the tests expect of the upstream)


def _redact(url: str) -> str:
    """`url` without credentials or a path (RPC providers put API keys there)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    port = f":{parts.port}" if parts.port else ""
    hidden = "/…" if parts.path.strip("/") or parts.query else ""
    return urlunsplit((parts.scheme, host + port, hidden, "", "")) if parts.scheme else url


def _run(command: list[str], url: str) -> int:
    env = {**os.environ, upstream.FORK_URL_ENV: url}
    try:
        process = subprocess.Popen(command, env=env)
    except OSError as exc:
        print(f"error: cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        return process.wait()


def _describe(seeded: dict[str, Any]) -> str:
    return (
        f"token {seeded['token']} (6 decimals), holder {seeded['holder']}, "
        f"EOA with history {seeded['veteran']} (nonce {seeded['veteran_nonce']}, "
        f"{seeded['veteran_tokens'] / 10**upstream.DECIMALS:,.0f} tokens), fork point block {seeded['block']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help="start and seed the local upstream, print its URL, wait")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run (after --)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.serve == bool(command):
        parser.error("give either --serve or a command after --")

    given = os.environ.get(upstream.FORK_URL_ENV, "").strip()
    if given and not args.serve:
        if not given.startswith(("http://", "https://", "ws://", "wss://")):
            print(f"error: ${upstream.FORK_URL_ENV} must be an http(s) or ws(s) URL, got {_redact(given)!r}",
                  file=sys.stderr)
            return 2
        print(f"fork tests: network {upstream.NETWORK}, upstream ${upstream.FORK_URL_ENV} = {_redact(given)}",
              flush=True)
        return _run(command, given)

    started = time.monotonic()
    try:
        with upstream.local_upstream() as (url, seeded):
            print(f"fork tests: network {upstream.NETWORK}, upstream local anvil (chain id 1) at {url}, "
                  f"seeded in {time.monotonic() - started:.1f} s: {_describe(seeded)}", flush=True)
            if args.serve:
                print(f"export {upstream.FORK_URL_ENV}={url}   # Ctrl-C stops the upstream", flush=True)
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    return 0
            return _run(command, url)
    except Exception as exc:  # noqa: BLE001 - one line, whatever failed while starting or seeding
        print(f"error: local fork upstream: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

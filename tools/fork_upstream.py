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


class Stopped(Exception):
    """SIGTERM or SIGHUP arrived: unwind, so that the upstream is stopped too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, _frame: Any) -> None:
    raise Stopped(signum)


def _run(command: list[str], url: str) -> int:
    env = {**os.environ, upstream.FORK_URL_ENV: url}
    try:
        process = subprocess.Popen(command, env=env)
    except OSError as exc:
        print(f"error: cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    try:
        return _status(process.wait())
    except (KeyboardInterrupt, Stopped) as exc:  # pass it on, let the command clean up, then stop ours
        process.send_signal(exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
        try:
            return _status(process.wait(timeout=30))
        except subprocess.TimeoutExpired:
            process.kill()
            return _status(process.wait())


def _status(code: int) -> int:
    """A child's exit status as a shell reports it (128 + N when signal N ended it)."""
    return 128 - code if code < 0 else code


def _check_given(url: str) -> str | None:
    """Why `url` cannot be the upstream of ethereum:mainnet-fork, or None."""
    if not url.startswith(("http://", "https://", "ws://", "wss://")):
        return f"${upstream.FORK_URL_ENV} must be an http(s) or ws(s) URL, got {_redact(url)!r}"
    if not url.startswith("http"):
        return None  # ape's node provider checks a websocket upstream itself
    from web3 import Web3

    try:
        chain_id = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})).eth.chain_id
    except Exception as exc:  # noqa: BLE001 - one line, whatever the node or the network said
        return f"${upstream.FORK_URL_ENV} ({_redact(url)}) does not answer: {str(exc).splitlines()[0][:160]}"
    if chain_id != 1:
        return (f"${upstream.FORK_URL_ENV} ({_redact(url)}) is chain {chain_id}; {upstream.NETWORK} forks "
                "Ethereum mainnet (chain id 1), and ape refuses any other")
    return None


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

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    given = os.environ.get(upstream.FORK_URL_ENV, "").strip()
    if given and not args.serve:
        if (problem := _check_given(given)) is not None:
            print(f"error: {problem}", file=sys.stderr)
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
                except (KeyboardInterrupt, Stopped):
                    return 0
            return _run(command, url)
    except Stopped as exc:
        return 128 + exc.signum
    except Exception as exc:  # noqa: BLE001 - one line, whatever failed while starting or seeding
        print(f"error: local fork upstream: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""`charter console` from the command line: it serves on 127.0.0.1, prints its URL, stops cleanly on
SIGTERM; bad invocations are refused with one line and a non-zero exit; development mode signs
with the principal's key and nobody else's."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from charter import Charter, LocalSigner
from charter.devchain import DEV_KEYS, LocalChain, local_anvil

from .browser import Page

CHAIN = 31_833


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    with local_anvil(chain_id=CHAIN) as node:
        Charter.deploy(node.w3, LocalSigner.from_key(DEV_KEYS[0]))
        yield node


def _charter(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "charter.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "CI": "1", **(env or {})})


def _url(process: subprocess.Popen[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if found := re.search(r"(http://127\.0\.0\.1:\d+)", line):
            return found.group(1)
        if process.poll() is not None:
            said = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"charter console exited {process.returncode}: {said}")
    raise AssertionError("charter console printed no URL")


def test_serves_on_loopback_and_stops_on_sigterm(chain: LocalChain, tmp_path) -> None:
    alice = LocalSigner.from_key(DEV_KEYS[1]).address
    process = _charter("console", "--chains", f"{CHAIN}={chain.url}", "--principal", alice, "--port", "0",
                       "--no-open", "--db", str(tmp_path / "c.sqlite"))
    try:
        url = _url(process)
        page = httpx.get(url, timeout=30)
        assert page.status_code == 200 and alice in page.text and "your wallet signs" in page.text
        assert httpx.get(url, headers={"Host": "attacker.example"}, timeout=30).status_code == 400
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


@pytest.mark.parametrize("args, env, says", [
    (["--chains", f"{CHAIN}=URL"], {}, "say whose console this is"),
    (["--chains", "31999=http://127.0.0.1:1", "--principal", "0x" + "11" * 20], {}, "cannot reach"),
    (["--chains", f"{CHAIN}=URL", "--principal", "0x12"], {}, "--principal"),
    (["--chains", f"{CHAIN}=URL", "--dev-key-env", "T_CONSOLE_KEY"], {}, "T_CONSOLE_KEY"),
    (["--chains", f"{CHAIN}=URL", "--dev-key-env", "T_CONSOLE_KEY", "--principal", "0x" + "11" * 20],
     {"T_CONSOLE_KEY": DEV_KEYS[1]}, "not the principal"),
])
def test_bad_invocations_say_what_is_wrong(chain: LocalChain, tmp_path, args: list[str], env: dict[str, str],
                                           says: str) -> None:
    args = [a.replace("URL", chain.url) for a in args]
    process = _charter("console", *args, "--port", "0", "--no-open", "--db", str(tmp_path / "c.sqlite"), env=env)
    out, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert says in err and "Traceback" not in err, err


def test_development_mode_signs_with_the_principals_key(chain: LocalChain, tmp_path, page: Page) -> None:
    alice = LocalSigner.from_key(DEV_KEYS[1])
    agent = Charter.connect(chain.w3, signer=alice).registry.register("ipfs://charter-test/dev-mode.json")
    process = _charter("console", "--chains", f"{CHAIN}={chain.url}", "--dev-key-env", "T_CONSOLE_KEY",
                       "--port", "0", "--no-open", "--db", str(tmp_path / "c.sqlite"),
                       env={"T_CONSOLE_KEY": DEV_KEYS[1]})
    try:
        url = _url(process)
        page.goto(url)  # no wallet in this browser: the development key signs
        assert "development key signs" in page.text("#mode")
        button = f'tr[data-agent="{agent}"] button[data-action="pause"]'
        page.wait_for(button, timeout=20)
        page.click(button)
        page.wait_for("#notice.ok", text=f"done: pause agent {agent}", timeout=20)
        assert Charter.connect(chain.w3).registry.status(agent).name == "PAUSED"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0

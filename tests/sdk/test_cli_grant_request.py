"""`charter grant request` against anvil: the grant served as a grant request until the principal answers.

The command runs as a subprocess (it waits for the answer); the test plays the principal's side
of the approvals protocol, as the console and `charter grant approve` do: reads the request at
the printed URL, POSTs a signature of its typed data made with eth_account, or refuses it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from eth_account import Account
from eth_typing import ChecksumAddress

from charter import Charter, SignedGrant
from charter.deployments import Manifest
from charter.sessions.models import GrantStatus

from .conftest import dev_key
from .test_cli import Invoke, _json, _ok, _refused, invoke, principal_key, token  # noqa: F401 - fixtures

CONSOLE = "http://127.0.0.1:8600/"


class Running:
    """`charter ARGS` in a subprocess, its stdout read line by line as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "charter.cli", *args], env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, prefix: str, timeout: float = 60) -> str:
        """The first line (from here on) that starts with `prefix`."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            if line is None:
                raise AssertionError(f"exited before {prefix!r}: {self.seen} {self.stderr()}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Exit code, the rest of stdout, stderr."""
        code = self.process.wait(timeout=timeout)
        rest: list[str] = []
        while (line := self.lines.get(timeout=10)) is not None:
            rest.append(line)
        return code, "\n".join(self.seen + rest), self.stderr()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Ask:
    account: ChecksumAddress
    principal: str
    agent_id: int
    session: ChecksumAddress
    token: Any
    bob: ChecksumAddress
    env: dict[str, str]
    out: Path

    def args(self, *extra: str) -> list[str]:
        return ["grant", "request", "--account", self.account, "--agent", str(self.agent_id), "--key", self.session,
                "--allow", f"{self.token.address}:transfer(address to,uint256 amount):to={self.bob},amount<=50",
                "--token-budget", f"{self.token.address}:100", "--valid-for", "1h", "--out", str(self.out), *extra]

    def run(self, *extra: str) -> Running:
        return Running(self.args(*extra), self.env)


@pytest.fixture
def ask(invoke: Invoke, principal_key: str, token: Any, rpc_url: str, manifest_path: Path,  # noqa: F811
        dev_accounts: list[ChecksumAddress], tmp_path: Path) -> Ask:
    """A principal whose EOA is a Charter account and owns an agent (so its consent is implied);
    the command runs without any key."""
    me = Account.from_key(principal_key).address
    _ok(invoke("account", "upgrade", key=principal_key))
    agent_id = _json(invoke("agent", "register", "--json", key=principal_key))["agent_id"]
    env = {k: v for k, v in os.environ.items() if k != "CHARTER_PRIVATE_KEY"}
    env.update(CHARTER_RPC=rpc_url, CHARTER_MANIFEST=str(manifest_path))
    return Ask(me, principal_key, agent_id, Account.create().address, token, dev_accounts[2], env,
               tmp_path / "granted.json")


def _sign(key: str, typed: dict[str, Any]) -> str:
    """A wallet's eth_signTypedData_v4 of the request's typed data (its JSON form, as served)."""
    return "0x" + bytes(Account.sign_typed_data(key, full_message=typed).signature).hex()


def _served(running: Running) -> str:
    """The request URL the command printed, after checking the console link and the terminal line."""
    url = running.line("request:").split(None, 1)[1]
    assert url.startswith("http://127.0.0.1:") and "/grant-requests/" in url
    console = running.line("console:").split(None, 1)[1]
    assert console == f"http://127.0.0.1:8600/approve?request={quote(url, safe='')}"
    assert console.split("request=", 1)[1].startswith("http%3A%2F%2F127.0.0.1%3A")
    assert running.line("terminal:") == f"terminal: charter grant approve {url}"
    return url


def test_approved_with_the_accounts_signature(ask: Ask, w3: Any, manifest_path: Path) -> None:
    running = ask.run("--reason", "pay bob for the report", "--console", CONSOLE, "--wait", "60")
    try:
        url = _served(running)
        record = requests.get(url + ".json", timeout=10).json()
        assert record["status"] == "pending" and record["reason"] == "pay bob for the report"
        assert record["account"] == ask.account and record["grant"]["session_key"] == ask.session
        assert record["consent_implied"] is True and record["chain_id"] == int(w3.eth.chain_id)
        assert any("100" in line for line in record["summary"])
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and "pay bob for the report" in page.text

        forged = requests.post(url, json={"signature": _sign(dev_key(3), record["typed_data"])}, timeout=30)
        assert forged.status_code == 400 and forged.json()["reason"] == "GrantSignatureInvalid"
        assert requests.get(url + ".json", timeout=10).json()["status"] == "pending"
        assert not ask.out.exists() and running.process.poll() is None

        signature = _sign(ask.principal, record["typed_data"])
        answer = requests.post(url, json={"signature": signature}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"approved": True, "grant": record["grant_hash"], "request_id": record["id"]}
        code, out, err = running.finish()
    finally:
        running.stop()
    assert code == 0, err
    assert f"approved: grant {record['grant_hash']} signed by account {ask.account}; saved to {ask.out}" in out
    saved = json.loads(ask.out.read_text())
    assert saved["signatures"] == ["transfer(address to,uint256 amount)"]
    signed = SignedGrant.from_json(ask.out.read_text())
    assert "0x" + signed.hash.hex() == record["grant_hash"] and "0x" + signed.signature.hex() == signature
    state = Charter.connect(w3, manifest=Manifest.load(manifest_path)).sessions.state(signed)
    assert state.status is GrantStatus.PENDING and state.usable, state.problem


def test_refused(ask: Ask) -> None:
    running = ask.run("--wait", "60")
    try:
        url = _served(running)
        answer = requests.post(url + "/refuse", timeout=10)
        assert answer.status_code == 200 and answer.json()["status"] == "refused"
        code, _, err = running.finish()
    finally:
        running.stop()
    assert code == 5, err
    assert err.strip().splitlines()[-1] == (f"error: the principal refused grant request {url.rsplit('/', 1)[1]}: "
                                            "nothing was signed")
    assert not ask.out.exists()


def test_no_answer_in_time(ask: Ask) -> None:
    running = ask.run("--wait", "1", "--json")
    try:
        code, out, err = running.finish()
    finally:
        running.stop()
    assert code == 1
    assert "within 1 s: nothing was signed" in err.strip().splitlines()[-1]
    assert json.loads(out)["error"]["exit_code"] == 1
    assert "console:  http://127.0.0.1:8600/approve?request=http%3A%2F%2F127.0.0.1%3A" in err
    assert not ask.out.exists()


def test_refused_before_anything_is_served(invoke: Invoke, ask: Ask, tmp_path: Path) -> None:  # noqa: F811
    assert "--listen" in _refused(invoke(*ask.args("--listen", "nowhere"), key=None))
    assert "--reason is at most 500" in _refused(invoke(*ask.args("--reason", "x" * 501), key=None))
    assert "Missing option '--account'" in invoke("grant", "request", "--agent", "1", "--key", ask.session,
                                                  "--allow", ask.bob, "--valid-for", "1h", "--out", "x.json").stderr
    other = Account.create().address  # an account that is not the agent's owner: its consent is needed
    line = _refused(invoke(*[other if a == ask.account else a for a in ask.args()], key=None), code=3)
    assert "has not consented" in line and "--agent-key-env" in line


def test_the_agents_consent_travels_with_the_request(
    invoke: Invoke, ask: Ask, w3: Any, dev_accounts: list[ChecksumAddress], manifest_path: Path  # noqa: F811
) -> None:
    """Another principal's account: the agent's owner consents with the request (--agent-key-env), and the
    principal answers with `charter grant approve URL --yes`, which signs the grant with that consent."""
    principal = Account.create().key.to_0x_hex()
    account = Account.from_key(principal).address
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": dev_accounts[0], "to": account,
                                                                 "value": 10**18}))
    _ok(invoke("account", "upgrade", key=principal))
    ask.env["AGENT_OWNER_KEY"] = ask.principal
    args = [account if a == ask.account else a for a in ask.args("--agent-key-env", "AGENT_OWNER_KEY")]
    running = Running(args, ask.env)
    try:
        url = _served(running)
        record = requests.get(url + ".json", timeout=10).json()
        assert record["consent_implied"] is False and record["agent_consent"].startswith("0x")
        approved = invoke("grant", "approve", url, "--yes", key=principal)
        assert approved.exit_code == 0, approved.stderr
        assert record["grant_hash"] in approved.stdout
        code, out, err = running.finish()
    finally:
        running.stop()
    assert code == 0, err
    signed = SignedGrant.from_json(ask.out.read_text())
    assert "0x" + signed.agent_consent.hex() == record["agent_consent"]
    assert Charter.connect(w3, manifest=Manifest.load(manifest_path)).sessions.state(signed).usable


def test_edited_down_and_issued_on_chain(ask: Ask, w3: Any, manifest_path: Path) -> None:
    """The principal gives less than asked (a lower cap, fewer calls) and issues it on chain: a wider grant is
    refused and the request stays pending; the narrower one, once the chain shows it active, is saved (no
    signature: issued) and its hash printed."""
    from charter import LocalSigner
    from charter.sessions import Grant

    running = ask.run("--wait", "60")
    try:
        url = _served(running)
        record = requests.get(url + ".json", timeout=10).json()
        asked = Grant.model_validate(record["grant"])
        wider = asked.model_copy(update={"max_calls": 0, "valid_until": asked.valid_until + 1})
        refused = requests.post(url, json={"signature": "0x" + "11" * 65,
                                           "grant": json.loads(wider.model_dump_json())}, timeout=30)
        assert refused.status_code == 400 and refused.json()["reason"] == "WiderThanRequested"
        assert requests.get(url + ".json", timeout=10).json()["status"] == "pending"

        budget = asked.token_budgets[0].model_copy(update={"cap": 40})
        given = asked.model_copy(update={"token_budgets": (budget,), "max_calls": 2})
        sessions = Charter.connect(w3, manifest=Manifest.load(manifest_path)).sessions
        signed, tx = sessions.issue(given, LocalSigner.from_key(ask.principal))
        answer = requests.post(url, json={"issued_tx": tx.tx_hash, "grant": json.loads(given.model_dump_json())},
                               timeout=30)
        assert answer.status_code == 200, answer.text
        code, out, err = running.finish()
    finally:
        running.stop()
    assert code == 0, err
    grant_hash = "0x" + signed.hash.hex()
    assert f"approved: grant {grant_hash} issued on chain by account {ask.account} (tx {tx.tx_hash})" in out
    assert f"edited the grant down: it is not the grant requested ({record['grant_hash']})" in out
    assert "at most 2 calls" in out
    saved = SignedGrant.from_json(ask.out.read_text())
    assert saved.grant == given and not saved.signature and saved.hash == signed.hash
    assert sessions.state(saved).status is GrantStatus.ACTIVE

"""Session benchmarks: full-transaction gas of session execution, grants and revocation.

Used by ``benchmarks/gas.py``. Everything talks to the contracts through
plain web3 and eth-account (no SDK), so the figures do not depend on how the
SDK builds transactions.

Conditions (documented so numbers stay comparable across runs):
- the principal is an EOA upgraded with EIP-7702 to the suite's
  AccountDelegate (the flagship path: the EOA keeps its address). The
  ``sessions.deployed.*`` entries repeat the main operations for a
  per-owner AgentAccount deployed through the CREATE2 deployer;
- the call target is ``tests/mocks/Target.vy`` ``poke(7, owner, 9)`` on a
  contract the principal has already poked (its counter is non-zero and its
  stored caller is already the principal's address, for the direct and the
  session calls alike); the token is
  ``tests/mocks/Token.vy`` and every transfer goes to a recipient that
  already holds tokens;
- ``direct_call`` / ``erc20_direct``: the principal sends that same call
  itself, a plain transaction to the target (what it does without Charter);
- ``execute``: the session key sends ``execute`` for an active grant with
  one permission (target + selector + max value), a validity window, a call
  limit; ``execute_plus3`` adds three argument conditions (≤, =, ≥);
  ``execute_relayed``: a relayer sends the session key's signed request;
- ``erc20_session``: the transfer through a session without a token cap;
  ``erc20_period_first``: the first transfer under a daily cap (its budget
  word is written for the first time); ``erc20_period_next``: the next one;
- ``batch10``: ten pokes in one ``executeBatch``; ``batch10_direct``: the
  same ten calls made directly, one transaction each (what an EOA does);
  ``batch10_owner``: the principal's own ``executeBatch`` of the ten calls;
- ``grant_onchain``: the principal's ``issue`` of a grant shaped like the
  ``execute`` one; ``revoke``: revoking an active grant;
  ``revoke_unused``: revoking a grant never used (its word is new);
  ``revoke_all``: ``revokeAll`` for an account that has issued grants;
- across chains (issue 20): ``execute_represented``: ``execute`` for an agent
  represented from another chain (its mirror written by ``represent``,
  ``registry.represent_first`` / ``_update``); ``multi_chain_activate`` then
  ``multi_chain_first_call``: the first use of a grant signed once for two
  chains; ``revoke_grants_signed`` / ``revoke_all_signed``: revocations the
  principal signed once for every chain, sent by a relayer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from charter._core.artifacts import abi
from charter.deployments import (
    CREATE2_DEPLOYER,
    account_address,
    account_deploy_calldata,
    create2_address,
)
from charter.registry.represent import represented_id

ROOT = Path(__file__).resolve().parent.parent
MOCKS = ROOT / "tests" / "mocks"
DAY = 86_400


@cache
def _compile(name: str) -> tuple[list[dict[str, Any]], str]:
    vyper = Path(sys.executable).parent / "vyper"
    out = subprocess.run(
        [str(vyper), "-f", "abi,bytecode", str(MOCKS / f"{name}.vy")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip().splitlines()
    return json.loads(out[0]), out[1]


def _selector(signature: str) -> bytes:
    return bytes(Web3.keccak(text=signature)[:4])


def _word(value: int | str) -> bytes:
    if isinstance(value, str):
        return bytes(12) + bytes(HexBytes(value))
    return value.to_bytes(32, "big")


class _Bench:
    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.funder = w3.eth.accounts[0]
        # Fixed keys, so calldata (and gas) is the same on every run.
        self.principal: LocalAccount = Account.from_key(Web3.keccak(text="charter bench principal"))
        self.owner: LocalAccount = Account.from_key(Web3.keccak(text="charter bench owner"))
        self.key: LocalAccount = Account.from_key(Web3.keccak(text="charter bench session key"))
        self.relayer = w3.eth.accounts[4]
        self.recipient = w3.eth.accounts[5]
        self.registry = w3.eth.contract(address=create2_address("AgentRegistry"), abi=abi("AgentRegistry"))
        self.manager = w3.eth.contract(address=create2_address("SessionManager"), abi=abi("SessionManager"))
        self.view = w3.eth.contract(address=create2_address("SessionView"), abi=abi("SessionView"))
        self.target = self._deploy("Target")
        self.token = self._deploy("Token")

    # ------------------------------------------------------------ plumbing

    def _deploy(self, name: str) -> Contract:
        contract_abi, bytecode = _compile(name)
        factory = self.w3.eth.contract(abi=contract_abi, bytecode=bytecode)
        receipt = self._wait(factory.constructor().transact({"from": self.funder}))
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=contract_abi)

    def _wait(self, tx_hash: bytes) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise SystemExit(f"benchmark transaction reverted: {HexBytes(receipt['transactionHash']).hex()}")
        return receipt

    def gas(self, tx_hash: bytes) -> int:
        return int(self._wait(tx_hash)["gasUsed"])

    def send(self, signer: LocalAccount, to: str, data: bytes, authorizations: list[Any] | None = None) -> bytes:
        """A transaction signed locally (EIP-7702 EOAs are not unlocked on the node)."""
        tx: dict[str, Any] = {
            "chainId": self.w3.eth.chain_id,
            "nonce": self.w3.eth.get_transaction_count(signer.address),
            "to": to,
            "value": 0,
            "data": data,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
        }
        if authorizations:
            tx["type"] = 4
            tx["authorizationList"] = authorizations
            tx["gas"] = 200_000
        else:
            tx["gas"] = self.w3.eth.estimate_gas({**tx, "from": signer.address}) + 50_000
        return bytes(self.w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction))

    def fund(self, address: str, wei: int = 10**18) -> None:
        self._wait(self.w3.eth.send_transaction({"from": self.funder, "to": address, "value": wei}))

    # ------------------------------------------------------------ actors

    def upgrade(self, eoa: LocalAccount) -> None:
        """Turn `eoa` into a Charter account with EIP-7702 (self-sponsored)."""
        nonce = self.w3.eth.get_transaction_count(eoa.address)
        auth = eoa.sign_authorization(
            {"chainId": self.w3.eth.chain_id, "address": create2_address("AccountDelegate"), "nonce": nonce + 1}
        )
        self._wait(self.send(eoa, eoa.address, b"", [auth]))

    def deploy_account(self, owner: str) -> str:
        self._wait(self.w3.eth.send_transaction(
            {"from": self.funder, "to": CREATE2_DEPLOYER, "data": account_deploy_calldata(owner)}
        ))
        return account_address(owner)

    def register_agent(self, owner: LocalAccount) -> int:
        """An agent owned by `owner` (the principal: its own grants need no separate consent)."""
        self._wait(self.send(owner, self.registry.address, self.manager_call(self.registry.functions.register)))
        return int(self.registry.functions.totalSupply().call())

    def poke_data(self) -> bytes:
        return _selector("poke(uint256,address,uint256)") + _word(7) + _word(self.principal.address) + _word(9)

    def transfer_data(self) -> bytes:
        return _selector("transfer(address,uint256)") + _word(self.recipient) + _word(5)

    def grant(
        self,
        account: str,
        agent: int,
        permissions: list[tuple[str, bytes, int]],
        conditions: list[tuple[int, int, int, int]] | None = None,
        budgets: list[tuple[str, int, int]] | None = None,
        salt: int = 1,
    ) -> tuple[Any, ...]:
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        epoch = int(self.manager.functions.epochOf(account).call())
        generation = int(self.registry.functions.generationOf(agent).call())
        return (
            account, agent, generation, self.key.address, now, now + 3_600, epoch, 1_000, 0, 0,
            salt.to_bytes(32, "big"), permissions, conditions or [], budgets or [],
        )

    def consent(self, grant: tuple[Any, ...], agent_owner: LocalAccount) -> bytes:
        """The agent owner's consent: its signature of the grant digest."""
        return bytes(agent_owner.unsafe_sign_hash(self.view.functions.hashGrant(grant).call()).signature)

    def sign_grant(
        self, grant: tuple[Any, ...], signer: LocalAccount, deployed: bool, consent: bytes = b""
    ) -> bytes:
        """The first-use grantSignature: abi.encode(account signature, agent consent)."""
        digest = self.view.functions.hashGrant(grant).call()
        if deployed:
            account = self.w3.eth.contract(address=grant[0], abi=abi("AgentAccount"))
            digest = account.functions.hashMessage(digest).call()
        return abi_encode(["bytes", "bytes"], [bytes(signer.unsafe_sign_hash(digest).signature), consent])

    def execute(self, grant: tuple[Any, ...], signature: bytes, to: str, data: bytes) -> bytes:
        return self.send(
            self.key,
            self.manager.address,
            self.manager_call(self.manager.functions.execute, grant, signature, to, 0, data),
        )

    def agnostic_digest(self, primary: str, fields: list[tuple[str, str]], message: dict[str, Any]) -> bytes:
        """An EIP-712 digest under the manager's chain-agnostic domain (name, version, address)."""
        typed = {
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                 {"name": "verifyingContract", "type": "address"}],
                primary: [{"name": n, "type": t} for n, t in fields],
            },
            "primaryType": primary,
            "domain": {"name": "Charter SessionManager", "version": "1", "verifyingContract": self.manager.address},
            "message": message,
        }
        signable = encode_typed_data(full_message=typed)
        return bytes(Web3.keccak(b"\x19" + signable.version + signable.header + signable.body))

    @staticmethod
    def sign(signer: LocalAccount, digest: bytes) -> bytes:
        return bytes(signer.unsafe_sign_hash(digest).signature)

    def manager_call(self, fn: Callable[..., Any], *args: Any) -> bytes:
        return bytes(HexBytes(fn(*args)._encode_transaction_data()))


def bench_sessions(w3: Web3) -> dict[str, int]:
    b = _Bench(w3)
    out: dict[str, int] = {}
    m = b.manager.functions
    principal = b.principal
    for address in (principal.address, b.key.address, b.owner.address):
        b.fund(address)
    b.upgrade(principal)
    agent = b.register_agent(principal)
    poke = _selector("poke(uint256,address,uint256)")
    transfer = _selector("transfer(address,uint256)")
    data = b.poke_data()
    tdata = b.transfer_data()
    # The principal pokes once first, so every measured poke (direct or through a
    # session, whose caller is the principal's address too) finds the same
    # stored caller and pays the same storage prices.
    b._wait(b.send(principal, b.target.address, data))
    b._wait(b.token.functions.mint(principal.address, 10**24).transact({"from": b.funder}))
    b._wait(b.token.functions.mint(b.recipient, 1).transact({"from": b.funder}))

    # Baselines: the principal makes the calls itself.
    out["sessions.direct_call"] = b.gas(b.send(principal, b.target.address, data))
    out["sessions.erc20_direct"] = b.gas(b.send(principal, b.token.address, tdata))
    out["sessions.batch10_direct"] = sum(b.gas(b.send(principal, b.target.address, data)) for _ in range(10))
    account_abi = abi("AgentAccount")
    as_account = w3.eth.contract(address=principal.address, abi=account_abi)
    calls10 = [(b.target.address, 0, data)] * 10
    out["sessions.batch10_owner"] = b.gas(
        b.send(principal, principal.address, b.manager_call(as_account.functions.executeBatch, calls10))
    )

    # On-chain grant, then the session calls.
    g = b.grant(principal.address, agent, [(b.target.address, poke, 0)])
    out["sessions.grant_onchain"] = b.gas(b.send(principal, b.manager.address, b.manager_call(m.issue, g, b"")))
    b._wait(b.execute(g, b"", b.target.address, data))  # first use: the state word becomes non-zero
    out["sessions.execute"] = b.gas(b.execute(g, b"", b.target.address, data))

    # The same session call for an agent represented from another chain (home chain 10):
    # the funder acts as the inbox; the mirror lives where a local agent's record does.
    inbox = b.funder
    represent = b.registry.functions.represent
    out["registry.represent_first"] = b.gas(
        represent(10, agent, principal.address, principal.address, 0, 1, 0).transact({"from": inbox})
    )
    out["registry.represent_update"] = b.gas(
        represent(10, agent, principal.address, principal.address, 0, 1, 1).transact({"from": inbox})
    )
    mirrored = represented_id(inbox, 10, agent)
    gr = b.grant(principal.address, mirrored, [(b.target.address, poke, 0)], salt=21)
    b._wait(b.send(principal, b.manager.address, b.manager_call(m.issue, gr, b"")))
    b._wait(b.execute(gr, b"", b.target.address, data))
    out["sessions.execute_represented"] = b.gas(b.execute(gr, b"", b.target.address, data))

    # A grant signed once for two chains: this chain's entry activated, then its first call.
    gm = b.grant(principal.address, agent, [(b.target.address, poke, 0)], salt=22)
    entries = [bytes(b.view.functions.hashGrant(gm).call()), bytes(Web3.keccak(text="another chain's entry"))]
    multi = b.agnostic_digest("MultiChainGrant", [("grants", "bytes32[]")], {"grants": entries})
    out["sessions.multi_chain_activate"] = b.gas(
        b.send(b.key, b.manager.address, b.manager_call(m.activate, gm, b.sign(principal, multi), b"", entries))
    )
    out["sessions.multi_chain_first_call"] = b.gas(b.execute(gm, b"", b.target.address, data))

    g3 = b.grant(
        principal.address, agent, [(b.target.address, poke, 0)],
        conditions=[(0, 0, 2, 100), (0, 1, 0, int(principal.address, 16)), (0, 2, 3, 1)], salt=3,
    )
    b._wait(b.execute(g3, b.sign_grant(g3, principal, deployed=False), b.target.address, data))
    out["sessions.execute_plus3"] = b.gas(b.execute(g3, b"", b.target.address, data))

    g_hash = b.view.functions.hashGrant(g).call()
    state = int(m.stateOf(principal.address, g_hash).call())
    nonce = (state >> 88) & (2**32 - 1)
    deadline = int(w3.eth.get_block("latest")["timestamp"]) + 600
    request = b.view.functions.hashRequest(g_hash, nonce, deadline, [(b.target.address, 0, data)]).call()
    relay = (nonce, deadline, bytes(b.key.unsafe_sign_hash(request).signature))
    out["sessions.execute_relayed"] = b.gas(
        m.execute(g, b"", b.target.address, 0, data, relay).transact({"from": b.relayer})
    )
    out["sessions.batch10"] = b.gas(b.send(b.key, b.manager.address, b.manager_call(m.executeBatch, g, b"", calls10)))

    gn = b.grant(principal.address, agent, [(b.token.address, transfer, 0)], salt=5)
    b._wait(b.execute(gn, b.sign_grant(gn, principal, deployed=False), b.token.address, tdata))
    out["sessions.erc20_session"] = b.gas(b.execute(gn, b"", b.token.address, tdata))
    gt = b.grant(
        principal.address, agent, [(b.token.address, transfer, 0)], budgets=[(b.token.address, 10**20, DAY)], salt=6
    )
    b._wait(b.send(principal, b.manager.address, b.manager_call(m.issue, gt, b"")))
    out["sessions.erc20_period_first"] = b.gas(b.execute(gt, b"", b.token.address, tdata))
    out["sessions.erc20_period_next"] = b.gas(b.execute(gt, b"", b.token.address, tdata))

    out["sessions.revoke"] = b.gas(
        b.send(principal, b.manager.address, b.manager_call(m.revoke, b.view.functions.hashGrant(gn).call()))
    )
    unused = b.grant(principal.address, agent, [(b.target.address, poke, 0)], salt=9)
    out["sessions.revoke_unused"] = b.gas(
        b.send(principal, b.manager.address, b.manager_call(m.revoke, b.view.functions.hashGrant(unused).call()))
    )
    out["sessions.revoke_all"] = b.gas(b.send(principal, b.manager.address, b.manager_call(m.revokeAll)))
    # Revocations signed once for every chain, carried here by someone else (the relayer).
    revoke_grants = b.agnostic_digest(
        "RevokeGrants", [("account", "address"), ("grants", "bytes32[]")],
        {"account": principal.address, "grants": entries},
    )
    out["sessions.revoke_grants_signed"] = b.gas(
        m.revokeGrantsSigned(principal.address, entries, b.sign(principal, revoke_grants)).transact({"from": b.relayer})
    )
    revoke_all = b.agnostic_digest(
        "RevokeAll", [("account", "address"), ("nonce", "uint256")], {"account": principal.address, "nonce": 1}
    )
    out["sessions.revoke_all_signed"] = b.gas(
        m.revokeAllSigned(principal.address, 1, b.sign(principal, revoke_all)).transact({"from": b.relayer})
    )

    # The same through a per-owner AgentAccount deployed with CREATE2.
    acct = b.deploy_account(b.owner.address)
    b.fund(acct)
    deployed = w3.eth.contract(address=acct, abi=account_abi)

    def owner_execute(call_data: bytes) -> int:
        wrapped = b.manager_call(deployed.functions.execute, b.manager.address, 0, call_data)
        return b.gas(b.send(b.owner, acct, wrapped))

    out["sessions.deployed.direct_call"] = b.gas(
        b.send(b.owner, acct, b.manager_call(deployed.functions.execute, b.target.address, 0, data))
    )
    gd = b.grant(acct, agent, [(b.target.address, poke, 0)], salt=11)
    # The deployed account's owner is not the agent's owner: the principal consents.
    out["sessions.deployed.grant_onchain"] = owner_execute(b.manager_call(m.issue, gd, b.consent(gd, principal)))
    b._wait(b.execute(gd, b"", b.target.address, data))
    out["sessions.deployed.execute"] = b.gas(b.execute(gd, b"", b.target.address, data))
    gs = b.grant(acct, agent, [(b.target.address, poke, 0)], salt=12)
    out["sessions.deployed.execute_first_offchain"] = b.gas(
        b.execute(
            gs, b.sign_grant(gs, b.owner, deployed=True, consent=b.consent(gs, principal)), b.target.address, data
        )
    )
    gd_hash = b.view.functions.hashGrant(gd).call()
    out["sessions.deployed.revoke"] = owner_execute(b.manager_call(m.revoke, gd_hash))
    out["sessions.deployed.revoke_all"] = owner_execute(b.manager_call(m.revokeAll))
    return out


def session_checks(r: dict[str, int]) -> list[tuple[str, int, int]]:
    """(what, measured, limit) for every session cost target, as restated
    from the traced floor (docs/sessions.md, "Costs"): a session call's
    overhead over the same call made directly (EIP-7702 account) or over the
    owner's own ``account.execute`` (deployed account); the ERC-20 cap
    targets are the cost of the periodic cap itself, as in DESIGN.md's
    anchor (MetaMask's +142k / +45k are the cost of its period caveat): the
    capped transfer against the same transfer through a session without a cap.
    """
    return [
        ("sessions.execute - sessions.direct_call", r["sessions.execute"] - r["sessions.direct_call"], 36_000),
        (
            "sessions.deployed.execute - sessions.deployed.direct_call",
            r["sessions.deployed.execute"] - r["sessions.deployed.direct_call"],
            25_000,
        ),
        (
            "sessions.erc20_period_first - sessions.erc20_session",
            r["sessions.erc20_period_first"] - r["sessions.erc20_session"],
            30_000,
        ),
        (
            "sessions.erc20_period_next - sessions.erc20_session",
            r["sessions.erc20_period_next"] - r["sessions.erc20_session"],
            10_000,
        ),
        ("sessions.execute_plus3 - sessions.execute", r["sessions.execute_plus3"] - r["sessions.execute"], 6_000),
        (
            "sessions.batch10 / (1.3 x sessions.batch10_direct)",
            r["sessions.batch10"],
            int(1.3 * r["sessions.batch10_direct"]),
        ),
        # An agent represented from another chain costs its sessions at most 1,000 more (issue 20).
        (
            "sessions.execute_represented - sessions.execute",
            r["sessions.execute_represented"] - r["sessions.execute"],
            1_000,
        ),
        ("sessions.revoke", r["sessions.revoke"], 30_000),
        ("sessions.revoke_all", r["sessions.revoke_all"], 30_000),
        # DESIGN.md's 80,000 predates the agent-consent check (S5): issuing now reads the
        # registry (cold contract 2,600 + cold record 2,100 + the call), a floor of about
        # 83,300 over the 78,558 measured before it; restated to 86,000 (docs/sessions.md).
        ("sessions.grant_onchain", r["sessions.grant_onchain"], 86_000),
    ]


def derived(r: dict[str, int]) -> dict[str, int]:
    """Differences worth keeping next to the raw figures."""
    return {
        "sessions.execute_overhead": r["sessions.execute"] - r["sessions.direct_call"],
        "sessions.execute_represented_overhead": r["sessions.execute_represented"] - r["sessions.direct_call"],
        "sessions.multi_chain_first_use": r["sessions.multi_chain_activate"] + r["sessions.multi_chain_first_call"],
        "sessions.erc20_period_first_vs_direct": r["sessions.erc20_period_first"] - r["sessions.erc20_direct"],
        "sessions.erc20_period_next_vs_direct": r["sessions.erc20_period_next"] - r["sessions.erc20_direct"],
        "sessions.deployed.execute_overhead": r["sessions.deployed.execute"] - r["sessions.deployed.direct_call"],
    }

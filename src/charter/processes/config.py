"""Configuration files of ``charter relay`` and ``charter solve`` (TOML).

Keys are never written in these files: each names the environment variable
that holds it (``sender_key_env``, ``attester_keys_env``, ``key_env``).

    # relay.toml                                # solve.toml
    db = "relay.sqlite"                         db = "solver.sqlite"
    sender_key_env = "RELAYER_KEY"              key_env = "SOLVER_KEY"
    attester_keys_env = ["ATTESTER_1", ...]     agent_id = 2
    poll_interval = 1.0                         payout = "0x…"      # default: the solver's address
                                                min_reward_bps = 10
    [[chains]]                                  [[chains]]          # as for the relayer; `oracle` is
    chain_id = 31337                            chain_id = 31337    # the one it trusts as origin
    rpc = "http://127.0.0.1:8545"               rpc = "http://127.0.0.1:8545"
    confirmations = 2                           oracle = "0x…"
    oracle = "0x…"      # its AttesterOracle    [[routes]]
    settler = "0x…"     # default: CREATE2      origin_chain = 31337
                                                input_token = "0x…"
                                                dest_chain = 31338
                                                output_token = "0x…"
                                                max_amount = 1000000000

To settle over Hyperlane as well (or only: ``charter relay --oracle
hyperlane``), the relayer's file names the validator keys it signs
checkpoints with and each chain's Hyperlane contracts::

    validator_keys_env = ["VALIDATOR_1", "VALIDATOR_2"]

    [chains.hyperlane]          # inside a [[chains]] table
    mailbox = "0x…"             # the chain's Mailbox
    oracle = "0x…"              # its HyperlaneOracle (orders opened here)
    reporter = "0x…"            # its HyperlaneReporter (orders filled here)
    merkle_tree_hook = "0x…"    # default: the Mailbox's required hook

A solver trusts, on each origin chain, its `oracle` and the `oracle` of its
``[chains.hyperlane]`` table (the same table as in the relayer's file).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any

from eth_account import Account

from .._core.checks import check_address
from ..exceptions import InvalidInput
from ..intents.models import MIN_REFUND_DELAY
from .hyperlane import HyperlaneConfig
from .relayer import ChainConfig, RelayConfig
from .solver import Policy, Route, SolverConfig


def _read(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InvalidInput(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"configuration file {path} is not valid TOML: {exc}") from None


def _key(variable: Any, what: str) -> str:
    if not isinstance(variable, str) or not variable:
        raise InvalidInput(f"{what} must name an environment variable holding a private key")
    key = os.environ.get(variable, "").strip()
    if not key:
        raise InvalidInput(f"${variable} ({what}) is not set")
    try:
        Account.from_key(key)
    except Exception:  # noqa: BLE001 - never echo the key
        raise InvalidInput(f"${variable} ({what}) is not a valid private key") from None
    return key


def _int(table: dict[str, Any], name: str, where: str, default: int | None = None) -> int:
    value = table.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{where}: `{name}` must be a non-negative integer, got {value!r}")
    return value


def _chains(data: dict[str, Any], path: str | Path) -> tuple[list[ChainConfig], dict[int, str]]:
    tables = data.get("chains")
    if not isinstance(tables, list) or not tables:
        raise InvalidInput(f"{path}: list the chains as [[chains]] tables (chain_id, rpc)")
    chains: list[ChainConfig] = []
    oracles: dict[int, str] = {}
    for i, table in enumerate(tables):
        where = f"{path}: chains[{i}]"
        chain_id = _int(table, "chain_id", where)
        rpc = table.get("rpc")
        if not isinstance(rpc, str) or not rpc.startswith(("http://", "https://")):
            raise InvalidInput(f"{where}: `rpc` must be an http(s) URL, got {rpc!r}")
        settler = check_address(table["settler"], f"{where}: settler") if "settler" in table else None
        chains.append(ChainConfig(chain_id, rpc, settler, _int(table, "confirmations", where, 2),
                                  _int(table, "start_block", where, 0), _hyperlane(table, where)))
        if "oracle" in table:
            oracles[chain_id] = check_address(table["oracle"], f"{where}: oracle")
    if len({c.chain_id for c in chains}) != len(chains):
        raise InvalidInput(f"{path}: each chain_id appears once")
    return chains, oracles


def _hyperlane(table: dict[str, Any], where: str) -> HyperlaneConfig | None:
    hyperlane = table.get("hyperlane")
    if hyperlane is None:
        return None
    where = f"{where}.hyperlane"
    if not isinstance(hyperlane, dict) or "mailbox" not in hyperlane:
        raise InvalidInput(f"{where}: a [chains.hyperlane] table names at least the chain's `mailbox`")
    unknown = set(hyperlane) - {"mailbox", "oracle", "reporter", "merkle_tree_hook"}
    if unknown:
        raise InvalidInput(f"{where}: unknown keys {', '.join(sorted(unknown))} (mailbox, oracle, reporter, "
                           "merkle_tree_hook)")
    optional = {k: check_address(hyperlane[k], f"{where}: {k}") for k in ("oracle", "reporter", "merkle_tree_hook")
                if k in hyperlane}
    return HyperlaneConfig(mailbox=check_address(hyperlane["mailbox"], f"{where}: mailbox"), **optional)


ORACLE_KINDS = ("all", "committee", "hyperlane")


def _keys(data: dict[str, Any], name: str, what: str, path: str | Path) -> list[str]:
    names = data.get(name)
    if not isinstance(names, list) or not names:
        raise InvalidInput(f"{path}: `{name}` lists the environment variables of the {what}s")
    return [_key(n, what) for n in names]


def load_relay_config(path: str | Path, oracle: str = "all") -> RelayConfig:
    """The relayer's configuration; :class:`InvalidInput` says what is wrong and where.

    `oracle` keeps only the committee's (``"committee"``) or Hyperlane's
    (``"hyperlane"``) part of the file; ``"all"`` relays whatever it configures.
    """
    if oracle not in ORACLE_KINDS:
        raise InvalidInput(f"the oracle is one of {', '.join(ORACLE_KINDS)}, got {oracle!r}")
    data = _read(path)
    chains, oracles = _chains(data, path)
    if oracle == "hyperlane":
        oracles = {}
    if oracle == "committee":
        chains = [dataclasses.replace(c, hyperlane=None) for c in chains]
    hyperlane = any(c.hyperlane is not None for c in chains)
    if oracle != "hyperlane" and not oracles and (oracle == "committee" or not hyperlane):
        raise InvalidInput(f"{path}: name the AttesterOracle (`oracle`) of at least one origin chain")
    if oracle == "hyperlane" and not hyperlane:
        raise InvalidInput(f"{path}: give at least two chains a [chains.hyperlane] table (mailbox, oracle, reporter)")
    return RelayConfig(
        chains=chains,
        oracles=oracles,
        attester_keys=_keys(data, "attester_keys_env", "attester key", path) if oracles else [],
        validator_keys=_keys(data, "validator_keys_env", "validator key", path) if hyperlane else [],
        sender_key=_key(data.get("sender_key_env", "CHARTER_PRIVATE_KEY"), "sender_key_env"),
        db=str(data.get("db", "relay.sqlite")),
        poll_interval=float(data.get("poll_interval", 1.0)),
        batch=_int(data, "batch", str(path), 10),
        record_unfilled=bool(data.get("record_unfilled", True)),
    )


def load_solver_config(path: str | Path) -> SolverConfig:
    """The solver's configuration; :class:`InvalidInput` says what is wrong and where."""
    data = _read(path)
    chains, committee = _chains(data, path)
    oracles: dict[int, str | list[str]] = {}
    for chain in chains:  # the committee oracle and the chain's HyperlaneOracle, if configured
        named = [committee[chain.chain_id]] if chain.chain_id in committee else []
        if chain.hyperlane is not None and chain.hyperlane.oracle:
            named.append(chain.hyperlane.oracle)
        if named:
            oracles[chain.chain_id] = named
    routes = []
    for i, table in enumerate(data.get("routes", [])):
        where = f"{path}: routes[{i}]"
        routes.append(Route(
            _int(table, "origin_chain", where),
            check_address(table.get("input_token"), f"{where}: input_token"),
            _int(table, "dest_chain", where),
            check_address(table.get("output_token"), f"{where}: output_token"),
            _int(table, "max_amount", where, 2**256 - 1),
        ))
    if not routes:
        raise InvalidInput(f"{path}: list what the solver fills as [[routes]] tables")
    payout = data.get("payout")
    return SolverConfig(
        chains=chains,
        key=_key(data.get("key_env", "CHARTER_PRIVATE_KEY"), "key_env"),
        policy=Policy(
            routes=routes,
            oracles=oracles,
            min_reward_bps=_int(data, "min_reward_bps", str(path), 0),
            min_proof_window=_int(data, "min_proof_window", str(path), MIN_REFUND_DELAY),
            min_time_left=_int(data, "min_time_left", str(path), 30),
        ),
        agent_id=_int(data, "agent_id", str(path), 0),
        payout=check_address(payout, f"{path}: payout") if payout is not None else None,
        db=str(data.get("db", "solver.sqlite")),
        poll_interval=float(data.get("poll_interval", 1.0)),
    )


__all__ = ["ORACLE_KINDS", "load_relay_config", "load_solver_config"]

"""Configuration files of ``charter relay`` and ``charter solve`` (TOML), read strictly.

Keys are never written in these files: each names the environment variable
that holds it (``sender_key_env``, ``attester_keys_env``, ``key_env``).

    # relay.toml                                # solve.toml
    db = "relay.sqlite"                         db = "solver.sqlite"
    sender_key_env = "RELAYER_KEY"              key_env = "SOLVER_KEY"
    attester_keys_env = ["ATTESTER_1", ...]     agent_id = 2        # 0: fill without naming an agent
    poll_interval = 1.0                         payout = "0x…"      # default: the solver's address
    batch = 10                                  min_reward_bps = 10
    record_unfilled = true                      max_pending = 50
                                                [[chains]]          # as for the relayer; `oracle` is
    [[chains]]                                  chain_id = 31337    # the one it trusts as origin
    chain_id = 31337                            rpc = "http://127.0.0.1:8545"
    rpc = "http://127.0.0.1:8545"               oracle = "0x…"
    confirmations = 2                           [[routes]]
    oracle = "0x…"      # its AttesterOracle    origin_chain = 31337
    settler = "0x…"     # default: CREATE2      input_token = "0x…"  # or "native"
    rpc_timeout = 10                            dest_chain = 31338
    min_inputs = { native = 10000000000000000 } output_token = "0x…"
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

To carry kills between chains (:mod:`charter.processes.propagate`), the
relayer's file names the inboxes that mirror agents on each chain, the
agents to keep represented, and whether to carry signed revocations (all
optional: a file without them relays as before)::

    forward_revocations = true  # revokeAllSigned / revokeGrantsSigned, to every other chain
    discover_agents = true      # also every agent a chain shows mirrored by one of its inboxes

    [[chains]]
    agents_oracle = "0x…"       # the AttesterOracle that delivers agents' states here (committee)
    # session_manager = "0x…"   # default: the suite's CREATE2 address
    # registry = "0x…"          # default: the suite's CREATE2 address
    [chains.hyperlane]
    agents = "0x…"              # the HyperlaneAgents (the same address on every chain)

    [[agents]]
    home_chain = 31337
    agent_id = 5
    to = [31338]                # default: every other chain with an inbox for `via`
    via = "committee"           # "hyperlane", or both: ["committee", "hyperlane"]

The relayer's trust work (issue 21) is on by default: it records settled
orders' receipts in each origin's receipt-backed registry and answers fill
requests naming its attesters in each chain's ValidationRegistry::

    record_receipts = true      # default; false: record no receipts
    answer_validations = true   # default with attester keys; each attester pays for its answers
    [[chains]]
    backed_reputation = "0x…"   # or false; default: the suite's, when deployed there
    validation_registry = "0x…" # or false; default: the suite's, when deployed there

Every key is checked when the file is read, and :class:`InvalidInput` says
in one line which key, where (``chains[0]``, ``routes[1]``,
``chains[1].hyperlane``, ``agents[0]``) and what to write instead: an unknown key names the
closest valid one (``chains[0]: unknown key `confirmation`; did you mean
`confirmations`?``), a key written below a table header it does not belong
to, or one of the other process's file, says so; every value has its type
(integers are integers, flags are ``true``/``false``, addresses are 20-byte
hex and not zero where zero means nothing) and its range (``poll_interval``
≥ 0.05 s, ``batch`` 1 to 10, ``max_pending`` 1 to 500, ``rpc_timeout`` above
0 and at most 300 s). What only the chains can tell (the RPC answers the
configured chain id, the contracts have code and answer as what they are
named, the attester keys are committee members, the solver's agent) is
checked against them by :mod:`charter.processes.preflight`. docs/intents.md
lists every key with its type, default and meaning.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import Web3

from .._core.checks import check_address
from .._core.signers import private_key_from_env
from ..exceptions import CharterError, InvalidInput
from ..intents.models import MAX_SETTLE, MIN_REFUND_DELAY, NATIVE
from .hyperlane import HyperlaneConfig
from .propagate import VIAS, AgentRoute, expand_routes
from .relayer import ChainConfig, RelayConfig
from .solver import Policy, Route, SolverConfig

MIN_POLL_INTERVAL = 0.05
"""Seconds: a smaller `poll_interval` makes an idle process spin on the CPU and its RPCs."""
MAX_RPC_TIMEOUT = 300.0
"""Seconds: an `rpc_timeout` above it would let one hanging RPC stall its chain for longer."""
MAX_PENDING = 500
"""The most fills a solver may send per round without waiting for them to be mined."""

# The keys of each table, in the order the docs list them.
RELAY_KEYS = ("db", "sender_key_env", "attester_keys_env", "validator_keys_env", "poll_interval", "batch",
              "record_unfilled", "forward_revocations", "discover_agents", "record_receipts", "answer_validations",
              "chains", "agents")
SOLVER_KEYS = ("db", "key_env", "agent_id", "payout", "min_reward_bps", "min_proof_window", "min_time_left",
               "min_opener_orders", "min_opener_score", "min_backing_value", "rate_openers", "poll_interval",
               "max_pending", "chains", "routes")
CHAIN_KEYS = ("chain_id", "rpc", "confirmations", "start_block", "oracle", "settler", "rpc_timeout", "hyperlane")
RELAY_CHAIN_KEYS = (*CHAIN_KEYS[:-1], "min_inputs", "agents_oracle", "session_manager", "registry",
                    "backed_reputation", "validation_registry", "hyperlane")
HYPERLANE_KEYS = ("mailbox", "oracle", "reporter", "merkle_tree_hook", "agents")
AGENT_KEYS = ("home_chain", "agent_id", "to", "via")
ROUTE_KEYS = ("origin_chain", "input_token", "dest_chain", "output_token", "max_amount")

_MISSING = object()


# ---------------------------------------------------------------- reading


def _read(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InvalidInput(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"configuration file {path} is not valid TOML: {exc}") from None


# ---------------------------------------------------------------- keys


@dataclasses.dataclass(frozen=True)
class _File:
    """Which process's file is read: its keys per table, and the other process's for hints."""

    path: str
    process: str
    top: tuple[str, ...]
    chain: tuple[str, ...]
    other: str
    other_keys: frozenset[str]

    def where(self, part: str | None = None) -> str:
        return f"{self.path}: {part}" if part else self.path


_RELAY_OTHER = frozenset(SOLVER_KEYS) | set(ROUTE_KEYS)
_SOLVER_OTHER = frozenset(RELAY_KEYS) | {"min_inputs", "agents_oracle", "session_manager", "registry",
                                         "backed_reputation", "validation_registry"} | set(AGENT_KEYS)


def _file(path: str | Path, process: str) -> _File:
    if process == "relay":
        return _File(str(path), "charter relay", RELAY_KEYS, RELAY_CHAIN_KEYS, "charter solve", _RELAY_OTHER)
    return _File(str(path), "charter solve", SOLVER_KEYS, CHAIN_KEYS, "charter relay", _SOLVER_OTHER)


def _check_keys(table: dict[str, Any], scope: str, file: _File, part: str | None) -> None:
    """Refuse a key `table` (a `scope`: top, chain, hyperlane, route) does not have, saying where it belongs."""
    allowed = {"top": file.top, "chain": file.chain, "hyperlane": HYPERLANE_KEYS, "route": ROUTE_KEYS,
               "agent": AGENT_KEYS}
    if file.process == "charter relay":
        del allowed["route"]
    else:
        del allowed["agent"]
    for key in table:
        if key not in allowed[scope]:
            raise InvalidInput(_unknown(key, scope, allowed, file, part))


_PLACES = {
    "top": "a top-level key: write it above the first [[chains]] table (TOML puts the keys below a table header "
           "into that table)",
    "chain": "a key of each [[chains]] table",
    "hyperlane": "a key of a chain's [chains.hyperlane] table",
    "route": "a key of each [[routes]] table",
    "agent": "a key of each [[agents]] table",
}


def _unknown(key: str, scope: str, allowed: dict[str, tuple[str, ...]], file: _File, part: str | None) -> str:
    at = file.where(part)
    valid = allowed[scope]
    homes = [s for s in allowed if s != scope and key in allowed[s]]
    home = "hyperlane" if scope == "chain" and "hyperlane" in homes else next(iter(homes), None)
    if home == "chain" and scope == "hyperlane":
        return f"{at}: `{key}` is a key of the [[chains]] table: write it above its [chains.hyperlane] table"
    if home == "hyperlane" and scope == "chain":
        return f"{at}: `{key}` is {_PLACES[home]}: write it below the chain's [chains.hyperlane] header"
    if home == "agent" and scope == "top" and key in file.other_keys:  # the solver's `agent_id`
        return (f"{at}: `{key}` is a key of {file.other}'s file, not of {file.process}'s (here it is "
                f"{_PLACES[home]})")
    if home is not None:
        return f"{at}: `{key}` is {_PLACES[home]}" + (", not of the top level" if scope == "top" else "")
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if key in file.other_keys:
        hint = f"; did you mean `{close[0]}`?" if close else ""
        return f"{at}: `{key}` is a key of {file.other}'s file, not of {file.process}'s{hint}"
    unknown = f"{at}: unknown key `{key}`" + (" at the top level" if scope == "top" else "")
    if close:
        return f"{unknown}; did you mean `{close[0]}`?"
    for other in allowed:  # a misspelled key that is also misplaced
        near = difflib.get_close_matches(key, allowed[other], n=1, cutoff=0.6)
        if other != scope and near:
            return f"{unknown}; did you mean `{near[0]}`? It is {_PLACES[other]}"
    return f"{unknown} (the keys are {', '.join(valid)})"


# ---------------------------------------------------------------- values


def _integer(table: dict[str, Any], name: str, where: str, default: Any = _MISSING, low: int = 0,
             high: int | None = None) -> int:
    value = table.get(name, default)
    if value is _MISSING:
        raise InvalidInput(f"{where}: `{name}` is missing")
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
        expected = f"an integer from {low} to {high}" if high is not None else f"an integer ≥ {low}"
        raise InvalidInput(f"{where}: `{name}` is {expected}, got {value!r}")
    return value


def _seconds(table: dict[str, Any], name: str, where: str, default: float, low: float, high: float | None,
             expected: str) -> float:
    value = table.get(name, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < low or value == 0 or (high is not None and value > high):
        raise InvalidInput(f"{where}: `{name}` is a number of seconds, {expected}, got {value!r}")
    return float(value)


def _flag(table: dict[str, Any], name: str, where: str, default: bool) -> bool:
    value = table.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"{where}: `{name}` is true or false, got {value!r}")
    return value


def _text(table: dict[str, Any], name: str, where: str, default: str, expected: str) -> str:
    value = table.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{where}: `{name}` is {expected}, got {value!r}")
    return value


def _address(value: Any, name: str, where: str, zero: str | None = None) -> str:
    """`value` checksummed; `zero` is the fix to print when the zero address is refused (None: allowed)."""
    if value is _MISSING:
        raise InvalidInput(f"{where}: `{name}` is missing")
    if not isinstance(value, str) or not Web3.is_address(value) or len(value) != 42:
        raise InvalidInput(f"{where}: `{name}` is an address (0x and 40 hex digits), got {value!r}")
    address = str(check_address(value, f"{where}: `{name}`"))
    if zero is not None and int(address, 16) == 0:
        raise InvalidInput(f"{where}: `{name}` is the zero address: {zero}")
    return address


def _token(value: Any, name: str, where: str) -> str:
    """A token address, or NATIVE for ``"native"`` (or the zero address)."""
    if value == "native":
        return NATIVE
    if value is not _MISSING and not (isinstance(value, str) and Web3.is_address(value) and len(value) == 42):
        raise InvalidInput(f"{where}: `{name}` is a token address or \"native\", got {value!r}")
    return _address(value, name, where)


def _key(variable: Any, what: str) -> str:
    if not isinstance(variable, str) or not variable:
        raise InvalidInput(f"{what} must name an environment variable holding a private key, got {variable!r}")
    return private_key_from_env(variable, what)


def _keys(data: dict[str, Any], name: str, what: str, file: _File) -> list[str]:
    names = data.get(name)
    where = f"{file.path}: `{name}`"
    if not isinstance(names, list) or not names:
        raise InvalidInput(f"{where} lists the environment variables of the {what}s, e.g. {name} = "
                           f"[\"{what.split()[0].upper()}_1\"], got {names!r}")
    keys = [_key(n, where) for n in names]
    seen: dict[str, str] = {}
    for variable, key in zip(names, keys, strict=True):
        address = Account.from_key(key).address
        if address in seen:
            raise InvalidInput(f"{where}: ${seen[address]} and ${variable} hold the same key ({address}); "
                               "list each key once")
        seen[address] = variable
    return keys


def _sender(data: dict[str, Any], name: str, file: _File) -> str:
    return _key(data.get(name, "CHARTER_PRIVATE_KEY"), f"{file.path}: `{name}`")


def _poll_interval(data: dict[str, Any], file: _File) -> float:
    return _seconds(data, "poll_interval", file.path, 1.0, MIN_POLL_INTERVAL, None,
                    f"at least {MIN_POLL_INTERVAL} (a smaller one spins the CPU)")


def _db(data: dict[str, Any], file: _File, default: str) -> str:
    return _text(data, "db", file.path, default, "the path of an SQLite file")


# ---------------------------------------------------------------- tables


def _tables(data: dict[str, Any], name: str, file: _File, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    tables = data.get(name)
    if tables is None:
        raise InvalidInput(f"{file.path}: list the {name} as [[{name}]] tables ({', '.join(keys[:2])}, …)")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise InvalidInput(f"{file.path}: `{name}` is a list of [[{name}]] tables ({', '.join(keys[:2])}, …), "
                           f"got {tables!r}")
    return tables


def _chains(data: dict[str, Any], file: _File) -> tuple[list[ChainConfig], dict[int, str]]:
    chains: list[ChainConfig] = []
    oracles: dict[int, str] = {}
    rpcs: dict[str, int] = {}
    ids: dict[int, int] = {}
    for i, table in enumerate(_tables(data, "chains", file, CHAIN_KEYS)):
        part = f"chains[{i}]"
        where = file.where(part)
        _check_keys(table, "chain", file, part)
        chain_id = _integer(table, "chain_id", where, low=1)
        if chain_id in ids:
            raise InvalidInput(f"{where}: `chain_id` {chain_id} appears twice (chains[{ids[chain_id]}] too); "
                               "list each chain once")
        ids[chain_id] = i
        rpc = table.get("rpc", _MISSING)
        if rpc is _MISSING:
            raise InvalidInput(f"{where}: `rpc` is missing: give the chain's node URL (http:// or https://)")
        if not isinstance(rpc, str) or not rpc.startswith(("http://", "https://")):
            raise InvalidInput(f"{where}: `rpc` is an http(s) URL, got {rpc!r}")
        same = rpcs.get(rpc.rstrip("/"))
        if same is not None:
            raise InvalidInput(f"{where}: `rpc` is also chains[{same}]'s: each chain has its own node URL")
        rpcs[rpc.rstrip("/")] = i
        settler = (_address(table["settler"], "settler", where, "leave it out for the suite's CREATE2 address")
                   if "settler" in table else None)
        chains.append(ChainConfig(
            chain_id, rpc, settler,
            confirmations=_integer(table, "confirmations", where, 2),
            start_block=_integer(table, "start_block", where, 0),
            hyperlane=_hyperlane(table, where, file, part),
            rpc_timeout=_seconds(table, "rpc_timeout", where, 10.0, 0.0, MAX_RPC_TIMEOUT,
                                 f"above 0 and at most {MAX_RPC_TIMEOUT:g} (how long one RPC request may take)"),
            min_inputs=_min_inputs(table, where),
            **{k: _address(table[k], k, where, fix) for k, fix in _CHAIN_CONTRACTS.items() if k in table},
            backed_reputation=_registry(table, "backed_reputation", where),
            validation_registry=_registry(table, "validation_registry", where),
        ))
        if "oracle" in table:
            oracles[chain_id] = _address(table["oracle"], "oracle", where, "name the chain's AttesterOracle")
    return chains, oracles


_CHAIN_CONTRACTS = {
    "agents_oracle": "name the AttesterOracle that delivers agents' states to this chain, or leave the key out",
    "session_manager": "leave it out for the suite's CREATE2 address",
    "registry": "leave it out for the suite's CREATE2 address",
}
"""The relayer's optional contract keys of a [[chains]] table, and what to write instead of zero."""

_TRUST_REGISTRIES = {
    "backed_reputation": "the chain's receipt-backed ReputationRegistry (settled orders' receipts are recorded there)",
    "validation_registry": "the chain's ValidationRegistry (fill requests to the attesters are answered there)",
}
"""The relayer's trust registry keys of a [[chains]] table: an address, or false (none), or true (the suite's)."""


def _registry(table: dict[str, Any], name: str, where: str) -> str | bool | None:
    """A trust registry key: its address, False (none here), or True / None (absent: the suite's)."""
    if name not in table:
        return None
    value = table[name]
    if isinstance(value, bool):
        return value
    if not (isinstance(value, str) and Web3.is_address(value) and len(value) == 42):
        raise InvalidInput(f"{where}: `{name}` is {_TRUST_REGISTRIES[name]}: an address, or false to use none on "
                           f"this chain (leave the key out for the suite's), got {value!r}")
    return _address(value, name, where, "write false to use none on this chain, or leave the key out for the "
                    "suite's")


def _hyperlane(table: dict[str, Any], where: str, file: _File, part: str) -> HyperlaneConfig | None:
    hyperlane = table.get("hyperlane")
    if hyperlane is None:
        return None
    if not isinstance(hyperlane, dict):
        raise InvalidInput(f"{where}: `hyperlane` is a [chains.hyperlane] table ({', '.join(HYPERLANE_KEYS)}), "
                           f"got {hyperlane!r}")
    part = f"{part}.hyperlane"
    where = file.where(part)
    _check_keys(hyperlane, "hyperlane", file, part)
    if "mailbox" not in hyperlane:
        raise InvalidInput(f"{where}: a [chains.hyperlane] table names at least the chain's `mailbox`")
    fix = "name the contract, or leave the key out"
    optional = {k: _address(hyperlane[k], k, where, fix) for k in ("oracle", "reporter", "merkle_tree_hook", "agents")
                if k in hyperlane}
    return HyperlaneConfig(mailbox=_address(hyperlane["mailbox"], "mailbox", where, "name the chain's Mailbox"),
                           **optional)


def _min_inputs(table: dict[str, Any], where: str) -> dict[str, int] | None:
    if "min_inputs" not in table:
        return None
    value = table["min_inputs"]
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: `min_inputs` is a table of token address (or \"native\") = minimum amount, "
                           f"e.g. min_inputs = {{ native = 10000000000000000 }}, got {value!r}")
    if not value:
        raise InvalidInput(f"{where}: `min_inputs` lists no token: list tokens with their minimum amounts, or "
                           "leave it out to relay every order")
    minimums: dict[str, int] = {}
    for token, amount in value.items():
        if token == "native":
            address = NATIVE
        elif Web3.is_address(token) and len(token) == 42:
            address = str(check_address(token, f"{where}: `min_inputs`: {token}"))
        else:
            raise InvalidInput(f"{where}: `min_inputs`: {token} is neither a token address nor \"native\"")
        name = "native" if int(address, 16) == 0 else address
        if address in minimums:
            raise InvalidInput(f"{where}: `min_inputs`: {name} appears twice")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise InvalidInput(f"{where}: `min_inputs`: the minimum of {name} is an integer ≥ 0 (base units), "
                               f"got {amount!r}")
        minimums[NATIVE if name == "native" else address] = amount
    return minimums


def _configured(chain_id: int, name: str, where: str, ids: list[int]) -> int:
    """`chain_id` (the key `name`), refused unless it is one of the [[chains]] (`ids`)."""
    if chain_id not in ids:
        raise InvalidInput(f"{where}: `{name}` {chain_id} is not one of the [[chains]] "
                           f"({', '.join(map(str, ids))}): add a [[chains]] table for it or fix the id")
    return chain_id


def _routes(data: dict[str, Any], file: _File, chains: list[ChainConfig]) -> list[Route]:
    ids = [c.chain_id for c in chains]
    routes = []
    for i, table in enumerate(_tables(data, "routes", file, ROUTE_KEYS)):
        part = f"routes[{i}]"
        where = file.where(part)
        _check_keys(table, "route", file, part)
        origin, dest = _integer(table, "origin_chain", where, low=1), _integer(table, "dest_chain", where, low=1)
        for name, chain_id in (("origin_chain", origin), ("dest_chain", dest)):
            _configured(chain_id, name, where, ids)
        routes.append(Route(
            origin, _token(table.get("input_token", _MISSING), "input_token", where),
            dest, _token(table.get("output_token", _MISSING), "output_token", where),
            _integer(table, "max_amount", where, 2**256 - 1, low=1),
        ))
    return routes


def _agents(data: dict[str, Any], file: _File, chains: list[ChainConfig]) -> list[AgentRoute]:
    if "agents" not in data:
        return []
    ids = [c.chain_id for c in chains]
    agents = []
    for i, table in enumerate(_tables(data, "agents", file, AGENT_KEYS)):
        part = f"agents[{i}]"
        where = file.where(part)
        _check_keys(table, "agent", file, part)
        home = _configured(_integer(table, "home_chain", where, low=1), "home_chain", where, ids)
        agent_id = _integer(table, "agent_id", where, low=1)
        to = table.get("to", [])
        if not isinstance(to, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in to):
            raise InvalidInput(f"{where}: `to` is a list of chain ids, e.g. to = [{ids[-1]}], got {to!r}")
        for chain_id in to:
            if chain_id not in ids:
                raise InvalidInput(f"{where}: `to` names chain {chain_id}, not one of the [[chains]] "
                                   f"({', '.join(map(str, ids))})")
        if len(set(to)) != len(to):
            raise InvalidInput(f"{where}: `to` names a chain twice: {to}")
        via = table.get("via", "committee")
        vias = [via] if isinstance(via, str) else via
        if not isinstance(vias, list) or not vias or not all(v in VIAS for v in vias) or len(set(vias)) != len(vias):
            raise InvalidInput(f"{where}: `via` is \"committee\", \"hyperlane\" or both ([\"committee\", "
                               f"\"hyperlane\"]), got {via!r}")
        agents.append(AgentRoute(home, agent_id, tuple(to), tuple(vias)))
    return agents


# ---------------------------------------------------------------- the files

ORACLE_KINDS = ("all", "committee", "hyperlane")


def load_relay_config(path: str | Path, oracle: str = "all") -> RelayConfig:
    """The relayer's configuration; :class:`InvalidInput` says what is wrong and where.

    `oracle` keeps only the committee's (``"committee"``) or Hyperlane's
    (``"hyperlane"``) part of the file; ``"all"`` relays whatever it configures.
    """
    if oracle not in ORACLE_KINDS:
        raise InvalidInput(f"the oracle is one of {', '.join(ORACLE_KINDS)}, got {oracle!r}")
    data = _read(path)
    file = _file(path, "relay")
    _check_keys(data, "top", file, None)
    db = _db(data, file, "relay.sqlite")
    poll_interval = _poll_interval(data, file)
    batch = _integer(data, "batch", file.path, MAX_SETTLE, low=1, high=MAX_SETTLE)
    record_unfilled = _flag(data, "record_unfilled", file.path, True)
    forward_revocations = _flag(data, "forward_revocations", file.path, False)
    discover_agents = _flag(data, "discover_agents", file.path, False)
    record_receipts = _flag(data, "record_receipts", file.path, True)
    answer_validations = _flag(data, "answer_validations", file.path, True)
    chains, oracles = _chains(data, file)
    agents = _agents(data, file, chains)
    if oracle == "hyperlane":
        oracles = {}
        chains = [dataclasses.replace(c, agents_oracle=None) for c in chains]
        agents = [dataclasses.replace(a, via=("hyperlane",)) for a in agents if "hyperlane" in a.via]
    if oracle == "committee":
        chains = [dataclasses.replace(c, hyperlane=None) for c in chains]
        agents = [dataclasses.replace(a, via=("committee",)) for a in agents if "committee" in a.via]
    try:
        expand_routes(agents, {c.chain_id: c for c in chains})
    except CharterError as exc:
        raise InvalidInput(f"{path}: {exc}") from None
    hyperlane = any(c.hyperlane is not None for c in chains)
    committee = bool(oracles) or any(c.agents_oracle for c in chains)
    if data.get("answer_validations") is True and not committee and oracle != "hyperlane":
        raise InvalidInput(f"{path}: `answer_validations` answers from the attester keys, and this file uses none "
                           "(no chain names an `oracle` or `agents_oracle`): leave the key out, or configure the "
                           "committee")
    answer_validations = answer_validations and oracle != "hyperlane"
    kills = bool(agents) or discover_agents or forward_revocations
    if not kills and oracle != "hyperlane" and not oracles and (oracle == "committee" or not hyperlane):
        raise InvalidInput(f"{path}: name the AttesterOracle (`oracle`) of at least one origin chain (or carry "
                           "kills: [[agents]], discover_agents, forward_revocations)")
    if not kills and oracle == "hyperlane" and not hyperlane:
        raise InvalidInput(f"{path}: give at least two chains a [chains.hyperlane] table (mailbox, oracle, reporter)")
    return RelayConfig(
        chains=chains,
        oracles=oracles,
        attester_keys=_keys(data, "attester_keys_env", "attester key", file) if committee else [],
        validator_keys=_keys(data, "validator_keys_env", "validator key", file) if hyperlane else [],
        sender_key=_sender(data, "sender_key_env", file),
        db=db,
        poll_interval=poll_interval,
        batch=batch,
        record_unfilled=record_unfilled,
        agents=agents,
        discover_agents=discover_agents,
        forward_revocations=forward_revocations,
        record_receipts=record_receipts,
        answer_validations=answer_validations,
    )


def load_solver_config(path: str | Path) -> SolverConfig:
    """The solver's configuration; :class:`InvalidInput` says what is wrong and where."""
    data = _read(path)
    file = _file(path, "solve")
    _check_keys(data, "top", file, None)
    db = _db(data, file, "solver.sqlite")
    poll_interval = _poll_interval(data, file)
    agent_id = data.get("agent_id", 0)
    if not isinstance(agent_id, int) or isinstance(agent_id, bool) or agent_id < 0:
        raise InvalidInput(f"{path}: `agent_id` is the solver's registered agent (an integer ≥ 1), or 0 to fill "
                           f"without naming one, got {agent_id!r}")
    payout = data.get("payout")
    policy_numbers: dict[str, Any] = {name: _integer(data, name, file.path, default) for name, default in (
        ("min_reward_bps", 0), ("min_proof_window", MIN_REFUND_DELAY), ("min_time_left", 30),
        ("min_opener_orders", 0), ("min_backing_value", 0))}
    score = data.get("min_opener_score")
    if score is not None:
        if not isinstance(score, int | float) or isinstance(score, bool) or score != score:
            raise InvalidInput(f"{path}: `min_opener_score` is the least average backed score of an order's opener "
                               f"agent (a number, e.g. 80 or 92.5), got {score!r}")
        policy_numbers["min_opener_score"] = Decimal(str(score))
    if "rate_openers" in data:
        policy_numbers["rate_openers"] = _integer(data, "rate_openers", file.path, low=0, high=100)
    max_pending = _integer(data, "max_pending", file.path, 50, low=1, high=MAX_PENDING)
    chains, committee = _chains(data, file)
    oracles: dict[int, str | list[str]] = {}
    for chain in chains:  # the committee oracle and the chain's HyperlaneOracle, if configured
        named = [committee[chain.chain_id]] if chain.chain_id in committee else []
        if chain.hyperlane is not None and chain.hyperlane.oracle:
            named.append(chain.hyperlane.oracle)
        if named:
            oracles[chain.chain_id] = named
    return SolverConfig(
        chains=chains,
        key=_sender(data, "key_env", file),
        policy=Policy(routes=_routes(data, file, chains), oracles=oracles, **policy_numbers),
        agent_id=agent_id,
        payout=_address(payout, "payout", file.path, "name where the escrow should go, or leave it out to be paid "
                        "at the solver's address") if payout is not None else None,
        db=db,
        poll_interval=poll_interval,
        max_pending=max_pending,
    )


__all__ = ["AGENT_KEYS", "CHAIN_KEYS", "HYPERLANE_KEYS", "MAX_PENDING", "MAX_RPC_TIMEOUT", "MIN_POLL_INTERVAL",
           "ORACLE_KINDS", "RELAY_CHAIN_KEYS", "RELAY_KEYS", "ROUTE_KEYS", "SOLVER_KEYS", "load_relay_config",
           "load_solver_config"]

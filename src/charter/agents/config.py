"""The configuration of ``charter mcp`` (TOML), read strictly.

    # mcp.toml
    agent_id = 1                         # the agent this server acts for
    account = "0x…"                      # the principal's account its grant requests name (optional)
    session_key_env = "CHARTER_SESSION_KEY"   # the variable holding the session key (the default)
    grants = ["trader.json"]             # grant files it may use (relative to this file)
    state_dir = ".charter-mcp"           # grant requests, approved grants, opened orders (default)
    approvals = "127.0.0.1:8765"         # where the principal opens grant requests (port 0: any free one)
    rpc_timeout = 10

    [[chains]]
    chain_id = 31337
    rpc = "http://127.0.0.1:8545"
    oracle = "0x…"                       # settlement oracle for intents opened here to another chain (optional)

    [paid]                               # optional: pay x402 APIs from a hot wallet topped up under a grant
    chain_id = 31337
    token = "0x…"                        # the payment token (EIP-3009, e.g. USDC)
    wallet_key_env = "CHARTER_PAYER_KEY" # the hot wallet's key
    grant = "payer.json"                 # the grant that tops it up: transfer(to=wallet) under a daily cap
    top_up = 1000000                     # raw token units per top-up (at least the price)

Keys are never written in the file: it names the environment variables that
hold them. Every key is checked when the file is read; :class:`InvalidInput`
says in one line which key, where, and what it should be.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from web3 import Web3

from .._core.checks import check_address
from ..exceptions import InvalidInput

SESSION_KEY_ENV = "CHARTER_SESSION_KEY"
DEFAULT_APPROVALS = "127.0.0.1:8765"

TOP_KEYS = ("agent_id", "account", "session_key_env", "grants", "state_dir", "approvals", "rpc_timeout", "chains",
            "paid")
CHAIN_KEYS = ("chain_id", "rpc", "oracle")
PAID_KEYS = ("chain_id", "token", "wallet_key_env", "grant", "top_up")


@dataclasses.dataclass(frozen=True)
class ChainSettings:
    chain_id: int
    rpc: str
    oracle: str | None = None


@dataclasses.dataclass(frozen=True)
class PaidConfig:
    chain_id: int
    token: str
    wallet_key_env: str
    grant: Path
    top_up: int


@dataclasses.dataclass(frozen=True)
class AgentConfig:
    """What ``charter mcp`` serves: one agent, its session key, its grants, its chains."""

    path: Path
    agent_id: int
    chains: tuple[ChainSettings, ...]
    grants: tuple[Path, ...] = ()
    account: str | None = None
    session_key_env: str = SESSION_KEY_ENV
    state_dir: Path = Path(".charter-mcp")
    approvals: tuple[str, int] | None = ("127.0.0.1", 8765)
    rpc_timeout: float = 10.0
    paid: PaidConfig | None = None

    def chain(self, chain_id: int) -> ChainSettings | None:
        return next((c for c in self.chains if c.chain_id == chain_id), None)


def _unknown(key: str, allowed: tuple[str, ...], where: str) -> InvalidInput:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else f" (the keys are {', '.join(allowed)})"
    return InvalidInput(f"{where}: unknown key `{key}`{hint}")


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise _unknown(key, allowed, where)


def _integer(table: dict[str, Any], name: str, where: str, low: int = 0, default: int | None = None) -> int:
    value = table.get(name, default)
    if value is None:
        raise InvalidInput(f"{where}: `{name}` is missing")
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise InvalidInput(f"{where}: `{name}` is an integer ≥ {low}, got {value!r}")
    return value


def _address(value: Any, name: str, where: str) -> str:
    if not isinstance(value, str) or not Web3.is_address(value) or len(value) != 42 or int(value, 16) == 0:
        raise InvalidInput(f"{where}: `{name}` is a non-zero address (0x and 40 hex digits), got {value!r}")
    return str(check_address(value, f"{where}: `{name}`"))


def _variable(table: dict[str, Any], name: str, where: str, default: str | None = None) -> str:
    value = table.get(name, default)
    if not isinstance(value, str) or not value.strip() or value.startswith("0x"):
        raise InvalidInput(
            f"{where}: `{name}` names the environment variable holding the key (never the key itself), "
            f"got {'a key' if isinstance(value, str) and value.startswith('0x') else repr(value)}"
        )
    return value


def _file(base: Path, value: Any, name: str, where: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{where}: `{name}` is a file path, got {value!r}")
    path = Path(value)
    return path if path.is_absolute() else base / path


def _approvals(value: Any, where: str) -> tuple[str, int] | None:
    if value is False or value == "off":
        return None
    if not isinstance(value, str) or value.count(":") != 1:
        raise InvalidInput(
            f"{where}: `approvals` is HOST:PORT (e.g. \"{DEFAULT_APPROVALS}\") or \"off\", got {value!r}")
    host, port = value.split(":")
    if not port.isdigit() or int(port) > 65535 or not host:
        raise InvalidInput(f"{where}: `approvals` is HOST:PORT with a port from 0 to 65535, got {value!r}")
    return host, int(port)


def _chains(data: dict[str, Any], where: str) -> tuple[ChainSettings, ...]:
    tables = data.get("chains")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise InvalidInput(f"{where}: list the chains as [[chains]] tables (chain_id, rpc), got {tables!r}")
    chains: list[ChainSettings] = []
    for i, table in enumerate(tables):
        at = f"{where}: chains[{i}]"
        _check_keys(table, CHAIN_KEYS, at)
        chain_id = _integer(table, "chain_id", at, low=1)
        rpc = table.get("rpc")
        if not isinstance(rpc, str) or not rpc.startswith(("http://", "https://")):
            raise InvalidInput(f"{at}: `rpc` is the chain's JSON-RPC URL (http:// or https://), got {rpc!r}")
        if any(c.chain_id == chain_id for c in chains):
            raise InvalidInput(f"{at}: chain {chain_id} is listed twice")
        oracle = _address(table["oracle"], "oracle", at) if "oracle" in table else None
        chains.append(ChainSettings(chain_id, rpc, oracle))
    return tuple(chains)


def _paid(table: Any, base: Path, where: str, chains: tuple[ChainSettings, ...]) -> PaidConfig:
    at = f"{where}: [paid]"
    if not isinstance(table, dict):
        raise InvalidInput(f"{at} is a table ({', '.join(PAID_KEYS)})")
    _check_keys(table, PAID_KEYS, at)
    chain_id = _integer(table, "chain_id", at, low=1)
    if not any(c.chain_id == chain_id for c in chains):
        raise InvalidInput(f"{at}: chain {chain_id} is not one of the [[chains]]")
    return PaidConfig(
        chain_id=chain_id,
        token=_address(table.get("token"), "token", at),
        wallet_key_env=_variable(table, "wallet_key_env", at, "CHARTER_PAYER_KEY"),
        grant=_file(base, table.get("grant"), "grant", at),
        top_up=_integer(table, "top_up", at, low=1),
    )


def load_agent_config(path: str | Path) -> AgentConfig:
    """The configuration in `path`; :class:`InvalidInput` for the first problem found."""
    file = Path(path)
    where = str(file)
    try:
        with open(file, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise InvalidInput(f"configuration file {file} does not exist") from None
    except IsADirectoryError:
        raise InvalidInput(f"configuration file {file} is a directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"configuration file {file} is not valid TOML: {exc}") from None
    _check_keys(data, TOP_KEYS, where)
    base = file.resolve().parent
    chains = _chains(data, where)
    grants = data.get("grants", [])
    if not isinstance(grants, list):
        raise InvalidInput(f"{where}: `grants` is a list of grant files, got {grants!r}")
    timeout = data.get("rpc_timeout", 10)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not math.isfinite(timeout) \
            or not 0 < timeout <= 600:
        raise InvalidInput(f"{where}: `rpc_timeout` is a number of seconds, above 0 and at most 600, got {timeout!r}")
    return AgentConfig(
        path=file,
        agent_id=_integer(data, "agent_id", where, low=1),
        chains=chains,
        grants=tuple(_file(base, g, "grants", where) for g in grants),
        account=_address(data["account"], "account", where) if "account" in data else None,
        session_key_env=_variable(data, "session_key_env", where, SESSION_KEY_ENV),
        state_dir=_file(base, data.get("state_dir", ".charter-mcp"), "state_dir", where),
        approvals=_approvals(data.get("approvals", DEFAULT_APPROVALS), where),
        rpc_timeout=float(timeout),
        paid=_paid(data["paid"], base, where, chains) if "paid" in data else None,
    )


def render_agent_config(
    agent_id: int,
    chains: Sequence[ChainSettings],
    *,
    grants: Sequence[str | Path] = (),
    account: str | None = None,
    state_dir: str | Path | None = None,
    approvals: str = DEFAULT_APPROVALS,
    paid: PaidConfig | None = None,
) -> str:
    """A configuration file's text (what :func:`load_agent_config` reads), e.g. for a script that sets
    up ``charter mcp``: relative paths are read from the file's folder, keys stay in the environment."""
    lines = [f"agent_id = {agent_id}"]
    if account is not None:
        lines.append(f'account = "{account}"')
    lines.append(f"grants = {json.dumps([str(g) for g in grants])}")
    if state_dir is not None:
        lines.append(f"state_dir = {json.dumps(str(state_dir))}")
    lines.append(f'approvals = "{approvals}"')
    for chain in chains:
        lines += ["[[chains]]", f"chain_id = {chain.chain_id}", f'rpc = "{chain.rpc}"']
        if chain.oracle is not None:
            lines.append(f'oracle = "{chain.oracle}"')
    if paid is not None:
        lines += ["[paid]", f"chain_id = {paid.chain_id}", f'token = "{paid.token}"',
                  f'wallet_key_env = "{paid.wallet_key_env}"', f"grant = {json.dumps(str(paid.grant))}",
                  f"top_up = {paid.top_up}"]
    return "\n".join(lines) + "\n"

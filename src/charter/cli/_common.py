"""What every command group of the CLI shares: the global options' state, output, errors.

Private to :mod:`charter.cli`.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from web3 import Web3

from .._core.checks import check_address
from .._core.deployments import MANIFEST_ENV, Manifest
from .._core.revert import node_unreachable
from .._core.signers import LocalSigner, NodeSigner, Signer
from .._core.tx import TxResult
from ..client import Charter
from ..exceptions import CharterError, InvalidInput, MissingSigner

RPC_ENV = "CHARTER_RPC"
KEY_ENV = "CHARTER_PRIVATE_KEY"
WALLET_KEY_ENV = "CHARTER_WALLET_KEY"
DEFAULT_RPC = "http://127.0.0.1:8545"


# ---------------------------------------------------------------- state


def key_from_env(variable: str, missing: str) -> LocalSigner:
    """The signer whose private key is in ``$variable``; `missing` is the error when it is unset."""
    key = os.environ.get(variable, "").strip()
    if not key:
        raise MissingSigner(missing)
    try:
        return LocalSigner.from_key(key)
    except Exception:  # noqa: BLE001 - never echo the key or its parse error
        raise InvalidInput(
            f"${variable} is not a valid private key (expected 32 bytes as 64 hex digits, optionally 0x-prefixed)"
        ) from None


@dataclass
class State:
    """Global options, and the connection made from them on first use."""

    rpc: str
    manifest_path: str | None
    as_json: bool
    unlocked: str | None
    _w3: Web3 | None = field(default=None, repr=False)

    @property
    def w3(self) -> Web3:
        if self._w3 is None:
            if not self.rpc.startswith(("http://", "https://")):
                raise InvalidInput(
                    f"--rpc {self.rpc!r} is not an http(s) URL; pass e.g. {DEFAULT_RPC}"
                )
            w3 = Web3(Web3.HTTPProvider(self.rpc, request_kwargs={"timeout": 30}))
            if not w3.is_connected():
                raise node_unreachable(self.rpc)
            self._w3 = w3
        return self._w3

    def manifest(self, *, create: bool = False) -> Manifest:
        """The manifest of ``--manifest`` / ``$CHARTER_MANIFEST`` (the packaged one if neither);
        a path that does not exist is an error unless `create` (``charter deploy`` writes it)."""
        return load_manifest(self.manifest_path, create=create)

    def signer(self, action: str) -> Signer:
        """The account that sends transactions: ``--unlocked`` or ``$CHARTER_PRIVATE_KEY``."""
        if self.unlocked is not None:
            return NodeSigner(self.w3, check_address(self.unlocked, "--unlocked"))
        return key_from_env(
            KEY_ENV,
            f"{action} sends a transaction and needs an account: set ${KEY_ENV} to its "
            "private key, or pass --unlocked ADDRESS for an account the node has unlocked",
        )

    def charter(self, action: str | None = None) -> Charter:
        """The suite on the connected chain, sending as the signer if `action` needs one."""
        signer = self.signer(action) if action is not None else None
        return Charter.connect(self.w3, signer=signer, manifest=self.manifest())


def load_manifest(path: str | None, *, create: bool = False, option: str = "--manifest") -> Manifest:
    """:meth:`Manifest.load`, refusing a named path that does not exist (unless `create`)."""
    chosen = path if path is not None else os.environ.get(MANIFEST_ENV)
    if chosen is not None and not create:
        if not Path(chosen).exists():
            raise InvalidInput(
                f"deployment manifest {chosen} does not exist (from {option} / ${MANIFEST_ENV}); "
                "check the path, or leave both unset for the manifest shipped with charter"
            )
        if Path(chosen).is_dir():
            raise InvalidInput(f"deployment manifest {chosen} is a directory, not a JSON file")
    return Manifest.load(chosen)


def get_state(ctx: click.Context) -> State:
    state = ctx.find_object(State)
    assert state is not None
    return state


def wants_json(ctx: click.Context, local: bool) -> bool:
    return local or get_state(ctx).as_json


# ---------------------------------------------------------------- output


def make_console() -> Console:
    # Wide when piped so addresses and hashes are never folded.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def kv_table(title: str, rows: Sequence[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    return table


def display_bytes(value: bytes) -> str:
    """Text if the value is printable UTF-8, else 0x-hex."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + value.hex()
    return text if text.isprintable() else "0x" + value.hex()


def tx_json(action: str, result: TxResult, **extra: Any) -> dict[str, Any]:
    return {"action": action, **result.model_dump(mode="json"), **extra}


def tx_line(message: str, result: TxResult) -> str:
    return (
        f"{message} (tx {result.tx_hash}, block {result.block_number}, "
        f"{result.gas_used:,} gas)"
    )


def parse_metadata_pairs(pairs: Sequence[str], hex_values: bool = False) -> list[tuple[str, bytes]]:
    """``KEY=VALUE`` options as ``(key, bytes)`` pairs (VALUE as UTF-8, or hex)."""
    option = "--meta-hex" if hex_values else "--meta"
    parsed = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInput(f"{option} {pair!r} is not KEY=VALUE")
        parsed.append((key, parse_hex(value, f"{option} {key}") if hex_values else value.encode()))
    return parsed


def parse_hex(value: str, what: str) -> bytes:
    text = value[2:] if value.lower().startswith("0x") else value
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidInput(f"{what}: {value!r} is not hex bytes (e.g. 0x00ff)") from None


# ---------------------------------------------------------------- the group


DEBUG_ENV = "CHARTER_DEBUG"


def one_line_error(exc: BaseException) -> str:
    """What `exc` means for a user, on one line (no traceback, no repeated exception name)."""
    if isinstance(exc, CharterError):
        message = str(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        message = f"{where}: {exc.strerror}" if where else exc.strerror
    elif isinstance(exc, ValueError | TypeError | LookupError):
        message = f"invalid input: {exc}"
    else:
        message = f"unexpected {type(exc).__name__}: {exc} (set ${DEBUG_ENV}=1 for the traceback)"
    return " ".join(message.split()) or type(exc).__name__


class CharterGroup(click.Group):
    """A click group that prints every error as one line ``error: ...`` and exits with 1
    (``$CHARTER_DEBUG=1`` re-raises what is not a CharterError, with its traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except CharterError as exc:
            fail(one_line_error(exc))
        except Exception as exc:  # noqa: BLE001 - no traceback for anything a user can type
            if os.environ.get(DEBUG_ENV):
                raise
            fail(one_line_error(exc))


class DefaultGroup(CharterGroup):
    """A group that runs its `default` command when the first argument names none
    of its commands: ``charter grant --agent 1 ...`` is ``charter grant create --agent 1 ...``."""

    def __init__(self, *args: Any, default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def alias(command: click.Command, name: str) -> click.Command:
    """`command` under another name, hidden from the help (the verbs of earlier releases)."""
    hidden = copy.copy(command)
    hidden.name = name
    hidden.hidden = True
    return hidden


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


def refuse_key_option(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.UsageError(
            f"private keys are never accepted as arguments (they leak into shell history and "
            f"process lists); put the key in ${KEY_ENV}",
            ctx,
        )


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON."
)
"""``--json`` on a command (also accepted before the command, as a global option)."""

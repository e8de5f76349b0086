"""What every command group of the CLI shares: the global options' state, output, errors.

Private to :mod:`charter.cli`.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from web3 import Web3

from .._core.chain import CHAIN_RPC_ENV, chain_rpc_from_env, connect_chain, parse_chain_list
from .._core.checks import check_address, one_line, validation_message
from .._core.deployments import MANIFEST_ENV, Manifest
from .._core.display import jsonable
from .._core.revert import node_unreachable
from .._core.signers import LocalSigner, NodeSigner, Signer
from .._core.tx import TxResult
from ..client import Charter
from ..exceptions import (
    CharterError,
    ContractRevert,
    EffectNotObserved,
    InvalidInput,
    MissingSigner,
    NotConfirmed,
    TransactionFailed,
)
from ..sessions.describe import read_text

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

    def charter_on(self, chain: ChainState, action: str | None = None) -> Charter:
        """The suite on one chain of a ``--chains`` list (:func:`chain_states`), sending as the
        signer (``--unlocked`` is then an account of that chain's node) if `action` needs one."""
        signer: Signer | None = None
        if action is not None:
            if self.unlocked is not None:
                signer = NodeSigner(chain.w3, check_address(self.unlocked, "--unlocked"))
            else:
                signer = self.signer(action)
        return Charter.connect(chain.w3, signer=signer, manifest=self.manifest())

    def rpc_chain_id(self) -> int | None:
        """The chain id of the ``--rpc`` node, or None when it cannot be reached."""
        try:
            return int(self.w3.eth.chain_id)
        except Exception:  # noqa: BLE001 - unreachable or not a node: no chain here
            return None


# ---------------------------------------------------------------- several chains


@dataclass
class ChainState:
    """One chain of a command that acts on several: its id, its node and where its URL came from."""

    chain_id: int
    rpc: str
    source: str
    """``--chains``, ``--rpc`` or ``$CHARTER_RPC_<ID>``: named in errors."""
    w3: Web3


def chain_states(state: State, spec: str, option: str = "--chains") -> list[ChainState]:
    """Every chain of ``--chains ID[=URL],...``, connected and checked, in the order given.

    A chain's RPC URL is the item's URL, else ``$CHARTER_RPC_<ID>``, else ``--rpc`` when
    its node is that chain. Refused (:class:`InvalidInput`, one line) when a chain has no
    RPC, a URL's node is another chain, or :func:`parse_chain_list` refuses the list;
    :class:`NodeUnreachable` when a node does not answer."""
    return [chain_state(state, chain_id, url, option=option) for chain_id, url in parse_chain_list(spec, option)]


def chain_state(state: State, chain_id: int, url: str | None = None, option: str | None = "--chains") -> ChainState:
    """Chain `chain_id`'s node: `url`, else ``$CHARTER_RPC_<ID>``, else ``--rpc`` when it is
    that chain (see :func:`chain_states`; `option` is the list the URL could be given in,
    None when there is none)."""
    from_env = chain_rpc_from_env(chain_id)
    if url is not None:
        source = option or "the URL given"
    elif from_env is not None:
        url, source = from_env
    else:
        here = state.rpc_chain_id()
        if here != chain_id:
            rpc = f" (--rpc {state.rpc} is chain {here})" if here is not None else ""
            where = f", or write {chain_id}=URL in {option}" if option else ""
            variable = CHAIN_RPC_ENV.format(chain_id=chain_id)
            raise InvalidInput(f"chain {chain_id} has no RPC{rpc}: set ${variable} to its node's URL{where}")
        return ChainState(chain_id, state.rpc, "--rpc", state.w3)
    w3 = connect_chain(chain_id, url, source)
    return ChainState(chain_id, url, source, w3)


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
    return local or json_requested(ctx)


def stdin_is_interactive() -> bool:
    """Whether a confirmation can be asked (a terminal on stdin)."""
    return sys.stdin.isatty()


def confirm(question: str, interactive: bool, no_terminal: str, declined: str) -> None:
    """Ask `question` (y/N, on stderr) and return on yes; else :class:`Declined`: `no_terminal`
    when it cannot be asked (`interactive` False: no terminal, and no --yes), `declined` when
    the answer is no (or Ctrl-D)."""
    if not interactive:
        raise Declined(no_terminal)
    try:
        agreed = click.confirm(question, default=False, err=True)
    except click.exceptions.Abort:
        agreed = False
    if not agreed:
        raise Declined(declined)


# ---------------------------------------------------------------- output


def make_console() -> Console:
    # Wide when piped so addresses and hashes are never folded.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def print_json(data: Any) -> None:
    """`data` as JSON on stdout (through :func:`jsonable`)."""
    click.echo(json.dumps(jsonable(data), indent=2))


def write_json_file(path: str, data: Any) -> None:
    """Write `data` (already in the CLI's encoding: checksummed addresses, 0x-hex bytes) to `path`."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(jsonable(data), indent=2) + "\n")


def check_out_path(out: str | None) -> None:
    """Refuse an --out FILE whose folder does not exist or cannot be written, before anything is signed."""
    if out is None:
        return
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise InvalidInput(
            f"cannot write --out {out}: No such file or directory, or not writable ({folder}); "
            "nothing was signed or sent"
        )


def read_text_file(path: str, what: str) -> str:
    """The text of `path`, or one clear error naming `what` it should be."""
    return read_text(path, what)


@contextmanager
def progress(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner with `message` on stderr while a long wait runs (receipts, relaying,
    solving); only on a terminal, so stdout (``--json``) and logs stay clean. Yields a
    function that replaces the message."""
    console = Console(stderr=True, highlight=False)
    if not console.is_terminal:
        yield lambda text: None
        return
    with console.status(message, spinner="dots") as status:
        yield lambda text: status.update(text)


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


def display_uri(uri: str, width: int = 96) -> str:
    """An agent URI for a table or a line: whole if short, else its start and its size
    (an agent card inlined as a ``data:`` URI runs to kilobytes; ``--json`` gives it whole)."""
    if len(uri) <= width:
        return uri
    return f"{uri[: width - 24]}… ({len(uri.encode()):,} bytes)"


def sending(action: str) -> AbstractContextManager[Callable[[str], None]]:
    """:func:`progress` while `action`'s transaction is simulated, sent and confirmed."""
    return progress(f"{action}: sending and waiting for the receipt…")


def tx_json(action: str, result: TxResult, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"action": action, **result.model_dump(mode="python"), **extra}
    return data


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


# ---------------------------------------------------------------- errors and exit codes


DEBUG_ENV = "CHARTER_DEBUG"
JSON_META = "charter.json"
"""``ctx.meta`` key set once ``--json`` was given (globally or on the command)."""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_NOT_CONFIRMED = 4
EXIT_DECLINED = 5
EXIT_INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success: the effect was observed on chain (or the read answered)"),
    (EXIT_ERROR, "error: bad input, a file, the node, a missing key or deployment; nothing was sent"),
    (EXIT_USAGE, "usage error: unknown command or option, missing argument"),
    (EXIT_REFUSED, "refused: a contract rejected the call or the transaction reverted"),
    (EXIT_NOT_CONFIRMED, "not confirmed: sent, but no receipt in time or the receipt lacks the promised effect"),
    (EXIT_DECLINED, "declined: a confirmation was refused or could not be asked (use --yes); nothing was signed"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)
"""The exit codes scripts can rely on (also in the help epilog and docs/cli.md)."""

EXIT_EPILOG = "\b\nExit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES)


class Declined(CharterError):
    """The user did not confirm (or could not be asked to confirm) an action; nothing was done."""


@contextmanager
def chain_part(row: dict[str, Any], codes: list[int]) -> Iterator[None]:
    """One chain's part of a command that acts on several chains: a :class:`CharterError` becomes
    the row's one-line ``error`` and its exit code in `codes`, and the command goes on with the next chain."""
    try:
        yield
    except CharterError as exc:
        row["error"] = " ".join(str(exc).split())
        codes.append(exit_code_for(exc))


def exit_unless_every_chain(rows: Sequence[dict[str, Any]], key: str, codes: Sequence[int], message: str) -> None:
    """Exit non-zero (the first chain's failure code, else "not confirmed") when a row's `key` is false,
    saying `message` with ``{chains}`` replaced by those chains' ids."""
    failed = [str(row["chain_id"]) for row in rows if not row[key]]
    if failed:
        click.echo("error: " + message.format(chains=", ".join(failed)), err=True)
        raise click.exceptions.Exit(codes[0] if codes else EXIT_NOT_CONFIRMED)


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of a failure."""
    if isinstance(exc, Declined):
        return EXIT_DECLINED
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, click.exceptions.UsageError):
        return EXIT_USAGE
    if isinstance(exc, EffectNotObserved | NotConfirmed):
        return EXIT_NOT_CONFIRMED
    if isinstance(exc, ContractRevert | TransactionFailed):
        return EXIT_REFUSED
    return EXIT_ERROR


def error_type(exc: BaseException) -> str:
    """The JSON error object's ``type``: the exception's class name (``UsageError`` for click's)."""
    if isinstance(exc, click.exceptions.UsageError):
        return "UsageError"
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted"
    return type(exc).__name__


def one_line_error(exc: BaseException) -> str:
    """What `exc` means for a user, on one line (no traceback, no repeated exception name)."""
    if isinstance(exc, click.exceptions.UsageError) and exc.ctx is not None:
        message = f"{exc.format_message()} (see: {exc.ctx.command_path} --help)"
    elif isinstance(exc, click.exceptions.ClickException):
        message = exc.format_message()
    elif isinstance(exc, KeyboardInterrupt):
        message = "interrupted"
    elif isinstance(exc, CharterError):
        message = str(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        message = f"{where}: {exc.strerror}" if where else exc.strerror
    elif isinstance(exc, ValueError | TypeError | LookupError):
        message = f"invalid input: {validation_message(exc)}"
    else:
        message = f"unexpected {type(exc).__name__}: {exc} (set ${DEBUG_ENV}=1 for the traceback)"
    return one_line(message) or type(exc).__name__


def json_requested(ctx: click.Context | None) -> bool:
    """Whether ``--json`` was given (global or on the command) in this invocation."""
    if ctx is None:
        return False
    return bool(ctx.meta.get(JSON_META)) or bool(getattr(ctx.find_object(State), "as_json", False))


def report_failure(exc: BaseException, as_json: bool) -> int:
    """Print `exc` as one line ``error: ...`` on stderr (and, with --json, as
    ``{"error": {"type", "message", "exit_code"}}`` on stdout); return its exit code."""
    code = exit_code_for(exc)
    message = one_line_error(exc)
    click.echo(f"error: {message}", err=True)
    if as_json:
        print_json({"error": {"type": error_type(exc), "message": message, "exit_code": code}})
    return code


class CharterGroup(click.Group):
    """A click group that prints every error as one line ``error: ...`` (plus a JSON error
    object on stdout with --json) and exits with its documented code (``$CHARTER_DEBUG=1``
    re-raises what is not a CharterError, with its traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.exceptions.ClickException:
            raise  # reported by CharterCLI.main (one line, and JSON with --json)
        except KeyboardInterrupt as exc:
            raise click.exceptions.Exit(report_failure(exc, json_requested(ctx))) from None
        except CharterError as exc:
            raise click.exceptions.Exit(report_failure(exc, json_requested(ctx))) from None
        except Exception as exc:  # noqa: BLE001 - no traceback for anything a user can type
            if os.environ.get(DEBUG_ENV):
                raise
            raise click.exceptions.Exit(report_failure(exc, json_requested(ctx))) from None


class CharterCLI(CharterGroup):
    """The top-level group: also reports usage errors (parsed before any command runs)
    as a JSON error object when ``--json`` is among the arguments."""

    def main(self, args: Sequence[str] | None = None, *pargs: Any, **kwargs: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in (argv[: argv.index("--")] if "--" in argv else argv)
        standalone = kwargs.pop("standalone_mode", True)
        try:
            # Not standalone: click then returns an Exit's code instead of exiting.
            code = super().main(argv, *pargs, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.exceptions.Abort:
            if not standalone:
                raise
            sys.exit(report_failure(KeyboardInterrupt(), as_json))
        except click.exceptions.ClickException as exc:  # usage errors: one line too, exit 2
            if not standalone:
                raise
            sys.exit(report_failure(exc, as_json))
        if not standalone:
            return code
        sys.exit(code if isinstance(code, int) else EXIT_OK)


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


def refuse_key_option(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.UsageError(
            f"private keys are never accepted as arguments (they leak into shell history and "
            f"process lists); put the key in ${KEY_ENV}",
            ctx,
        )


def _remember_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[JSON_META] = True
    return value


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    callback=_remember_json,
    help="Print machine-readable JSON on stdout (errors too: an {\"error\": ...} object).",
)
"""``--json`` on a command (also accepted before the command, as a global option)."""

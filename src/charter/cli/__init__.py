"""The ``charter`` command line: deploy, register and manage agents and their sessions.

    export CHARTER_RPC=http://127.0.0.1:8545 CHARTER_PRIVATE_KEY=0x…
    charter deploy
    charter register --uri ipfs://…/agent-card.json --meta role=market-maker
    charter agent show 1            # a table; add --json for machines
    charter agent pause 1
    charter account upgrade         # this EOA becomes a Charter account (EIP-7702)
    charter grant --agent 1 --key 0xKey --allow '0xToken:transfer(address to,uint256 amount):to=0xBob' \
        --token-budget 0xToken:100 --valid-for 1h --out grant.json
    charter sessions                # the account's grants, status and budgets left
    charter revoke 0xGrantHash      # or: charter revoke-all

Transactions are sent from the key in ``$CHARTER_PRIVATE_KEY`` (never a
command-line argument: it would end up in shell history and process lists) or
from an account the node has unlocked (``--unlocked ADDRESS``, e.g. anvil's
development accounts). Every failure prints one line ``error: …`` on stderr
and exits with status 1.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from web3 import Web3

from .. import __version__
from .._core.checks import check_address
from .._core.deployments import MANIFEST_ENV, DeployResult, Manifest
from .._core.revert import format_time, node_unreachable, translate
from .._core.signers import LocalSigner, NodeSigner, Signer
from .._core.tx import TxResult
from ..client import Charter
from ..exceptions import CharterError, InvalidInput, MissingSigner
from ..registry.models import AgentInfo
from ..sessions.builder import builder_from_specs

RPC_ENV = "CHARTER_RPC"
KEY_ENV = "CHARTER_PRIVATE_KEY"
DEFAULT_RPC = "http://127.0.0.1:8545"


# ---------------------------------------------------------------- state


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

    def manifest(self) -> Manifest:
        return Manifest.load(self.manifest_path)

    def signer(self, action: str) -> Signer:
        """The account that sends transactions: ``--unlocked`` or ``$CHARTER_PRIVATE_KEY``."""
        if self.unlocked is not None:
            return NodeSigner(self.w3, check_address(self.unlocked, "--unlocked"))
        key = os.environ.get(KEY_ENV, "").strip()
        if not key:
            raise MissingSigner(
                f"{action} sends a transaction and needs an account: set ${KEY_ENV} to its "
                "private key, or pass --unlocked ADDRESS for an account the node has unlocked"
            )
        try:
            return LocalSigner.from_key(key)
        except Exception:  # noqa: BLE001 - never echo the key or its parse error
            raise InvalidInput(
                f"${KEY_ENV} is not a valid private key (expected 32 bytes as 64 hex digits, "
                "optionally 0x-prefixed)"
            ) from None

    def charter(self, action: str | None = None) -> Charter:
        """The suite on the connected chain, sending as the signer if `action` needs one."""
        signer = self.signer(action) if action is not None else None
        return Charter.connect(self.w3, signer=signer, manifest=self.manifest())


def _state(ctx: click.Context) -> State:
    state = ctx.find_object(State)
    assert state is not None
    return state


def _wants_json(ctx: click.Context, local: bool) -> bool:
    return local or _state(ctx).as_json


# ---------------------------------------------------------------- output


def _console() -> Console:
    # Wide when piped so addresses and hashes are never folded.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def _kv_table(title: str, rows: Sequence[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    return table


def _display_bytes(value: bytes) -> str:
    """Text if the value is printable UTF-8, else 0x-hex."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + value.hex()
    return text if text.isprintable() else "0x" + value.hex()


def _agent_json(info: AgentInfo, metadata: dict[str, bytes]) -> dict[str, Any]:
    data = info.model_dump(mode="json")
    data["active"] = info.is_active
    if metadata:
        data["metadata"] = {k: "0x" + v.hex() for k, v in metadata.items()}
    return data


def _agent_table(info: AgentInfo, metadata: dict[str, bytes]) -> Table:
    if info.wallet is None:
        wallet = "-"
    elif info.wallet_verified:
        wallet = f"{info.wallet} (proved)"
    else:
        wallet = f"{info.wallet} (owner default, not proved)"
    rows = [
        ("agent", str(info.agent_id)),
        ("status", info.status.label),
        ("owner", info.owner),
        ("wallet", wallet),
        ("uri", info.uri or "-"),
        ("chain", str(info.chain_id)),
        ("registry", info.registry),
        ("block", str(info.block)),
    ]
    rows += [(f"meta {key}", _display_bytes(value) or "-") for key, value in metadata.items()]
    return _kv_table(f"Agent {info.agent_id}", rows)


def _tx_json(action: str, result: TxResult, **extra: Any) -> dict[str, Any]:
    return {"action": action, **result.model_dump(mode="json"), **extra}


def _tx_line(message: str, result: TxResult) -> str:
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
        parsed.append((key, _hex(value, f"{option} {key}") if hex_values else value.encode()))
    return parsed


def _hex(value: str, what: str) -> bytes:
    text = value[2:] if value.lower().startswith("0x") else value
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidInput(f"{what}: {value!r} is not hex bytes (e.g. 0x00ff)") from None


# ---------------------------------------------------------------- the group


class CharterGroup(click.Group):
    """A click group that prints Charter errors as one line and exits with 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CharterError as exc:
            _fail(str(exc))


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


def _refuse_key_option(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.UsageError(
            f"private keys are never accepted as arguments (they leak into shell history and "
            f"process lists); put the key in ${KEY_ENV}",
            ctx,
        )


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON."
)


@click.group(cls=CharterGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--rpc",
    envvar=RPC_ENV,
    default=DEFAULT_RPC,
    show_default=True,
    metavar="URL",
    help=f"JSON-RPC endpoint (env {RPC_ENV}).",
)
@click.option(
    "--manifest",
    "manifest_path",
    envvar=MANIFEST_ENV,
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help=f"Deployment manifest (env {MANIFEST_ENV}); default: the one shipped with charter.",
)
@json_option
@click.option(
    "--unlocked",
    metavar="ADDRESS",
    help="Send from this account, unlocked in the node (e.g. anvil's dev accounts).",
)
@click.option(
    "--private-key",
    hidden=True,
    expose_value=False,
    callback=_refuse_key_option,
    help=f"Refused: set ${KEY_ENV} instead.",
)
@click.version_option(__version__, prog_name="charter")
@click.pass_context
def cli(
    ctx: click.Context,
    rpc: str,
    manifest_path: str | None,
    as_json: bool,
    unlocked: str | None,
) -> None:
    """Charter: on-chain identity and bounded authority for autonomous agents.

    Transactions are sent from the key in $CHARTER_PRIVATE_KEY, or from
    --unlocked ADDRESS. Reads need no account.
    """
    ctx.obj = State(rpc=rpc, manifest_path=manifest_path, as_json=as_json, unlocked=unlocked)


# ---------------------------------------------------------------- deploy


@cli.command()
@json_option
@click.pass_context
def deploy(ctx: click.Context, as_json: bool) -> None:
    """Deploy the Charter contracts (CREATE2: the same address on every chain).

    Idempotent: contracts already deployed are left alone. The addresses are
    recorded in --manifest / $CHARTER_MANIFEST when one is given.
    """
    state = _state(ctx)
    w3 = state.w3
    signer = state.signer("deploy")
    manifest = state.manifest()
    results: list[DeployResult] = Charter.deploy(w3, signer, manifest=manifest)
    with translate(w3):
        chain_id = int(w3.eth.chain_id)
    if _wants_json(ctx, as_json):
        _print_json(
            {
                "chain_id": chain_id,
                "manifest": str(manifest.path) if manifest.path is not None else None,
                "contracts": [dataclasses.asdict(r) for r in results],
            }
        )
        return
    table = Table(title=f"Charter on chain {chain_id}", title_justify="left")
    for column in ("contract", "address", "status", "transaction", "gas"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            r.name,
            r.address,
            "deployed" if r.deployed else "already deployed",
            r.transaction or "-",
            f"{r.gas_used:,}" if r.gas_used is not None else "-",
        )
    console = _console()
    console.print(table)
    if manifest.path is not None:
        console.print(f"manifest: {manifest.path}")


# ---------------------------------------------------------------- register


@cli.command()
@click.option("--uri", default="", metavar="URI", help="The agent URI (its agent card).")
@click.option(
    "--meta",
    "meta",
    multiple=True,
    metavar="KEY=VALUE",
    help="Initial metadata, VALUE stored as UTF-8 text (repeatable).",
)
@click.option(
    "--meta-hex",
    "meta_hex",
    multiple=True,
    metavar="KEY=0xHEX",
    help="Initial metadata with raw bytes given in hex (repeatable).",
)
@json_option
@click.pass_context
def register(
    ctx: click.Context, uri: str, meta: tuple[str, ...], meta_hex: tuple[str, ...], as_json: bool
) -> None:
    """Register a new agent owned by the sending account."""
    state = _state(ctx)
    metadata = parse_metadata_pairs(meta) + parse_metadata_pairs(meta_hex, hex_values=True)
    charter = state.charter("register")
    result = charter.registry.register_tx(uri, metadata)
    assert charter.signer is not None
    owner = charter.signer.address
    if _wants_json(ctx, as_json):
        _print_json(_tx_json("register", result, owner=owner, uri=uri))
        return
    click.echo(_tx_line(f"registered agent {result.agent_id} owned by {owner}", result))


# ---------------------------------------------------------------- agent


@cli.group(cls=CharterGroup)
def agent() -> None:
    """Show and manage one agent."""


@agent.command()
@click.argument("agent_id", type=int, required=False)
@click.option("--wallet", metavar="ADDRESS", help="Find the agent whose proved wallet this is.")
@click.option(
    "--meta", "keys", multiple=True, metavar="KEY", help="Also show these metadata values."
)
@json_option
@click.pass_context
def show(
    ctx: click.Context,
    agent_id: int | None,
    wallet: str | None,
    keys: tuple[str, ...],
    as_json: bool,
) -> None:
    """Show agent AGENT_ID (or the agent of --wallet)."""
    if (agent_id is None) == (wallet is None):
        raise InvalidInput("give either an AGENT_ID or --wallet ADDRESS (one of them)")
    registry = _state(ctx).charter().registry
    if wallet is not None:
        found = registry.agent_by_wallet(wallet)
        if found is None:
            raise CharterError(
                f"no agent has proved {check_address(wallet, 'wallet')} as its wallet (only "
                "wallets set with a signed proof are indexed, not an owner's default wallet)"
            )
        info = found
    else:
        assert agent_id is not None
        info = registry.agent(agent_id)
    metadata = {key: registry.get_metadata(info.agent_id, key) for key in keys}
    if _wants_json(ctx, as_json):
        _print_json(_agent_json(info, metadata))
    else:
        _console().print(_agent_table(info, metadata))


def _lifecycle(verb: str, past: str, doc: str) -> click.Command:
    @click.argument("agent_id", type=int)
    @json_option
    @click.pass_context
    def command(ctx: click.Context, agent_id: int, as_json: bool) -> None:
        registry = _state(ctx).charter(verb).registry
        result = getattr(registry, verb)(agent_id)
        status = registry.status(agent_id)
        if _wants_json(ctx, as_json):
            _print_json(_tx_json(verb, result, status=status.name))
        else:
            click.echo(_tx_line(f"agent {agent_id} {past}, now {status.label}", result))

    command.__doc__ = doc
    return agent.command(name=verb)(command)


_lifecycle("pause", "paused", "Pause agent AGENT_ID: every Charter contract stops honouring it.")
_lifecycle("resume", "resumed", "Resume paused agent AGENT_ID.")
_lifecycle("retire", "retired", "Retire agent AGENT_ID for good (final, cannot be undone).")


@agent.command("set-uri")
@click.argument("agent_id", type=int)
@click.argument("uri")
@json_option
@click.pass_context
def set_uri(ctx: click.Context, agent_id: int, uri: str, as_json: bool) -> None:
    """Set the URI (agent card) of agent AGENT_ID."""
    result = _state(ctx).charter("set-uri").registry.set_uri(agent_id, uri)
    if _wants_json(ctx, as_json):
        _print_json(_tx_json("set-uri", result, uri=uri))
    else:
        click.echo(_tx_line(f"agent {agent_id} URI set to {uri!r}", result))


@agent.command("set-metadata")
@click.argument("agent_id", type=int)
@click.argument("key")
@click.argument("value")
@click.option("--hex", "is_hex", is_flag=True, help="VALUE is raw bytes in hex (0x…).")
@json_option
@click.pass_context
def set_metadata(
    ctx: click.Context, agent_id: int, key: str, value: str, is_hex: bool, as_json: bool
) -> None:
    """Set metadata KEY of agent AGENT_ID to VALUE (UTF-8 text, or hex with --hex)."""
    data = _hex(value, "VALUE") if is_hex else value.encode()
    result = _state(ctx).charter("set-metadata").registry.set_metadata(agent_id, key, data)
    if _wants_json(ctx, as_json):
        _print_json(_tx_json("set-metadata", result, key=key, value="0x" + data.hex()))
    else:
        click.echo(_tx_line(f"agent {agent_id} metadata {key!r} set", result))


@agent.command("get-metadata")
@click.argument("agent_id", type=int)
@click.argument("key")
@json_option
@click.pass_context
def get_metadata(ctx: click.Context, agent_id: int, key: str, as_json: bool) -> None:
    """Print metadata KEY of agent AGENT_ID (text if printable, else hex)."""
    value = _state(ctx).charter().registry.get_metadata(agent_id, key)
    if _wants_json(ctx, as_json):
        _print_json({"agent_id": agent_id, "key": key, "value": "0x" + value.hex()})
    else:
        click.echo(_display_bytes(value))


# ---------------------------------------------------------------- sessions


@cli.command()
@click.option("--account", metavar="ADDRESS", help="The account granting (default: the sender, an EIP-7702 account).")
@click.option("--agent", "agent_id", type=int, required=True, help="The agent the session key acts for.")
@click.option("--key", "session_key", required=True, metavar="ADDRESS", help="The agent's session key (address).")
@click.option(
    "--allow", "allows", multiple=True, required=True, metavar="TARGET[:SIG[:CONDITIONS]]",
    help="An allowed call (repeatable), e.g. '0xToken:transfer(address to,uint256 amount):to=0xBob|0xCarol,amount<=100'. "
    "Conditions: NAME=V (V1|V2 for one of), NAME!=V, NAME<=V, NAME>=V, value<=WEI. No SIG: plain ETH sends.",
)
@click.option("--token-budget", "budgets", multiple=True, metavar="TOKEN:CAP[/PERIOD]", help="Token cap, optionally refilled every PERIOD (e.g. 0xToken:100/1d).")
@click.option("--native-budget", type=int, default=0, metavar="WEI", help="Total wei the session may send.")
@click.option("--max-calls", type=int, default=0, metavar="N", help="At most N calls in total.")
@click.option("--min-interval", default=None, metavar="DURATION", help="At least this long between calls (e.g. 10m).")
@click.option("--valid-for", required=True, metavar="DURATION", help="Validity from now: 3600, 30m, 1h, 7d (mandatory).")
@click.option("--on-chain", is_flag=True, help="Issue on-chain (a transaction) instead of signing off-chain (free).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), metavar="FILE", help="Write the signed grant (JSON) here for the agent.")
@json_option
@click.pass_context
def grant(
    ctx: click.Context, account: str | None, agent_id: int, session_key: str, allows: tuple[str, ...],
    budgets: tuple[str, ...], native_budget: int, max_calls: int, min_interval: str | None, valid_for: str,
    on_chain: bool, out: str | None, as_json: bool,
) -> None:
    """Grant an agent's session key a scoped, expiring session.

    Signed off-chain by default (no transaction; hand the JSON to the agent,
    it presents it on first use), or issued on-chain with --on-chain. The
    sender is the account's owner (for an EIP-7702 account: the EOA itself).
    """
    charter = _state(ctx).charter("grant")
    assert charter.signer is not None
    sessions = charter.sessions
    builder = builder_from_specs(
        account or charter.signer.address, agent_id, session_key, allows, valid_for, budgets,
        native_budget, max_calls, min_interval,
    )
    signed, tx = sessions.grant(builder, on_chain=on_chain)
    if out is not None:
        signed.save(out)
    if _wants_json(ctx, as_json):
        _print_json({**signed.summary(tx), "file": out})
        return
    click.echo("\n".join(signed.report()))
    if tx is not None:
        click.echo(_tx_line("issued on-chain", tx))
    else:
        click.echo("signed off-chain (no transaction)" + (f"; saved to {out}" if out else "; use --out FILE or --json to keep it"))


@cli.command()
@click.argument("grant_hash")
@click.option("--account", metavar="ADDRESS", help="The grant's account (default: the sender).")
@json_option
@click.pass_context
def revoke(ctx: click.Context, grant_hash: str, account: str | None, as_json: bool) -> None:
    """Revoke grant GRANT_HASH at once (also one never used)."""
    charter = _state(ctx).charter("revoke")
    assert charter.signer is not None
    account = account or charter.signer.address
    result = charter.sessions.revoke(grant_hash, account=account)
    if _wants_json(ctx, as_json):
        _print_json(_tx_json("revoke", result, account=account))
    else:
        click.echo(_tx_line(f"grant {result.grant_hash} of {account} revoked", result))


@cli.command("revoke-all")
@click.option("--account", metavar="ADDRESS", help="The account (default: the sender).")
@json_option
@click.pass_context
def revoke_all(ctx: click.Context, account: str | None, as_json: bool) -> None:
    """Revoke every grant of the account at once, used or not."""
    charter = _state(ctx).charter("revoke-all")
    assert charter.signer is not None
    account = account or charter.signer.address
    result = charter.sessions.revoke_all(account)
    epoch = charter.sessions.epoch_of(account)
    if _wants_json(ctx, as_json):
        _print_json(_tx_json("revoke-all", result, account=account, epoch=epoch))
    else:
        click.echo(_tx_line(f"every grant of {account} revoked (epoch now {epoch})", result))


@cli.command("sessions")
@click.argument("account", required=False)
@click.option("--from-block", type=int, default=0, show_default=True, help="Scan events from this block.")
@json_option
@click.pass_context
def sessions_command(ctx: click.Context, account: str | None, from_block: int, as_json: bool) -> None:
    """List ACCOUNT's grants (default: the sender's) with status, expiry and budgets left."""
    state = _state(ctx)
    if account is None:
        account = state.signer("sessions (without ACCOUNT)").address
    charter = state.charter()
    records = charter.sessions.grants(account, from_block=from_block)
    if _wants_json(ctx, as_json):
        _print_json({"account": check_address(account), "grants": [r.model_dump(mode="json") for r in records]})
        return
    if not records:
        click.echo(f"no grant of {account} was used, issued or revoked on chain (since block {from_block})")
        return
    table = Table(title=f"grants of {check_address(account)}", title_justify="left")
    for column in ("grant", "agent", "session key", "status", "valid until", "calls left", "wei left", "tokens left"):
        table.add_column(column, overflow="fold")
    for r in records:
        st = r.state
        calls = "-" if st is None else ("unlimited" if st.calls_left is None else f"{st.calls_left:,}")
        tokens = "-" if st is None else ", ".join(f"{t.left:,} of {t.token}" for t in st.tokens) or "-"
        table.add_row(
            r.grant_hash, str(r.agent_id or "-"), r.session_key or "-", r.status_label,
            format_time(r.valid_until) if r.valid_until else "-", calls,
            "-" if st is None else f"{st.native_left:,}", tokens,
        )
    _console().print(table)


# ---------------------------------------------------------------- accounts


@cli.group(cls=CharterGroup)
def account() -> None:
    """Charter accounts: deployed per owner, or an EOA upgraded with EIP-7702."""


@account.command("address")
@click.argument("owner")
@click.option("--salt", default="0", show_default=True, help="CREATE2 salt (integer or 0x + 64 hex).")
@json_option
@click.pass_context
def account_address_command(ctx: click.Context, owner: str, salt: str, as_json: bool) -> None:
    """Print the deterministic address of OWNER's deployed account."""
    address = _state(ctx).charter().accounts.address_of(owner, salt)
    if _wants_json(ctx, as_json):
        _print_json({"owner": check_address(owner), "salt": salt, "account": address})
    else:
        click.echo(address)


@account.command("deploy")
@click.option("--owner", metavar="ADDRESS", help="The owner (default: the sender).")
@click.option("--salt", default="0", show_default=True, help="CREATE2 salt (integer or 0x + 64 hex).")
@json_option
@click.pass_context
def account_deploy(ctx: click.Context, owner: str | None, salt: str, as_json: bool) -> None:
    """Deploy an account for OWNER (idempotent; anyone may pay)."""
    charter = _state(ctx).charter("account deploy")
    assert charter.signer is not None
    owner = owner or charter.signer.address
    address = charter.accounts.deploy(owner, salt)
    if _wants_json(ctx, as_json):
        _print_json({"owner": check_address(owner), "account": address})
    else:
        click.echo(f"account {address} (owner {check_address(owner)})")


@account.command("upgrade")
@json_option
@click.pass_context
def account_upgrade(ctx: click.Context, as_json: bool) -> None:
    """Turn the sender's EOA ($CHARTER_PRIVATE_KEY) into a Charter account (EIP-7702)."""
    state = _state(ctx)
    signer = state.signer("account upgrade")
    if not isinstance(signer, LocalSigner):
        raise InvalidInput(f"EIP-7702 needs the EOA's own key to sign the authorization: set ${KEY_ENV} (not --unlocked)")
    result = state.charter("account upgrade").accounts.upgrade(signer)
    if _wants_json(ctx, as_json):
        _print_json(_tx_json("account upgrade", result, account=signer.address))
    else:
        click.echo(_tx_line(f"{signer.address} is now a Charter account (EIP-7702)", result))


@account.command("show")
@click.argument("address", required=False)
@json_option
@click.pass_context
def account_show(ctx: click.Context, address: str | None, as_json: bool) -> None:
    """Show ADDRESS (default: the sender) as a Charter account."""
    state = _state(ctx)
    address = address or state.signer("account show (without ADDRESS)").address
    info = state.charter().accounts.info(address)
    if _wants_json(ctx, as_json):
        _print_json(info.model_dump(mode="json"))
        return
    rows = [(k, str(v.value if hasattr(v, "value") else v)) for k, v in info.model_dump().items()]
    _console().print(_kv_table(f"account {info.address}", rows))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="charter")


if __name__ == "__main__":
    main()

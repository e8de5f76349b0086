"""``charter grant ...``: grant an agent's session key a scoped, expiring session, inspect and revoke grants.

``charter grant create`` signs the grant off-chain (free; the agent presents
it on first use), ``charter grant issue`` issues it on-chain (a
transaction). ``charter grant --agent ...`` (no command) is ``grant create``.
``grant show FILE`` decodes a grant file, ``grant status FILE`` reads its state
on chain, ``grant list`` the account's grants, ``grant revoke`` /
``grant revoke-all`` end them (``charter session revoke*`` are the same commands).
``grant create --chains ID[=URL],...`` signs one grant for several chains at
once (a multi-chain grant: one file, one signature, an entry per chain);
``grant revoke FILE --chain ID`` revokes one entry, ``--everywhere`` all.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .._core.chain import CHAIN_RPC_ENV
from .._core.checks import check_address
from .._core.revert import format_time
from ..accounts.models import AccountKind
from ..exceptions import CharterError, InvalidInput
from ..sessions.builder import GrantBuilder, builder_from_specs
from ..sessions.client import NotYetACharterAccountWarning
from ..sessions.describe import (
    TokenLookup,
    grant_summary,
    load_grant,
    load_grant_file,
    save_grant,
    signatures_for,
    spec_signature,
    unbounded_reasons,
)
from ..sessions.grant_requests import read_request, send_answer
from ..sessions.models import GUARDED, GrantState, GrantStatus, MultiChainGrant, SignatureCheck, SignedGrant
from ..sessions.multichain import prepare_on_chains, sign_multi_chain
from ..sessions.revocations import SignedRevocation, sign_revoke_all
from ._common import (
    EXIT_NOT_CONFIRMED,
    ChainState,
    Declined,
    DefaultGroup,
    chain_part,
    chain_state,
    chain_states,
    check_out_path,
    exit_unless_every_chain,
    get_state,
    json_option,
    key_from_env,
    kv_table,
    make_console,
    print_json,
    sending,
    stdin_is_interactive,
    tx_json,
    tx_line,
    wants_json,
)


@click.group(cls=DefaultGroup, default="create")
def grant() -> None:
    """Grants: create (off-chain) or issue (on-chain), show and status of a grant file, list, revoke, revoke-all.

    Without a command, the options are those of "grant create".
    """


def _grant_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say what the grant allows, and where it goes (shared by create and issue)."""
    for option in reversed([_ACCOUNT_OPTION, *_SPEC_OPTIONS, *_SIGN_OPTIONS]):
        command = option(command)
    return command


def _grant_spec_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say what the grant allows, but the account (shared by create, issue and request)."""
    for option in reversed(_SPEC_OPTIONS):
        command = option(command)
    return command


_ACCOUNT_OPTION = click.option(
    "--account", metavar="ADDRESS", help="The account granting (default: the sender, an EIP-7702 account)."
)

_SPEC_OPTIONS = [
    click.option("--agent", "agent_id", type=int, required=True, help="The agent the session key acts for."),
    click.option("--key", "session_key", required=True, metavar="ADDRESS", help="The agent's session key (address)."),
    click.option(
        "--allow",
        "allows",
        multiple=True,
        required=True,
        metavar="TARGET[:SIG[:CONDITIONS]]",
        help="An allowed call (repeatable), e.g. "
        "'0xToken:transfer(address to,uint256 amount):to=0xBob|0xCarol,amount<=100'. "
        "Conditions: NAME=V (V1|V2 for one of), NAME!=V, NAME<=V, NAME>=V, value<=WEI (the most wei per call). "
        "No SIG: plain ETH sends ('0xBob::value<=1000').",
    ),
    click.option(
        "--token-budget",
        "budgets",
        multiple=True,
        metavar="TOKEN:CAP[/PERIOD]",
        help="Token cap, optionally refilled every PERIOD (e.g. 0xToken:100/1d): at most CAP of TOKEN leaves "
        "the account during session executions, by any path.",
    ),
    click.option(
        "--guard",
        "guards",
        multiple=True,
        metavar="TOKEN",
        help="TOKEN may not leave the account during a session execution at all (repeatable; "
        "budgets and guards together: at most 4 tokens).",
    ),
    click.option(
        "--watch",
        "watches",
        multiple=True,
        metavar="TOKEN",
        help="Also check TOKEN for standing allowances (repeatable): the grant is refused when an allowed "
        "target holds an allowance from the account over a token the grant neither budgets nor guards.",
    ),
    click.option("--native-budget", type=int, default=0, metavar="WEI", help="Total wei the session may send."),
    click.option("--max-calls", type=int, default=0, metavar="N", help="At most N calls in total."),
    click.option(
        "--min-interval", default=None, metavar="DURATION", help="At least this long between calls (e.g. 10m)."
    ),
    click.option(
        "--force-execute-like",
        is_flag=True,
        help="Allow execute-like functions (multicall, aggregate, executeCall, a router's execute...): "
        "the session gets whatever that contract does for the account.",
    ),
    click.option(
        "--valid-for", required=True, metavar="DURATION", help="Validity from now: 3600, 30m, 1h, 7d (mandatory)."
    ),
    click.option(
        "--agent-consent",
        metavar="SIG",
        help="The agent owner's or wallet's signature of the grant (0x-hex), when its consent is not implied.",
    ),
    click.option(
        "--agent-key-env",
        metavar="VAR",
        help="Consent for the agent here: VAR is an environment variable holding its owner's or wallet's key.",
    ),
]

_SIGN_OPTIONS = [
    click.option(
        "--out",
        type=click.Path(dir_okay=False, writable=True),
        metavar="FILE",
        help="Write the signed grant (JSON) here for the agent.",
    ),
    click.option(
        "--yes",
        "-y",
        "assume_yes",
        is_flag=True,
        help="Sign an unbounded grant (a token function with no token budget and no call limit) without asking.",
    ),
]


def _run(
    ctx: click.Context, account: str | None, agent_id: int, session_key: str, allows: tuple[str, ...],
    budgets: tuple[str, ...], native_budget: int, max_calls: int, min_interval: str | None, valid_for: str,
    on_chain: bool, out: str | None, as_json: bool, agent_consent: str | None = None,
    agent_key_env: str | None = None, assume_yes: bool = False, guards: tuple[str, ...] = (),
    watches: tuple[str, ...] = (), **extra: Any,
) -> None:
    check_out_path(out)
    chains: str | None = extra.get("chains")
    if chains is not None:
        if on_chain:
            raise InvalidInput(
                "--chains signs one grant for several chains off-chain (each entry is activated on its first use); "
                "--on-chain issues a grant on one chain: drop one of them"
            )
        targets = chain_states(get_state(ctx), chains)
        if len(targets) < 2:
            raise InvalidInput(
                f"--chains names {len(targets)} chain; a multi-chain grant needs 2 to 16 (for one chain, drop --chains "
                "and point --rpc at it)"
            )
    charter = get_state(ctx).charter_on(targets[0], "grant") if chains is not None else get_state(ctx).charter("grant")
    assert charter.signer is not None
    sessions = charter.sessions
    builder = builder_from_specs(
        account or charter.signer.address, agent_id, session_key, allows, valid_for, budgets,
        native_budget, max_calls, min_interval, allow_execute_like=bool(extra.get("force_execute_like")),
        guards=guards,
    )
    consent = _consent_option(agent_consent, agent_key_env)
    if chains is not None:
        _run_multi(ctx, targets, builder, allows, watches, consent, assume_yes, out, as_json)
        return
    prepared = sessions.prepare(builder)
    sessions.check_allowances(prepared, watches)  # before any question: a standing allowance is a refusal
    typed = [spec_signature(spec) for spec in allows]
    tokens = TokenLookup(charter.w3)
    unsigned = SignedGrant(grant=prepared, chain_id=sessions.chain_id, manager=sessions.address)
    signatures = signatures_for(prepared, typed)
    _, preview = grant_summary(unsigned, signatures, tokens)
    _confirm_bounds(unsigned, preview, assume_yes, on_chain)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NotYetACharterAccountWarning)
        if on_chain:
            with sending("grant issue"):
                signed, tx = sessions.issue(prepared, agent_consent=consent, watch=watches)
        else:
            signed, tx = sessions.sign(prepared, agent_consent=consent, watch=watches), None
    for warning in caught:  # one line each, like errors
        if issubclass(warning.category, NotYetACharterAccountWarning):
            click.echo("warning: " + " ".join(str(warning.message).split()), err=True)
    if out is not None:
        save_grant(out, signed, signatures)
    summary, lines = grant_summary(signed, signatures, tokens)
    if wants_json(ctx, as_json):
        print_json({**signed.summary(tx), "summary": summary, "file": out})
        return
    click.echo("\n".join(lines))
    if tx is not None:
        click.echo(tx_line("issued on-chain", tx))
    else:
        click.echo(
            "signed off-chain (no transaction)"
            + (f"; saved to {out}" if out else "; use --out FILE or --json to keep it")
        )


def _consent_option(agent_consent: str | None, agent_key_env: str | None) -> Any:
    """The agent's consent as --agent-consent SIG or --agent-key-env VAR give it (a signature, a signer, or None)."""
    if agent_key_env is not None:
        return key_from_env(agent_key_env, f"--agent-key-env {agent_key_env}: that environment variable is not set")
    return agent_consent


def _run_multi(
    ctx: click.Context, targets: list[ChainState], builder: GrantBuilder, allows: tuple[str, ...],
    watches: tuple[str, ...], consent: Any, assume_yes: bool, out: str | None, as_json: bool,
) -> None:
    """``grant create --chains``: the same grant prepared on each chain, signed once."""
    state = get_state(ctx)
    pairs = prepare_on_chains(builder, [state.charter_on(chain, "grant").sessions for chain in targets])
    for sessions, prepared in pairs:
        sessions.check_allowances(prepared, watches)  # before any question: a standing allowance is a refusal
    typed = [spec_signature(spec) for spec in allows]
    signatures = signatures_for(pairs[0][1], typed)
    first = SignedGrant(grant=pairs[0][1], chain_id=pairs[0][0].chain_id, manager=pairs[0][0].address)
    _, preview = grant_summary(first, signatures, TokenLookup(pairs[0][0].w3))
    _confirm_bounds(first, preview, assume_yes, False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NotYetACharterAccountWarning)
        multi = sign_multi_chain(pairs, agent_consent=consent, watch=watches)
    for warning in caught:
        if issubclass(warning.category, NotYetACharterAccountWarning):
            click.echo("warning: " + " ".join(str(warning.message).split()), err=True)
    if out is not None:
        save_grant(out, multi, signatures)
    entries = []
    lines = [multi.report()[0]]
    for (sessions, _), chain in zip(pairs, targets, strict=True):
        entry = multi.entry(sessions.chain_id)
        summary, described = grant_summary(entry, signatures_for(entry.grant, typed), TokenLookup(sessions.w3))
        entries.append({"chain_id": chain.chain_id, "rpc": chain.source, "grant_hash": entry.hash, "summary": summary})
        lines += [f"chain {chain.chain_id} (RPC from {chain.source}):", *("  " + line for line in described)]
    if wants_json(ctx, as_json):
        print_json({**multi.summary(), "summary": entries, "file": out})
        return
    click.echo("\n".join(lines))
    click.echo(
        f"signed once off-chain for chains {', '.join(map(str, multi.chain_ids))} (no transaction; each entry is "
        "activated on its first use)" + (f"; saved to {out}" if out else "; use --out FILE or --json to keep it")
    )


def _confirm_bounds(grant: SignedGrant, preview: list[str], assume_yes: bool, on_chain: bool) -> None:
    """An unbounded grant is signed only with --yes or the principal's answer at a terminal."""
    reasons = unbounded_reasons(grant.grant)
    if not reasons or assume_yes:
        return
    what = "issue" if on_chain else "sign"
    if not stdin_is_interactive():
        raise Declined(
            f"the grant is unbounded ({'; '.join(reasons)}): add --token-budget TOKEN:CAP or --max-calls N, "
            f"or pass --yes to {what} it anyway; nothing was signed or sent"
        )
    click.echo("\n".join(preview), err=True)
    try:
        agreed = click.confirm(
            f"This grant is unbounded: the session key could move every token of the account. {what.capitalize()} it?",
            default=False, err=True,
        )
    except click.exceptions.Abort:
        agreed = False
    if not agreed:
        raise Declined(f"not confirmed: nothing was signed or sent ({'; '.join(reasons)})")


@grant.command("create")
@_grant_options
@click.option("--on-chain", is_flag=True, help="Issue on-chain (a transaction) instead of signing off-chain (free).")
@click.option(
    "--chains",
    metavar="ID[=URL],...",
    help="Sign one grant for several chains (2 to 16) at once: an entry per chain, one signature (EOA and "
    "EIP-7702 accounts). Each chain's RPC: ID=URL, else $CHARTER_RPC_<ID>, else --rpc if it is that chain. "
    "The same options apply on every chain, so the targets and tokens named must have the same addresses "
    "on each (for per-chain addresses, use the SDK's sign_multi_chain).",
)
@json_option
@click.pass_context
def create(ctx: click.Context, /, on_chain: bool, **spec: Any) -> None:
    """Grant an agent's session key a scoped, expiring session.

    Signed off-chain by default (no transaction; hand the JSON to the agent,
    it presents it on first use), or issued on-chain with --on-chain. The
    sender is the account's owner (for an EIP-7702 account: the EOA itself).
    With --chains, one signature covers an entry on each chain (a deployed
    account's owner signs per chain instead).
    """
    _run(ctx, on_chain=on_chain, **spec)


@grant.command("issue")
@_grant_options
@json_option
@click.pass_context
def issue(ctx: click.Context, /, **spec: Any) -> None:
    """Issue a grant on-chain (a transaction from the account's owner).

    The same options as "charter grant create"; the agent then needs no
    signature, only the grant (--out FILE).
    """
    _run(ctx, on_chain=True, **spec)


# ---------------------------------------------------------------- reading grant files


def bound_here(signed: SignedGrant, chain_id: int, manager: str, path: str) -> None:
    if signed.chain_id != chain_id or signed.manager != manager:
        raise InvalidInput(
            f"grant file {path} was made for chain {signed.chain_id} and SessionManager {signed.manager}, "
            f"but the node is chain {chain_id} with SessionManager {manager}; point --rpc at its chain"
        )


def _tokens_for(ctx: click.Context, signed: SignedGrant) -> TokenLookup:
    """Token lookups on the grant's chain when the node is reachable and is that chain, else none."""
    state = get_state(ctx)
    try:
        w3 = state.w3
        if int(w3.eth.chain_id) == signed.chain_id:
            return TokenLookup(w3)
    except CharterError:
        pass
    except Exception:  # noqa: BLE001 - without a node, amounts are shown in raw units
        pass
    return TokenLookup(None)


def _signature_for(ctx: click.Context, signed: SignedGrant) -> SignatureCheck:
    """The grant's signature checked against its chain when --rpc reaches it (ERC-1271, grants
    issued on chain), else offline (the account's own key only)."""
    try:
        sessions = get_state(ctx).charter().sessions
        if sessions.chain_id == signed.chain_id and sessions.address == signed.manager:
            return sessions.check_signature(signed)
    except Exception:  # noqa: BLE001 - without the grant's chain, the signature is checked offline
        pass
    return signed.check_signature()


def signature_line(check: SignatureCheck) -> str:
    """The verdict on a grant's signature, on one line."""
    if check.valid:
        return f"signature: valid: {check.reason}"
    if check.valid is False:
        return f"signature: DOES NOT MATCH: {check.reason}"
    return f"signature: not verified: {check.reason}"


@grant.command("show")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_context
def show(ctx: click.Context, file: str, as_json: bool) -> None:
    """Decode grant FILE: what it allows, with parameter names and token amounts, and whether
    its signature is the account's.

    Needs no node; when --rpc reaches the grant's chain, token amounts are also
    shown with the token's decimals (else in raw units, labelled so) and the
    signature is checked as the SessionManager checks it (offline: only a
    signature by the account's own key can be confirmed).
    """
    signed, signatures = load_grant_file(file)
    if isinstance(signed, MultiChainGrant):
        _show_multi(ctx, file, signed, as_json)
        return
    summary, lines = grant_summary(signed, signatures, _tokens_for(ctx, signed))
    check = _signature_for(ctx, signed)
    if wants_json(ctx, as_json):
        print_json({"file": file, "summary": summary, "signature": check})
    else:
        click.echo("\n".join([*lines, "  " + signature_line(check)]))


def _show_multi(ctx: click.Context, file: str, multi: MultiChainGrant, as_json: bool) -> None:
    """Every entry of a multi-chain grant file, with its state on its chain when an RPC of that
    chain is known ($CHARTER_RPC_<ID>, or --rpc when it is that chain), else "not checked"."""
    state = get_state(ctx)
    names = _typed_names(file)
    entries, lines = [], [multi.report()[0]]
    for entry in multi.signed_entries():
        chain, why = _reach(state, entry.chain_id)
        tokens = TokenLookup(chain.w3 if chain is not None else None)
        summary, described = grant_summary(entry, signatures_for(entry.grant, names), tokens)
        on_chain: GrantState | None = None
        if chain is not None:
            try:
                on_chain = state.charter_on(chain).sessions.state(entry)
            except CharterError as exc:
                why = f"not checked: {exc}"
        label = _status_label(on_chain) if on_chain is not None else why
        entries.append({"chain_id": entry.chain_id, "grant_hash": entry.hash, "state_checked": on_chain is not None,
                        "status": label, "state": _state_json(on_chain) if on_chain is not None else None,
                        "summary": summary})
        lines += [f"chain {entry.chain_id}: {label}", *("  " + line for line in described)]
    check = multi.check_signature()
    if wants_json(ctx, as_json):
        print_json({"file": file, "multi_chain": True, "digest": multi.digest, "account": multi.account,
                    "manager": multi.manager, "entries": entries, "signature": check})
    else:
        click.echo("\n".join([*lines, signature_line(check)]))


def _typed_names(file: str) -> list[str | None]:
    """The typed function signatures a grant file carries (for each entry's own permissions)."""
    data = json.loads(Path(file).read_text(encoding="utf-8"))
    typed = data.get("signatures") if isinstance(data, dict) else None
    return [t if isinstance(t, str) else None for t in typed] if isinstance(typed, list) else []


def _reach(state: Any, chain_id: int) -> tuple[ChainState | None, str]:
    """Chain `chain_id`'s node when one is known and answers as that chain, else why not."""
    try:
        return chain_state(state, chain_id), ""
    except CharterError as exc:
        variable = CHAIN_RPC_ENV.format(chain_id=chain_id)
        if not os.environ.get(variable, "").strip():
            return None, f"not checked (no RPC for chain {chain_id}: set ${variable})"
        return None, f"not checked ({exc})"


def _status_label(state: GrantState) -> str:
    return state.status.label + (f", but {state.problem}" if state.problem else "")


def _state_json(state: GrantState) -> dict[str, Any]:
    data: dict[str, Any] = {**state.model_dump(mode="python"), "grant_hash": "0x" + state.grant_hash.removeprefix("0x")}
    data["usable"] = state.usable
    data["status_label"] = state.status.label
    return data


@grant.command("status")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_context
def status(ctx: click.Context, file: str, as_json: bool) -> None:
    """Grant FILE as the SessionManager sees it now: status, calls and budgets left, relay nonce,
    and whether its signature is the account's (a grant changed after signing is never usable).

    Exits 0 once the state is read, whatever it is: scripts read
    state.usable / state.status / state.signature from --json. For a multi-chain
    grant file, the entry of the --rpc chain ("grant show" lists them all).
    """
    charter = get_state(ctx).charter()
    sessions = charter.sessions
    signed, signatures = load_grant(file, sessions.chain_id)
    bound_here(signed, sessions.chain_id, sessions.address, file)
    tokens = TokenLookup(charter.w3)
    summary, lines = grant_summary(signed, signatures, tokens)
    state = sessions.state(signed)
    if wants_json(ctx, as_json):
        print_json({"file": file, "summary": summary, "state": _state_json(state)})
        return
    click.echo("\n".join(lines + (["  " + signature_line(state.signature)] if state.signature else [])))
    label = _status_label(state)
    rows = [
        ("grant", f"0x{signed.hash.hex()}"),
        ("status", label),
        ("usable", "yes" if state.usable else "no"),
        ("calls", f"{state.calls_used:,} used, "
         + ("no limit" if state.calls_left is None else f"{state.calls_left:,} left")),
        ("wei", f"{state.native_spent:,} spent, {state.native_left:,} left"),
        *((f"token {t.token}", GUARDED if t.guarded else f"{tokens(t.token).display(t.left)} left")
          for t in state.tokens),
        ("last call", format_time(state.last_call) if state.last_call else "-"),
        ("relay nonce", str(state.nonce)),
        ("block", str(state.block)),
    ]
    make_console().print(kv_table("state on chain", rows))


# ---------------------------------------------------------------- an account's grants and revocation


@grant.command("list")
@click.argument("account", required=False)
@click.option("--from-block", type=click.IntRange(min=0), default=0, show_default=True, metavar="BLOCK",
              help="Scan events from this block.")
@json_option
@click.pass_context
def list_command(ctx: click.Context, account: str | None, from_block: int, as_json: bool) -> None:
    """List ACCOUNT's grants (default: the sender's) with status, expiry and budgets left."""
    state = get_state(ctx)
    if account is None:
        account = state.signer("grant list (without ACCOUNT)").address
    account = check_address(account, "ACCOUNT")
    charter = state.charter()
    records = charter.sessions.grants(account, from_block=from_block)
    if wants_json(ctx, as_json):
        grants = []
        for r in records:
            data: dict[str, Any] = r.model_dump(mode="python")
            data["status_label"] = r.status_label
            if r.grant is not None:  # a grant is always in the SDK's wire format (as in grant files)
                data["grant"] = json.loads(r.grant.model_dump_json())
            if r.state is not None:
                data["state"] = _state_json(r.state)
            grants.append(data)
        print_json({"account": account, "grants": grants})
        return
    if not records:
        click.echo(f"no grant of {account} was used, issued or revoked on chain (since block {from_block})")
        return
    tokens = TokenLookup(charter.w3)
    table = Table(title=f"grants of {account}", title_justify="left")
    for column in ("grant", "agent", "session key", "status", "valid until", "calls left", "wei left", "tokens left"):
        table.add_column(column, overflow="fold")
    for r in records:
        st = r.state
        calls = "-" if st is None else ("unlimited" if st.calls_left is None else f"{st.calls_left:,}")
        left = "-" if st is None else ", ".join(
            f"{t.token} guarded" if t.guarded else f"{tokens(t.token).display(t.left)} of {t.token}"
            for t in st.tokens
        )
        table.add_row(
            r.grant_hash, str(r.agent_id or "-"), r.session_key or "-", r.status_label,
            format_time(r.valid_until) if r.valid_until else "-", calls,
            "-" if st is None else f"{st.native_left:,}", left or "-",
        )
    make_console().print(table)


@grant.command()
@click.argument("grant_ref", metavar="GRANT")
@click.option("--account", metavar="ADDRESS", help="The grant's account, for a GRANT_HASH (default: the sender).")
@click.option(
    "--chain", "chain_id", type=click.IntRange(min=1), metavar="ID",
    help="For a multi-chain grant file: revoke the entry of chain ID, on that chain (its RPC: $CHARTER_RPC_<ID>, "
    "or --rpc when it is that chain). The other entries stay in force.",
)
@click.option(
    "--everywhere", is_flag=True,
    help="For a multi-chain grant file: revoke every entry, each on its chain, and report what each chain "
    "shows afterwards (exit 0 only when every chain shows it revoked).",
)
@json_option
@click.pass_context
def revoke(
    ctx: click.Context, grant_ref: str, account: str | None, chain_id: int | None, everywhere: bool, as_json: bool
) -> None:
    """Revoke GRANT at once (also one never used): a grant hash (0x + 64 hex) or a grant file.

    The sender is the account's owner (for an EIP-7702 account: the EOA itself).
    A multi-chain grant file needs --chain ID (one entry) or --everywhere.
    """
    multi = None
    if Path(grant_ref).is_file():
        loaded, _ = load_grant_file(grant_ref)
        multi = loaded if isinstance(loaded, MultiChainGrant) else None
    if multi is None and (chain_id is not None or everywhere):
        raise InvalidInput(
            f"--chain and --everywhere take a multi-chain grant file; {grant_ref} is a grant of one chain (or a hash): "
            "revoke it with --rpc at its chain"
        )
    if multi is not None:
        if account is not None and check_address(account, "--account") != multi.account:
            raise InvalidInput(f"grant file {grant_ref} belongs to account {multi.account}, not --account {account}")
        if everywhere and chain_id is not None:
            raise InvalidInput("give --chain ID (one entry) or --everywhere (every entry), not both")
        if everywhere:
            _revoke_everywhere(ctx, grant_ref, multi, as_json)
            return
        if chain_id is None:
            raise InvalidInput(
                f"grant file {grant_ref} is a multi-chain grant (chains {', '.join(map(str, multi.chain_ids))}): pass "
                "--chain ID to revoke one entry on its chain, or --everywhere to revoke every entry"
            )
        entry = multi.entry(chain_id)
        state = get_state(ctx)
        charter = state.charter_on(chain_state(state, chain_id, option=None), "revoke")
        bound_here(entry, charter.sessions.chain_id, charter.sessions.address, grant_ref)
        with sending("revoke"):
            result = charter.sessions.revoke(entry)
        if wants_json(ctx, as_json):
            print_json(tx_json("revoke", result, account=multi.account, chain_id=chain_id))
        else:
            click.echo(tx_line(f"grant {result.grant_hash} of {multi.account} revoked on chain {chain_id} (its other "
                               "entries stay in force)", result))
        return
    charter = get_state(ctx).charter("revoke")
    assert charter.signer is not None
    sessions = charter.sessions
    if Path(grant_ref).is_file():
        signed, _ = load_grant(grant_ref)
        bound_here(signed, sessions.chain_id, sessions.address, grant_ref)
        if account is not None and check_address(account, "--account") != signed.grant.account:
            raise InvalidInput(
                f"grant file {grant_ref} belongs to account {signed.grant.account}, not --account {account}"
            )
        account = signed.grant.account
        with sending("revoke"):
            result = sessions.revoke(signed)
    else:
        account = check_address(account, "--account") if account is not None else charter.signer.address
        with sending("revoke"):
            result = sessions.revoke(grant_ref, account=account)
    if wants_json(ctx, as_json):
        print_json(tx_json("revoke", result, account=account))
    else:
        click.echo(tx_line(f"grant {result.grant_hash} of {account} revoked", result))


_REVOKED = (GrantStatus.REVOKED, GrantStatus.REVOKED_ALL)


def _revoke_everywhere(ctx: click.Context, file: str, multi: MultiChainGrant, as_json: bool) -> None:
    """Revoke every entry on its chain (those reachable, even when another is not), then read each
    chain's state back: a chain is reported revoked only when it shows the entry revoked."""
    state = get_state(ctx)
    if state.unlocked is None:
        state.signer("grant revoke --everywhere")  # a missing key is one error, not one per chain
    rows: list[dict[str, Any]] = []
    codes: list[int] = []
    for entry in multi.signed_entries():
        row: dict[str, Any] = {"chain_id": entry.chain_id, "grant_hash": entry.hash, "revoked": False,
                               "status": None, "block": None, "transaction": None, "error": None}
        with chain_part(row, codes):
            sessions = state.charter_on(chain_state(state, entry.chain_id, option=None), "revoke").sessions
            bound_here(entry, sessions.chain_id, sessions.address, file)
            if sessions.state(entry).status not in _REVOKED:
                with sending(f"revoke on chain {entry.chain_id}"):
                    row["transaction"] = sessions.revoke(entry)
            after = sessions.state(entry)
            row.update(status=after.status.label, block=after.block, revoked=after.status in _REVOKED)
            if not row["revoked"]:
                row["error"] = f"chain {entry.chain_id} shows the grant {after.status.label} after its revocation"
                codes.append(EXIT_NOT_CONFIRMED)
        rows.append(row)
    if wants_json(ctx, as_json):
        print_json({"action": "revoke-everywhere", "account": multi.account, "digest": multi.digest, "chains": rows,
                    "revoked_everywhere": all(row["revoked"] for row in rows)})
    else:
        click.echo(f"multi-chain grant 0x{multi.digest.hex()} of {multi.account}, as each chain shows it now:")
        for row in rows:
            if row["revoked"]:
                tx = row["transaction"]
                how = f"tx {tx.tx_hash}" if tx is not None else "it was revoked already"
                click.echo(f"  chain {row['chain_id']}: {row['status']} (read at block {row['block']}; {how})")
            else:
                click.echo(f"  chain {row['chain_id']}: NOT REVOKED: {row['error']}")
    exit_unless_every_chain(rows, "revoked", codes, "the grant is not known to be revoked on chain {chains}; fix "
                            "what is said above and run the command again (the chains shown revoked stay revoked)")


@grant.command("revoke-all")
@click.option("--account", metavar="ADDRESS", help="The account (default: the sender).")
@click.option(
    "--everywhere", "chains", metavar="ID[=URL],...",
    help="Revoke on every chain listed (RPCs as for grant create --chains) and report what each chain shows "
    "afterwards. An EOA or EIP-7702 account signs one revocation valid on every chain (RevokeAll), sent to each; "
    "a deployed account's owner sends revokeAll on each chain. Exit 0 only when every chain shows it.",
)
@json_option
@click.pass_context
def revoke_all(ctx: click.Context, account: str | None, chains: str | None, as_json: bool) -> None:
    """Revoke every grant of the account at once, used or not (its epoch moves on)."""
    if chains is not None:
        _revoke_all_everywhere(ctx, account, chains, as_json)
        return
    charter = get_state(ctx).charter("revoke-all")
    assert charter.signer is not None
    account = check_address(account, "--account") if account is not None else charter.signer.address
    with sending("revoke-all"):
        result = charter.sessions.revoke_all(account)
    epoch = charter.sessions.epoch_of(account)
    if wants_json(ctx, as_json):
        print_json(tx_json("revoke-all", result, account=account, epoch=epoch))
    else:
        click.echo(tx_line(f"every grant of {account} revoked (epoch now {epoch})", result))


def _revoke_all_everywhere(ctx: click.Context, account: str | None, spec: str, as_json: bool) -> None:
    """revoke-all on every chain of `spec`; a chain counts as revoked only when it shows it (its epoch moved
    on, or it had applied the same signed revocation already)."""
    state = get_state(ctx)
    chains = chain_states(state, spec, option="--everywhere")
    signer = state.signer("grant revoke-all --everywhere")
    account = check_address(account, "--account") if account is not None else signer.address
    revocation: SignedRevocation | None = None
    rows: list[dict[str, Any]] = []
    codes: list[int] = []
    for chain in chains:
        row: dict[str, Any] = {"chain_id": chain.chain_id, "revoked": False, "how": None, "epoch": None,
                               "block": None, "transaction": None, "error": None}
        with chain_part(row, codes):
            sessions = state.charter_on(chain, "revoke-all").sessions
            before = sessions.epoch_of(account)
            if sessions.accounts.kind(account) is AccountKind.DEPLOYED:
                with sending(f"revoke-all on chain {chain.chain_id}"):
                    row["transaction"] = sessions.revoke_all(account, signer)
                row["how"] = "revokeAll by the account's owner"
            else:
                if signer.address != account:
                    raise InvalidInput(
                        f"{account} signs its own revocations (an EOA or EIP-7702 account): send with its key, "
                        f"not {signer.address}"
                    )
                if revocation is None:
                    revocation = sign_revoke_all(sessions.address, signer)
                with sending(f"revoke-all on chain {chain.chain_id}"):
                    row["transaction"] = sessions.submit_revocation(revocation, signer)
                row["how"] = f"signed revocation (nonce {revocation.nonce})"
            after = sessions.epoch_of(account)
            with_block = int(chain.w3.eth.block_number)
            already = not row["transaction"].sent  # this chain had applied the same signed revocation
            row.update(epoch=after, block=with_block, revoked=after > before or already)
            if not row["revoked"]:
                row["error"] = f"chain {chain.chain_id} still shows epoch {after} for {account}"
                codes.append(EXIT_NOT_CONFIRMED)
        rows.append(row)
    if wants_json(ctx, as_json):
        print_json({"action": "revoke-all-everywhere", "account": account, "chains": rows,
                    "revoked_everywhere": all(row["revoked"] for row in rows),
                    "signed_revocation": json.loads(revocation.to_json()) if revocation is not None else None})
    else:
        click.echo(f"every grant of {account}, as each chain shows it now:")
        for row in rows:
            if row["revoked"]:
                tx = row["transaction"]
                sent = f"tx {tx.tx_hash}" if tx.sent else "applied before"
                click.echo(f"  chain {row['chain_id']}: revoked, epoch now {row['epoch']} (read at block "
                           f"{row['block']}; {row['how']}, {sent})")
            else:
                click.echo(f"  chain {row['chain_id']}: NOT REVOKED: {row['error']}")
    exit_unless_every_chain(rows, "revoked", codes, "not known to be revoked on chain {chains}; fix what is said "
                            "above and run the command again (the chains shown revoked stay revoked)")


# ---------------------------------------------------------------- a grant an agent asked for


@grant.command("approve")
@click.argument("url")
@click.option("--yes", "assume_yes", is_flag=True, help="Sign without asking (the request is still printed).")
@json_option
@click.pass_context
def approve(ctx: click.Context, url: str, assume_yes: bool, as_json: bool) -> None:
    """Review a grant an agent asked for (the URL charter mcp gave) and sign it as the account.

    Prints the requested grant in plain words, with warnings, and the agent's
    reason (its own words). Signs with $CHARTER_PRIVATE_KEY (the account's key,
    or its owner's) only after you confirm (or with --yes), then sends the
    signature back; the agent's server checks it against the chain.
    """
    from ..sessions.models import Grant

    base, record = read_request(url)
    state = get_state(ctx)
    charter = state.charter("grant approve")
    sessions = charter.sessions
    if record.get("chain_id") != sessions.chain_id:
        raise InvalidInput(f"the request is for chain {record.get('chain_id')}, but --rpc serves chain "
                           f"{sessions.chain_id}: point --rpc at the request's chain")
    grant_obj = Grant.model_validate(record["grant"])
    unsigned = SignedGrant(grant=grant_obj, chain_id=sessions.chain_id, manager=sessions.address)
    if "0x" + unsigned.hash.hex() != str(record.get("grant_hash", "")).lower():
        raise InvalidInput("the request's grant does not hash to the grant_hash it shows: refused, nothing signed")
    signatures = record.get("signatures") or []
    _, lines = grant_summary(unsigned, signatures, TokenLookup(charter.w3))
    reasons = unbounded_reasons(grant_obj)
    preview = [f"grant request {record['id']} ({record['status']})", *lines,
               *(f"  WARNING: unbounded: {r}" for r in reasons),
               f"  the agent says: {record.get('reason') or '(no reason given)'}"]
    if record["status"] != "pending":
        raise InvalidInput(f"grant request {record['id']} is {record['status']}: nothing to sign")
    if not wants_json(ctx, as_json):
        click.echo("\n".join(preview), err=True)
    if not assume_yes:
        if not stdin_is_interactive():
            raise Declined("not confirmed: pass --yes to sign it from a script; nothing was signed")
        try:
            agreed = click.confirm("Sign this grant for the agent?", default=False, err=True)
        except click.exceptions.Abort:
            agreed = False
        if not agreed:
            raise Declined("not confirmed: nothing was signed")
    # The requester may carry the agent's consent (charter grant request --agent-key-env): sign checks it.
    signed = sessions.sign(grant_obj, state.signer("grant approve"), agent_consent=record.get("agent_consent") or None)
    try:
        body = send_answer(base, {"signature": "0x" + signed.signature.hex(),
                                  "agent_consent": "0x" + signed.agent_consent.hex()})
    except CharterError as exc:
        raise CharterError(f"signed, but the requester did not take it: {exc}; the grant is not known to be in "
                           "force there: run the command again") from None
    if not body.get("approved"):
        raise CharterError(f"the requester did not approve the signature: {body}")
    if wants_json(ctx, as_json):
        print_json({"approved": True, "grant": body["grant"], "request_id": record["id"]})
    else:
        click.echo(f"signed: grant {body['grant']} is in force for agent {grant_obj.agent_id}")


# ---------------------------------------------------------------- asking the principal for a grant


DEFAULT_CONSOLE = "http://127.0.0.1:8600"
MAX_REASON = 500


def _listen_address(value: str) -> tuple[str, int]:
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise InvalidInput(f"--listen {value!r} is HOST:PORT with a port from 0 (any free one) to 65535, "
                           "e.g. 127.0.0.1:0")
    return host, int(port)


def console_link(console: str, url: str) -> str:
    """The console's approval page for the grant request at `url` (the URL percent-encoded whole)."""
    from urllib.parse import quote

    return f"{console.rstrip('/')}/approve?request={quote(url, safe='')}"


@grant.command("request")
@click.option(
    "--account", required=True, metavar="ADDRESS",
    help="The account asked for the grant: its principal signs it (in the console or with charter grant approve).",
)
@_grant_spec_options
@click.option(
    "--reason", default="", metavar="TEXT",
    help=f"Why the grant is asked for, shown to the principal as the requester's words (at most {MAX_REASON} "
    "characters).",
)
@click.option(
    "--console", "console_url", default=DEFAULT_CONSOLE, show_default=True, metavar="URL",
    help="The principal's console (charter console): the request opens at URL/approve?request=...",
)
@click.option(
    "--listen", default="127.0.0.1:0", show_default=True, metavar="HOST:PORT",
    help="Where the request is served (port 0: any free one).",
)
@click.option(
    "--wait", "wait_seconds", type=click.FloatRange(min=0, min_open=True), default=600, show_default=True,
    metavar="SECONDS", help="How long to wait for the principal's answer.",
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, writable=True), metavar="FILE",
    help="Write the grant here once the principal approves it (the file grant create writes; an issued grant "
    "carries no signature).",
)
@json_option
@click.pass_context
def request(
    ctx: click.Context, account: str, agent_id: int, session_key: str, allows: tuple[str, ...],
    budgets: tuple[str, ...], guards: tuple[str, ...], watches: tuple[str, ...], native_budget: int, max_calls: int,
    min_interval: str | None, force_execute_like: bool, valid_for: str, agent_consent: str | None,
    agent_key_env: str | None, reason: str, console_url: str, listen: str, wait_seconds: float, out: str,
    as_json: bool,
) -> None:
    """Ask the account's principal for a grant, and wait for their signature.

    The same options as "charter grant create", but nothing is signed here
    and no key is needed: the grant is served as a grant request (the
    approvals protocol of charter mcp) on --listen, and the principal signs
    it in the console (the link printed) or with "charter grant approve URL",
    or issues it on chain from the console. The principal may edit it down
    first: a grant within the one asked for (lower caps, fewer calls, an
    earlier end, fewer permissions) is taken, under its own hash, which is
    printed; a wider one is refused. Their answer is taken once the chain
    bears it out (the account's signature, or the grant active on chain); the
    grant then goes to --out. Exit 0 once approved, 5 when the principal
    refuses, 1 when no answer comes within --wait seconds.
    """
    from ..agents.approvals import ApprovalsServer
    from ..agents.requester import OneRequest

    check_out_path(out)
    account = check_address(account, "--account")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"--reason is at most {MAX_REASON} characters (got {len(reason)})")
    if not console_url.startswith(("http://", "https://")):
        raise InvalidInput(f"--console {console_url!r} is not an http(s) URL; e.g. {DEFAULT_CONSOLE}")
    host, port = _listen_address(listen)
    charter = get_state(ctx).charter()  # reads only: the principal signs elsewhere
    sessions = charter.sessions
    builder = builder_from_specs(
        account, agent_id, session_key, allows, valid_for, budgets, native_budget, max_calls, min_interval,
        allow_execute_like=force_execute_like, guards=guards,
    )
    prepared = sessions.prepare(builder)
    sessions.check_allowances(prepared, watches)  # a standing allowance is refused before anyone is asked
    # The agent's consent is settled here (implied, or given and checked): the principal's one signature then
    # puts the grant in force.
    consent = sessions._agent_consent(prepared, _consent_option(agent_consent, agent_key_env))
    if sessions.accounts.kind(account) is None:
        click.echo(f"warning: {account} is not a Charter account on chain {sessions.chain_id} (yet): the grant is "
                   "refused on use until it is one", err=True)
    signatures = signatures_for(prepared, [spec_signature(spec) for spec in allows])
    requester = OneRequest(sessions, prepared, signatures, TokenLookup(charter.w3), reason, consent,
                           on_approved=lambda signed: save_grant(out, signed, signatures_for(signed.grant, signatures)))
    server = ApprovalsServer(requester, host, port)
    record = requester.record
    to_stderr = wants_json(ctx, as_json)  # stdout carries the JSON answer

    def say(line: str) -> None:
        click.echo(line, err=to_stderr)

    try:
        try:
            server.start()
        except CharterError:
            raise InvalidInput(f"could not listen on {host}:{port} (in use?): pass another --listen HOST:PORT; "
                               "nothing was asked") from None
        url = str(requester.url)
        say(f"grant request {record['id']} on chain {sessions.chain_id}, for the principal of {account} to sign:")
        say("\n".join(record["summary"]))
        for warning in record["unbounded"]:
            say(f"  WARNING: unbounded: {warning}")
        say(f"  the requester says: {reason or '(no reason given)'}")
        say(f"request:  {url}")
        say(f"console:  {console_link(console_url, url)}")
        say(f"terminal: charter grant approve {url}")
        say(f"waiting up to {wait_seconds:g} s for the principal's answer (Ctrl-C gives up)...")
        status = requester.wait(wait_seconds)
    finally:
        server.stop()
    if status == "refused":
        raise Declined(f"the principal refused grant request {record['id']}: nothing was signed")
    if status != "approved" or requester.signed is None:
        raise CharterError(f"no answer to grant request {record['id']} within {wait_seconds:g} s: nothing was "
                           "signed (the request is closed; run the command again to ask again)")
    signed = requester.signed
    narrowed = signed.grant != prepared
    if wants_json(ctx, as_json):
        print_json({"approved": True, "request_id": record["id"], "url": url, **signed.summary(), "file": out,
                    "issued_on_chain": requester.issued_tx is not None, "issued_tx": requester.issued_tx,
                    "narrowed": narrowed, "requested_grant_hash": record["grant_hash"]})
    else:
        how = (f"issued on chain by account {account} (tx {requester.issued_tx})" if requester.issued_tx
               else f"signed by account {account}")
        click.echo(f"approved: grant 0x{signed.hash.hex()} {how}; saved to {out}")
        if narrowed:
            click.echo(f"the principal edited the grant down: it is not the grant requested ({record['grant_hash']}), "
                       "but within it:")
            click.echo("\n".join(grant_summary(signed, signatures_for(signed.grant, signatures),
                                               TokenLookup(charter.w3))[1][1:]))


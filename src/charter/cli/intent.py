"""``charter intent ...``: open, sign, status, fill, refund one order; credits and withdrawals.

    charter intent open --input 0xToken:100 --output 0xTokenB:99:0xBob --destination-chain 2 \
        --oracle 0xOracle --out order.json          # escrow on this chain, as the sender
    charter intent status order.json --destination-rpc http://chain-b:8545
    charter --rpc http://chain-b:8545 intent fill order.json --payout 0xMe --filler-agent 9
    charter intent credits --token 0xToken      # escrow paid to the sender that it refused, kept for it
    charter intent withdraw --to 0xElsewhere    # collect it (native value unless --token)

``charter relay`` and ``charter solve`` are in :mod:`charter.cli.processes`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
from web3 import Web3

from .._core.checks import check_address, validation_message
from .._core.revert import format_time, node_unreachable
from .._core.tx import TxResult
from ..client import Charter
from ..exceptions import EffectNotObserved, InvalidInput
from ..intents.client import Intents, fill_origin
from ..intents.models import NATIVE, FillRecord, Input, Order, OrderStatus, Output
from ..sessions.builder import parse_duration
from ..sessions.describe import load_grant
from ._common import (
    CharterGroup,
    check_out_path,
    get_state,
    json_option,
    parse_hex,
    print_json,
    read_text_file,
    sending,
    tx_json,
    tx_line,
    wants_json,
    write_json_file,
)
from .grant import bound_here
from .session import check_session_key, session_key

_ORDER_ID = re.compile(r"^0x[0-9a-fA-F]{64}$")


@click.group(cls=CharterGroup)
def intent() -> None:
    """Intents (ERC-7683): open (or sign gasless) an order, read its status, fill, refund, cancel."""


def _token(text: str, what: str) -> str:
    return NATIVE if text.strip().lower() in ("native", "eth", "0x0") else check_address(text.strip(), what)


def _amount(text: str, what: str) -> int:
    try:
        value = int(text.strip().replace("_", ""), 0)
    except ValueError:
        raise InvalidInput(f"{what}: {text!r} is not an amount (an integer of raw token units)") from None
    if value <= 0:
        raise InvalidInput(f"{what}: an amount must be positive, got {value}")
    return value


def _input(spec: str) -> Input:
    token, sep, amount = spec.rpartition(":")
    if not sep or not token:
        raise InvalidInput(f"--input {spec!r} is not TOKEN:AMOUNT (TOKEN an address or 'native')")
    return Input(token=_token(token, f"--input {spec!r}: the token"), amount=_amount(amount, f"--input {spec!r}"))


def _output(spec: str, chain_id: int) -> Output:
    parts = spec.split(":")
    if len(parts) != 3:
        raise InvalidInput(f"--output {spec!r} is not TOKEN:AMOUNT:RECIPIENT (TOKEN an address or 'native')")
    token, amount, recipient = parts
    return Output(token=_token(token, f"--output {spec!r}: the token"), amount=_amount(amount, f"--output {spec!r}"),
                  recipient=check_address(recipient, f"--output {spec!r}: the recipient"), chain_id=chain_id)


def load_order(path: str, command: str = "intent", *, require_id: bool = False) -> Order:
    """An order file (``charter intent open --out FILE``): the SDK's Order JSON.

    Its ``order_id``, when present, must be the id its fields hash to; with
    `require_id` (a fill pays for the order: it must be the one opened) it must
    be present. An order id given instead of a file is refused saying where the
    order's fields come from (`command` names the command for the message).
    """
    if _ORDER_ID.match(path) and not Path(path).exists():
        raise InvalidInput(
            f"charter {command} needs the order file, not only the order id {path}: it sends the order's fields "
            "(user, inputs, outputs, deadlines), which the chain keeps only in the Open event; use the file "
            "`charter intent open --out FILE` (or `intent sign --out FILE`) wrote, or ask whoever opened the order "
            f"for it (`charter intent status {path}` reads an order by id)"
        )
    text = read_text_file(path, "order file")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"order file {path} is not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("order"), dict):
        data = data["order"]  # the --json output of `intent open`
    try:
        order: Order = Order.model_validate(data)
    except ValueError as exc:
        raise InvalidInput(f"order file {path} is not a Charter order: {validation_message(exc)}") from None
    written = data.get("order_id") if isinstance(data, dict) else None
    if written is None and require_id:
        raise InvalidInput(
            f"order file {path} has no order_id, so nothing shows that its fields are those of the order opened "
            f"(they hash to {order.order_id_hex}); use the file `charter intent open --out FILE` (or "
            "`intent sign --out FILE`) wrote, unedited; nothing was sent"
        )
    if written is not None and str(written).lower() != order.order_id_hex:
        raise InvalidInput(
            f"order file {path} names order_id {written}, but its fields hash to {order.order_id_hex}: "
            "the file was changed after the order was made"
        )
    return order


def _order_json(order: Order) -> dict[str, Any]:
    data: dict[str, Any] = order.model_dump(mode="python")
    return {"order_id": order.order_id, **data}


def _order_options(command: Any) -> Any:
    """What an order is made of (shared by open and sign)."""
    for option in reversed([
        click.option("--input", "inputs", multiple=True, required=True, metavar="TOKEN:AMOUNT",
                     help="Escrowed here (repeatable; TOKEN 'native' for ETH; AMOUNT in raw units)."),
        click.option("--output", "outputs", multiple=True, required=True, metavar="TOKEN:AMOUNT:RECIPIENT",
                     help="Wanted on the destination chain (repeatable; TOKEN on that chain, 'native' for ETH)."),
        click.option("--destination-chain", type=click.IntRange(min=1), metavar="CHAIN_ID",
                     help="The chain the outputs are delivered on (default: this chain, a local order)."),
        click.option("--oracle", metavar="ADDRESS",
                     help="The settlement oracle proving the fill (needed across chains): a contract on this "
                     "chain, refused if the address has no code."),
        click.option("--agent", "agent_id", type=click.IntRange(min=0), metavar="AGENT_ID",
                     help="The agent the order is for (default: none, or the grant's); verified against the registry."),
        click.option("--fill-within", default="10m", show_default=True, metavar="DURATION",
                     help="The fill deadline, from the chain's time."),
        click.option("--exclusive-filler", metavar="ADDRESS", help="Only this filler may fill, for --exclusive-for."),
        click.option("--exclusive-for", metavar="DURATION",
                     help="How long --exclusive-filler has the order to itself."),
        click.option("--out", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                     help="Write the order (JSON) here: status, fill and refund take it."),
    ]):
        command = option(command)
    return command


def _build_order(charter: Charter, user: str, inputs: tuple[str, ...], outputs: tuple[str, ...],
                 destination_chain: int | None, oracle: str | None, agent_id: int | None, fill_within: str,
                 exclusive_filler: str | None, exclusive_for: str | None) -> Order:
    window = parse_duration(fill_within)
    if (exclusive_filler is None) != (exclusive_for is None):
        raise InvalidInput("--exclusive-filler and --exclusive-for go together")
    built_inputs = [_input(i) for i in inputs]
    intents = charter.intents
    chain = destination_chain or intents.chain_id
    now = charter.registry.chain_time() if exclusive_for is not None else None
    return intents.order(
        user=user, agent_id=agent_id or 0, inputs=built_inputs,
        outputs=[_output(o, chain) for o in outputs], destination_chain_id=chain,
        oracle=intents.check_oracle(check_address(oracle, "--oracle")) if oracle else None, fill_within=window,
        exclusive_filler=check_address(exclusive_filler, "--exclusive-filler") if exclusive_filler else None,
        exclusivity_deadline=(now + parse_duration(exclusive_for)) if now is not None and exclusive_for else 0,
        now=now,
    )


def _expect_open(intents: Intents, order: Order, result: TxResult) -> OrderStatus:
    status = intents.origin_status(order.order_id)
    if status != OrderStatus.OPEN:
        raise EffectNotObserved(
            f"transaction {result.tx_hash} was mined but order {order.order_id_hex} is {status.name} on the "
            "settler, not OPEN: it was not opened"
        )
    return status


def _report_open(ctx: click.Context, as_json: bool, order: Order, result: TxResult, status: OrderStatus,
                 out: str | None) -> None:
    if wants_json(ctx, as_json):
        print_json(tx_json("open", result, order_id=order.order_id_hex, status=status, order=_order_json(order),
                           file=out))
        return
    click.echo("\n".join(order.describe()))
    click.echo(tx_line(f"opened, now {status.name}" + (f"; saved to {out}" if out else ""), result))


@intent.command("open")
@_order_options
@click.option("--grant", "grant_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Open as the agent, for the grant's account, under its session (approvals and open as one "
              "batch, within the grant's caps); the session key is read from $CHARTER_SESSION_KEY.")
@click.option("--key-env", metavar="VAR", help="With --grant: the variable holding the session key.")
@json_option
@click.pass_context
def intent_open(ctx: click.Context, inputs: tuple[str, ...], outputs: tuple[str, ...], destination_chain: int | None,
                oracle: str | None, agent_id: int | None, fill_within: str, exclusive_filler: str | None,
                exclusive_for: str | None, out: str | None, grant_file: str | None, key_env: str | None,
                as_json: bool) -> None:
    """Open an order: escrow the inputs here for outputs on the destination chain.

    As the sender by default (its ERC-20 inputs approved where needed), or with
    --grant as an agent for its principal's account: the order's user is the
    grant's account, its agent the grant's agent, and the approvals and the
    open run as one session batch that the grant's token caps bound.
    """
    check_out_path(out)
    if key_env is not None and grant_file is None:
        raise InvalidInput("--key-env goes with --grant (the session key opens for the grant's account)")
    state = get_state(ctx)
    if grant_file is not None:
        key = session_key(key_env)
        charter = state.charter()
        signed, _ = load_grant(grant_file, charter.sessions.chain_id)
        bound_here(signed, charter.sessions.chain_id, charter.sessions.address, grant_file)
        check_session_key(key, signed, key_env)
        if agent_id is not None and agent_id != signed.grant.agent_id:
            raise InvalidInput(f"--agent {agent_id} is not the grant's agent ({signed.grant.agent_id})")
        order = _build_order(charter, signed.grant.account, inputs, outputs, destination_chain, oracle,
                             signed.grant.agent_id, fill_within, exclusive_filler, exclusive_for)
        with sending("intent open"):
            result = charter.sessions.execute_batch(signed, charter.intents.open_calls(order), key=key)
    else:
        charter = state.charter("intent open")
        assert charter.signer is not None
        order = _build_order(charter, charter.signer.address, inputs, outputs, destination_chain, oracle,
                             agent_id, fill_within, exclusive_filler, exclusive_for)
        with sending("intent open"):
            result = charter.intents.open(order)
    status = _expect_open(charter.intents, order, result)
    if out is not None:
        write_json_file(out, _order_json(order))  # order_id first; Order.model_validate ignores it
    _report_open(ctx, as_json, order, result, status, out)


@intent.command("sign")
@_order_options
@json_option
@click.pass_context
def intent_sign(ctx: click.Context, inputs: tuple[str, ...], outputs: tuple[str, ...], destination_chain: int | None,
                oracle: str | None, agent_id: int | None, fill_within: str, exclusive_filler: str | None,
                exclusive_for: str | None, out: str | None, as_json: bool) -> None:
    """Sign a gasless order as the sender (EIP-712, nothing is sent): anyone opens it with open-for.

    Its ERC-20 inputs are pulled from the sender when it is opened, so the
    sender must have approved the settler for them; native inputs cannot be
    gasless. Cancel it before it is opened with: charter intent cancel NONCE.
    """
    check_out_path(out)
    charter = get_state(ctx).charter("intent sign")
    assert charter.signer is not None
    order = _build_order(charter, charter.signer.address, inputs, outputs, destination_chain, oracle, agent_id,
                         fill_within, exclusive_filler, exclusive_for)
    signature = charter.intents.sign(order)
    data = {**_order_json(order), "signature": signature}
    if out is not None:
        write_json_file(out, data)
    if wants_json(ctx, as_json):
        print_json({"order_id": order.order_id, "nonce": order.data.nonce, "signature": signature,
                    "order": data, "file": out})
        return
    click.echo("\n".join(order.describe()))
    click.echo(f"signed gasless order (nonce {order.data.nonce}); nothing was sent"
               + (f"; saved to {out}" if out else "; use --out FILE or --json to keep it"))


@intent.command("open-for")
@click.argument("order_file", metavar="ORDER_FILE", type=click.Path(dir_okay=False))
@json_option
@click.pass_context
def intent_open_for(ctx: click.Context, order_file: str, as_json: bool) -> None:
    """Open the gasless order signed in ORDER_FILE (charter intent sign --out): the sender pays the gas,
    the user's inputs are pulled into escrow."""
    order = load_order(order_file, "intent open-for")
    signature = _signature_of(order_file)
    charter = get_state(ctx).charter("intent open-for")
    with sending("intent open-for"):
        result = charter.intents.open_for(order, signature)
    status = _expect_open(charter.intents, order, result)
    _report_open(ctx, as_json, order, result, status, None)


def _signature_of(path: str) -> bytes:
    data = json.loads(read_text_file(path, "order file"))
    text = data.get("signature") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text:
        raise InvalidInput(f"order file {path} has no signature: sign it with charter intent sign --out FILE")
    return parse_hex(text, f"order file {path}: the signature")


@intent.command("cancel")
@click.argument("nonces", nargs=-1, required=True, type=click.IntRange(min=0), metavar="NONCE...")
@json_option
@click.pass_context
def intent_cancel(ctx: click.Context, nonces: tuple[int, ...], as_json: bool) -> None:
    """Cancel the sender's gasless orders with these nonces before anyone opens them."""
    charter = get_state(ctx).charter("intent cancel")
    assert charter.signer is not None
    user = charter.signer.address
    with sending("intent cancel"):
        result = charter.intents.invalidate_nonces(nonces)
    unused = [n for n in nonces if not charter.intents.nonce_used(user, n)]
    if unused:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but nonces {unused} are still usable")
    if wants_json(ctx, as_json):
        print_json(tx_json("cancel", result, user=user, nonces=list(nonces)))
    else:
        click.echo(tx_line(f"nonces {', '.join(map(str, nonces))} of {user} cancelled", result))


@intent.command("refund")
@click.argument("order_file", metavar="ORDER_FILE", type=click.Path(dir_okay=False))
@click.option("--proof", metavar="0xHEX", default="0x", show_default=True,
              help="The oracle's proof of non-fill (none needed for a local order past its fill deadline, "
              "or for any order past its refund time).")
@json_option
@click.pass_context
def intent_refund(ctx: click.Context, order_file: str, proof: str, as_json: bool) -> None:
    """Return the escrow of the unfilled order in ORDER_FILE to its user (anyone may send)."""
    order = load_order(order_file, "intent refund")
    proof_bytes = parse_hex(proof, "--proof")
    charter = get_state(ctx).charter("intent refund")
    with sending("intent refund"):
        result = charter.intents.refund([(order, proof_bytes)])
    status = charter.intents.origin_status(order.order_id)
    if status != OrderStatus.REFUNDED:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but order {order.order_id_hex} is "
                                f"{status.name}, not REFUNDED")
    credits = charter.intents.outcome(result).credits
    if wants_json(ctx, as_json):
        print_json(tx_json("refund", result, status=status, user=order.user,
                           credited=[{"token": c.token, "amount": c.amount} for c in credits]))
        return
    click.echo(tx_line(f"order {order.order_id_hex} refunded to {order.user}", result))
    for credit in credits:
        what = "native value" if credit.token == NATIVE else f"of token {credit.token}"
        click.echo(f"  {order.user} refused {credit.amount:,} {what}: credited to it; it collects it with "
                   "charter intent withdraw")


def _tokens(tokens: tuple[str, ...]) -> list[str]:
    return [NATIVE if t.lower() == "native" else check_address(t, "--token") for t in tokens] or [NATIVE]


def _token_words(token: str) -> str:
    return "native value" if token == NATIVE else f"token {token}"


@intent.command("credits")
@click.option("--account", metavar="ADDRESS", help="Whose credits (default: the sender).")
@click.option("--token", "tokens", multiple=True, metavar="TOKEN",
              help="A token to read ('native' for native value; repeatable; default: native).")
@click.option("--from-block", type=click.IntRange(min=0), metavar="BLOCK",
              help="Also find every token credited to the account since this block (its Credited events).")
@json_option
@click.pass_context
def intent_credits(ctx: click.Context, account: str | None, tokens: tuple[str, ...], from_block: int | None,
                   as_json: bool) -> None:
    """What the settler holds for an account: payments of escrow (a settlement's payout, a
    refund) that the account refused or could not take, kept for it to withdraw.

    Exits 0 once read, whatever the amounts.
    """
    charter = get_state(ctx).charter()
    if account is None:
        if charter.signer is None:
            raise InvalidInput("name the account with --account (or give a sender key)")
        account = charter.signer.address
    who = check_address(account, "--account")
    wanted = _tokens(tokens)
    if from_block is not None:
        wanted += [c.token for c in charter.intents.credited(who, from_block) if c.token not in wanted]
    amounts = {token: charter.intents.credits(who, token) for token in wanted}
    if wants_json(ctx, as_json):
        print_json({"account": who, "chain_id": charter.intents.chain_id,
                    "credits": [{"token": t, "amount": a} for t, a in amounts.items()]})
        return
    for token, amount in amounts.items():
        click.echo(f"{who} on chain {charter.intents.chain_id}: {amount:,} of {_token_words(token)} credited")


@intent.command("withdraw")
@click.option("--token", default="native", show_default=True, metavar="TOKEN",
              help="The token of the credit ('native' for native value).")
@click.option("--to", "to", metavar="ADDRESS", help="Where to send it (default: the sender).")
@json_option
@click.pass_context
def intent_withdraw(ctx: click.Context, token: str, to: str | None, as_json: bool) -> None:
    """Collect what the settler credited to the sender in one token (payments of escrow it
    refused), to itself or to --to."""
    (token_address,) = _tokens((token,))
    receiver = check_address(to, "--to") if to else None
    charter = get_state(ctx).charter("intent withdraw")
    assert charter.signer is not None
    amount = charter.intents.credits(charter.signer.address, token_address)
    with sending("intent withdraw"):
        result = charter.intents.withdraw(token_address, receiver)
    left = charter.intents.credits(charter.signer.address, token_address)
    if left != 0:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but {left:,} is still credited")
    destination = receiver or charter.signer.address
    if wants_json(ctx, as_json):
        print_json(tx_json("withdraw", result, token=token_address, amount=amount, to=destination))
        return
    click.echo(tx_line(f"withdrew {amount:,} of {_token_words(token_address)} to {destination}", result))


def _settler_at(ctx: click.Context, option: str, url: str, chain_id: int, role: str) -> Intents:
    """The settler on the node at `url` (given as `option`), checked to be chain `chain_id`
    (the order's `role`: origin or destination)."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{option} {url!r} is not an http(s) URL")
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    if not w3.is_connected():
        raise node_unreachable(url)
    settler = Charter.connect(w3, manifest=get_state(ctx).manifest()).intents
    if settler.chain_id != chain_id:
        raise InvalidInput(f"{option} {url} is chain {settler.chain_id}, but the order's {role} is chain {chain_id}")
    return settler


def _destination(ctx: click.Context, url: str | None, order: Order) -> Intents | None:
    """The order's destination settler through `url` (checked to be the destination chain)."""
    if url is None:
        return None
    return _settler_at(ctx, "--destination-rpc", url, order.data.destination_chain_id, "destination")


@intent.command("status")
@click.argument("order_ref", metavar="ORDER")
@click.option("--destination-rpc", metavar="URL",
              help="The destination chain's node: tells FILLED / EXPIRED apart from OPEN (with an order file).")
@json_option
@click.pass_context
def intent_status(ctx: click.Context, order_ref: str, destination_rpc: str | None, as_json: bool) -> None:
    """Where ORDER stands on its origin (the connected chain): an order file or an ORDER_ID (0x + 64 hex).

    UNKNOWN, OPEN, SETTLED or REFUNDED; with an order file, FILLED or EXPIRED
    too when the destination is readable (a local order, or --destination-rpc).
    Exits 0 once read, whatever the status.
    """
    intents = get_state(ctx).charter().intents
    order: Order | None = None
    if Path(order_ref).is_file():
        order = load_order(order_ref)
        order_id = order.order_id
        status = intents.status(order, _destination(ctx, destination_rpc, order))
    else:
        if not _ORDER_ID.match(order_ref):
            raise InvalidInput(f"ORDER {order_ref!r} is neither an order file nor an order id (0x + 64 hex digits)")
        if destination_rpc is not None:
            raise InvalidInput("--destination-rpc needs the order file, not only its id")
        order_id = parse_hex(order_ref, "ORDER")
        status = intents.origin_status(order_id)
    if wants_json(ctx, as_json):
        data: dict[str, Any] = {"order_id": order_id, "chain_id": intents.chain_id, "status": status}
        if order is not None:
            data["fill_deadline"] = order.fill_deadline
            data["refund_after"] = order.data.refund_after
        print_json(data)
        return
    click.echo(f"order 0x{order_id.hex()} on chain {intents.chain_id}: {status.name} ({_status_words(status)})")
    if order is not None:
        click.echo(f"  fill by {format_time(order.fill_deadline)}; refund without proof after "
                   f"{format_time(order.data.refund_after)}")


def _status_words(status: OrderStatus) -> str:
    return {
        OrderStatus.UNKNOWN: "never opened on this settler",
        OrderStatus.OPEN: "in escrow, not filled yet",
        OrderStatus.SETTLED: "filled, proven and paid to the filler",
        OrderStatus.REFUNDED: "not filled; the escrow went back to the user",
        OrderStatus.FILLED: "filled on the destination; waiting for the proof",
        OrderStatus.EXPIRED: "not filled by its deadline; waiting for the refund",
    }[status]


@intent.command("fill")
@click.argument("order_file", metavar="ORDER_FILE", type=click.Path(dir_okay=False))
@click.option("--payout", metavar="ADDRESS", help="Where the escrow goes on the origin (default: the sender).")
@click.option("--filler-agent", type=click.IntRange(min=0), default=0, show_default=True, metavar="AGENT_ID",
              help="The filler's registered agent (0: none).")
@click.option("--origin-rpc", metavar="URL",
              help="A node of the order's origin chain: the fill is refused unless the order is OPEN there "
              "(a local order is read on the connected node).")
@click.option("--skip-origin-check", is_flag=True,
              help="Fill without reading the order on its origin, at your risk: you may deliver outputs for an "
              "order that can never settle (never opened, already settled or refunded).")
@json_option
@click.pass_context
def intent_fill(ctx: click.Context, order_file: str, payout: str | None, filler_agent: int, origin_rpc: str | None,
                skip_origin_check: bool, as_json: bool) -> None:
    """Fill the order in ORDER_FILE on its destination (the connected chain), as the sender:
    approve the ERC-20 outputs where needed, deliver them to the recipients.

    Refused before anything is sent unless the file names its order_id and its
    fields hash to it, the order is OPEN on its origin (--origin-rpc URL; the
    connected node for a local order) and the destination holds no record of it.
    """
    order = load_order(order_file, "intent fill", require_id=True)
    if skip_origin_check and origin_rpc is not None:
        raise InvalidInput("--skip-origin-check and --origin-rpc contradict each other: give one of them")
    charter = get_state(ctx).charter("intent fill")
    assert charter.signer is not None
    payout_address = check_address(payout, "--payout") if payout else charter.signer.address
    intents = charter.intents
    given = _settler_at(ctx, "--origin-rpc", origin_rpc, order.origin_chain_id, "origin") if origin_rpc else None
    origin = fill_origin(order, intents, given, skip_origin_check)
    origin_status = intents.check_fillable(order, origin)
    if origin is None:
        click.echo(
            f"warning: --skip-origin-check: order {order.order_id_hex} was not read on its origin (chain "
            f"{order.origin_chain_id}); you deliver outputs for an order that may never settle", err=True,
        )
    record = FillRecord(payout=payout_address, filler_agent_id=filler_agent)
    with sending("intent fill"):
        result = intents.fill(order, record)
    if wants_json(ctx, as_json):
        print_json(tx_json("fill", result, payout=payout_address, filler_agent_id=filler_agent,
                           record_hash=record.hash, origin_status=origin_status))
        return
    checked = (f"; it was OPEN on its origin, chain {order.origin_chain_id}" if origin_status is not None
               else "; not checked on its origin")
    click.echo(tx_line(f"filled order {order.order_id_hex} (payout {payout_address}{checked})", result))


__all__ = ["intent"]

"""Cross-chain intents (ERC-7683): open an order, follow it, fill it.

    ape run intent open --network ethereum:local:foundry --input 0xToken:100 \
        --output 0xTokenOnB:99 --dest-chain 31338 --oracle 0xOracle --agent 1 --out order.json
    ape run intent status order.json --network ...          # on the origin (or the destination)
    ape run intent fill order.json --network <destination> --origin-rpc <origin node>  # --payout, --filler-agent

``--input TOKEN:AMOUNT`` is escrowed on this chain (``native:AMOUNT`` for
ETH); ``--output TOKEN:AMOUNT[:RECIPIENT]`` is wanted on the destination
chain (recipient: the sender by default). ERC-20 inputs and outputs are
approved to the settler where the allowance is short. ORDER is the JSON file
``open --out`` wrote (needed on another chain), or an order id (0x + 64 hex)
looked up in this chain's ``Open`` events. The sender is --sender ALIAS (test
account 0 on local chains). Thin wrappers over ``charter.Intents``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, network_option
from web3 import Web3

from charter import Charter
from charter.ape_extras import clean_errors, connect, manifest_option, resolve_account, sender_option
from charter.exceptions import InvalidInput
from charter.intents import NATIVE, UNFILLED_RECORD, FillRecord, Input, Intents, Order, OrderStatus, Output
from charter.intents.client import fill_origin
from charter.sessions.builder import parse_duration

_ORDER_ID = re.compile(r"0x[0-9a-fA-F]{64}")


def _token(text: str, spec: str) -> str:
    if text.strip().lower() in ("native", "eth"):
        return NATIVE
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", text.strip()):
        raise InvalidInput(f"{spec!r}: {text!r} is not a token address (0x + 40 hex) or `native`")
    return text.strip()


def _amount(text: str, spec: str) -> int:
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        raise InvalidInput(f"{spec!r}: the amount {text!r} is not an integer") from None
    if value <= 0:
        raise InvalidInput(f"{spec!r}: the amount must be positive")
    return value


def parse_input(spec: str) -> Input:
    """``TOKEN:AMOUNT`` (TOKEN an address or ``native``)."""
    parts = spec.split(":")
    if len(parts) != 2:
        raise InvalidInput(f"--input {spec!r}: write TOKEN:AMOUNT (TOKEN an address or `native`)")
    return Input(token=_token(parts[0], spec), amount=_amount(parts[1], spec))


def parse_output(spec: str, chain_id: int, default_recipient: str) -> Output:
    """``TOKEN:AMOUNT[:RECIPIENT]`` on chain `chain_id`."""
    parts = spec.split(":")
    if len(parts) not in (2, 3):
        raise InvalidInput(f"--output {spec!r}: write TOKEN:AMOUNT[:RECIPIENT] (TOKEN an address or `native`)")
    recipient = parts[2].strip() if len(parts) == 3 else default_recipient
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", recipient):
        raise InvalidInput(f"--output {spec!r}: the recipient {recipient!r} is not an address")
    return Output(token=_token(parts[0], spec), amount=_amount(parts[1], spec), recipient=recipient,
                  chain_id=chain_id)


def order_json(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id_hex,
        "origin_chain_id": order.origin_chain_id,
        "destination_chain_id": order.data.destination_chain_id,
        "user": order.user,
        "origin_data": "0x" + order.origin_data.hex(),
    }


def load_order(text: str, intents: Intents) -> Order:
    """The order in the JSON file `text`, or the order with id `text` opened on this chain."""
    path = Path(text)
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            return Order.from_origin_data(bytes.fromhex(str(data["origin_data"]).removeprefix("0x")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{text} is not an order file written by `ape run intent open --out` ({exc})") from None
    if _ORDER_ID.fullmatch(text):
        for opened in intents.opened(0):
            if opened.order.order_id_hex.lower() == text.lower():
                return opened.order
        raise InvalidInput(
            f"no order {text} was opened on chain {intents.chain_id}; on another chain, give the JSON file "
            "`ape run intent open --out` wrote"
        )
    raise InvalidInput(f"ORDER {text!r} is neither a file nor an order id (0x + 64 hex)")


@click.group(short_help="Open, follow and fill cross-chain intents (ERC-7683)")
def cli() -> None:
    pass


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@sender_option
@click.option("--input", "inputs", multiple=True, required=True, metavar="TOKEN:AMOUNT",
              help="escrowed here (repeatable; TOKEN `native` for ETH)")
@click.option("--output", "outputs", multiple=True, required=True, metavar="TOKEN:AMOUNT[:RECIPIENT]",
              help="wanted on the destination (repeatable; recipient: the sender)")
@click.option("--dest-chain", type=int, help="the destination chain id (default: this chain, a local order)")
@click.option("--oracle", metavar="ADDRESS", help="the oracle that proves the fill (needed across chains)")
@click.option("--agent", "agent_id", type=int, default=0, help="the agent the order is for (0: none)")
@click.option("--fill-within", default="10m", show_default=True, help="fill deadline from now (e.g. 600, 10m, 1h)")
@click.option("--exclusive-filler", metavar="ADDRESS", help="only this filler, until --exclusive-for has passed")
@click.option("--exclusive-for", help="how long the exclusivity lasts (e.g. 2m)")
@click.option("--out", type=click.Path(dir_okay=False), help="write the order (JSON) here, for status and fill")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@manifest_option
@clean_errors
def open(  # noqa: A001 - the verb users type
    alias: str | None, inputs: tuple[str, ...], outputs: tuple[str, ...], dest_chain: int | None,
    oracle: str | None, agent_id: int, fill_within: str, exclusive_filler: str | None, exclusive_for: str | None,
    out: str | None, as_json: bool, manifest: str | None,
) -> None:
    """Open an order as the sender: its inputs go into escrow on this chain."""
    if (exclusive_filler is None) != (exclusive_for is None):
        raise InvalidInput("give --exclusive-filler and --exclusive-for together")
    charter = connect(resolve_account(alias), manifest)
    intents = charter.intents
    user = charter.signer.address
    destination = dest_chain if dest_chain is not None else charter.chain_id
    window = parse_duration(fill_within)
    now = int(charter.w3.eth.get_block("latest")["timestamp"])
    order = intents.order(
        user=user, agent_id=agent_id, inputs=[parse_input(s) for s in inputs],
        outputs=[parse_output(s, destination, user) for s in outputs], destination_chain_id=destination,
        oracle=oracle, fill_within=window, now=now, exclusive_filler=exclusive_filler,
        exclusivity_deadline=now + parse_duration(exclusive_for) if exclusive_for else 0,
    )
    result = intents.open(order)
    if out:
        Path(out).write_text(json.dumps(order_json(order), indent=2) + "\n")
    if as_json:
        click.echo(json.dumps({**order_json(order), "tx_hash": result.tx_hash}, indent=2))
        return
    click.echo("\n".join(order.describe()))
    click.echo(f"opened on chain {charter.chain_id} (tx {result.tx_hash})")


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("order_ref", metavar="ORDER")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@manifest_option
@clean_errors
def status(order_ref: str, as_json: bool, manifest: str | None) -> None:
    """Where ORDER stands, on its origin (or, connected to its destination, whether it was filled there)."""
    charter = connect(None, manifest)
    intents = charter.intents
    order = load_order(order_ref, intents)
    if order.origin_chain_id == charter.chain_id:
        where, state = "origin", intents.status(order).name
    elif order.data.destination_chain_id == charter.chain_id:
        record = intents.record_of(order.order_id)
        where = "destination"
        state = "RECORDED_UNFILLED" if record == UNFILLED_RECORD else "FILLED" if any(record) else "NOT_FILLED"
    else:
        raise InvalidInput(
            f"order {order.order_id_hex[:10]}… goes from chain {order.origin_chain_id} to chain "
            f"{order.data.destination_chain_id}; this is chain {charter.chain_id}: connect to one of them"
        )
    if as_json:
        click.echo(json.dumps({"order_id": order.order_id_hex, "chain_id": charter.chain_id, "as": where,
                               "status": state}))
        return
    click.echo("\n".join(order.describe()))
    click.echo(f"status on chain {charter.chain_id} ({where}): {state}")


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("order_ref", metavar="ORDER")
@sender_option
@click.option("--payout", metavar="ADDRESS", help="who is paid the escrow on the origin (default: the sender)")
@click.option("--filler-agent", type=int, default=0, help="the filler's agent id (0: none)")
@click.option("--origin-rpc", metavar="URL", help="a node of the order's origin chain: the fill is refused unless "
              "the order is OPEN there (a local order is read on this chain)")
@click.option("--skip-origin-check", is_flag=True, help="fill without reading the order on its origin, at your risk "
              "(you may deliver outputs for an order that can never settle)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@manifest_option
@clean_errors
def fill(order_ref: str, alias: str | None, payout: str | None, filler_agent: int, origin_rpc: str | None,
         skip_origin_check: bool, as_json: bool, manifest: str | None) -> None:
    """Fill ORDER on this chain (its destination) as the sender: deliver its outputs, once its
    origin shows it OPEN (--origin-rpc) and this chain holds no record of it."""
    charter = connect(resolve_account(alias), manifest)
    intents = charter.intents
    order = load_order(order_ref, intents)
    given = None
    if origin_rpc is not None:
        given = Charter.connect(Web3(Web3.HTTPProvider(origin_rpc, request_kwargs={"timeout": 30}))).intents
        if given.chain_id != order.origin_chain_id:
            raise InvalidInput(f"--origin-rpc {origin_rpc} is chain {given.chain_id}, but the order's origin is "
                               f"chain {order.origin_chain_id}")
    origin = fill_origin(order, intents, given, skip_origin_check)
    intents.check_fillable(order, origin)
    if origin is None:
        click.echo(f"warning: --skip-origin-check: order {order.order_id_hex} was not read on its origin", err=True)
    record = FillRecord(payout=payout or charter.signer.address, filler_agent_id=filler_agent)
    result = intents.fill(order, record)
    if as_json:
        click.echo(json.dumps({"order_id": order.order_id_hex, "payout": record.payout,
                               "filler_agent_id": record.filler_agent_id, "tx_hash": result.tx_hash}))
        return
    click.echo(f"order {order.order_id_hex} filled on chain {charter.chain_id}, payout {record.payout} "
               f"(tx {result.tx_hash})")
    if order.is_local:
        click.echo(f"status: {OrderStatus(intents.status(order)).name}")

"""Feedback on agents (ERC-8004 reputation): give, revoke, respond, read.

    ape run feedback give 0xORDER_ID 92.5 --network ethereum:local:foundry    # receipt-backed, as a counterparty
    ape run feedback give-plain 1 87 --tag1 starred --sender TEST::3 --network ...  # the plain registry
    ape run feedback revoke 1 1 --sender TEST::3 --network ...                 # --backed: the backed registry
    ape run feedback respond 1 0xCLIENT 1 ipfs://reply --network ...           # anyone, any number of times
    ape run feedback reputation 1 --entries --network ...                      # both registries' summaries

``give`` cites a settled order of this chain (its origin) and comes from its
other side: the order's user (or its agent's owner or wallet) reviews the
filler's agent, the fill's payout (or the filler agent's owner or wallet)
the opener's agent; it records the order's receipt first when nobody has.
SCORE may have decimals (92.5). The sender is --sender ALIAS (test account 0
on local chains). Thin wrappers over ``charter.Reputation``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import clean_errors, connect, manifest_option, resolve_account, sender_option
from charter.exceptions import EffectNotObserved
from charter.trust import FEEDBACK_TAG, Feedback, Reputation
from charter.trust.models import as_decimal, check_value


def _number(value: Any) -> str:
    """A score or an average as plain digits (at most 6 decimals)."""
    return format(Decimal(value).quantize(Decimal("0.000001")).normalize(), "f")


def _registry(charter: Any, backed: bool) -> Reputation:
    return charter.backed_reputation if backed else charter.reputation


def _entry_line(entry: Feedback) -> str:
    backing = entry.backing
    backed = "" if backing is None else f", order 0x{backing.order_id.hex()} ({backing.amount:,} of {backing.token})"
    tags = "/".join(t for t in (entry.tag1, entry.tag2) if t) or "-"
    revoked = ", revoked" if entry.revoked else ""
    return (f"agent {entry.agent_id} from {entry.client} #{entry.index}: {_number(entry.score)} "
            f"[{tags}]{revoked}{backed}")


def _read_back(registry: Reputation, agent_id: int, client: str, index: int, score: str, tx_hash: str) -> Feedback:
    entry = registry.feedback(agent_id, client, index)
    if (entry.value, entry.decimals) != check_value(score, None):
        raise EffectNotObserved(f"transaction {tx_hash} was mined but the entry reads "
                                f"{as_decimal(entry.value, entry.decimals)}")
    return entry


@click.group(short_help="Give, revoke, respond to and read feedback on agents (ERC-8004 reputation)")
def cli() -> None:
    pass


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("order_id", metavar="ORDER_ID")
@click.argument("score")
@sender_option
@click.option("--about", type=click.Choice(["filler", "opener"]), help="which agent, when the sender is on both sides")
@click.option("--agent", "agent_id", type=int, help="the reviewed agent's id here (default: found from the order)")
@click.option("--tag1", default=FEEDBACK_TAG, show_default=True)
@click.option("--tag2", default="")
@click.option("--inbox", "inboxes", multiple=True, metavar="ADDRESS",
              help="an inbox the filler's agent of another chain is represented through (repeatable)")
@click.option("--from-block", type=int, default=0, show_default=True, help="read the order's logs from this block")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@manifest_option
@clean_errors
def give(order_id: str, score: str, alias: str | None, about: Any, agent_id: int | None, tag1: str, tag2: str,
         inboxes: tuple[str, ...], from_block: int, as_json: bool, manifest: str | None) -> None:
    """Receipt-backed feedback SCORE on the other side of settled order ORDER_ID."""
    check_value(score, None)  # a bad score is refused before the receipt is recorded
    registry = connect(resolve_account(alias), manifest).backed_reputation
    result = registry.give_for_order(order_id, score, about=about, agent_id=agent_id, tag1=tag1, tag2=tag2,
                                     inboxes=inboxes, from_block=from_block)
    entry = _read_back(registry, result.agent_id, registry.signer.address, result.index, score, result.tx_hash)
    if entry.backing is None or "0x" + entry.backing.order_id.hex() != result.order_id:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but the entry cites no order {order_id}")
    if as_json:
        click.echo(json.dumps({"agent_id": entry.agent_id, "client": entry.client, "index": entry.index,
                               "score": score, "order_id": result.order_id, "note": result.note,
                               "tx_hash": result.tx_hash}))
        return
    if result.note:
        click.echo(result.note)
    click.echo(f"feedback given (tx {result.tx_hash}): {_entry_line(entry)}")


@cli.command("give-plain", cls=ConnectedProviderCommand)
@network_option()
@click.argument("agent_id", type=int)
@click.argument("score")
@sender_option
@click.option("--tag1", default="")
@click.option("--tag2", default="")
@click.option("--uri", "feedback_uri", default="", help="a file with the feedback's details")
@manifest_option
@clean_errors
def give_plain(agent_id: int, score: str, alias: str | None, tag1: str, tag2: str, feedback_uri: str,
               manifest: str | None) -> None:
    """Feedback SCORE on AGENT_ID in the plain ERC-8004 registry (anyone but the agent's owner)."""
    registry = connect(resolve_account(alias), manifest).reputation
    result = registry.give(agent_id, score, tag1=tag1, tag2=tag2, feedback_uri=feedback_uri)
    entry = _read_back(registry, agent_id, registry.signer.address, result.index, score, result.tx_hash)
    click.echo(f"feedback given (tx {result.tx_hash}): {_entry_line(entry)}")


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("agent_id", type=int)
@click.argument("index", type=int)
@sender_option
@click.option("--backed", is_flag=True, help="in the receipt-backed registry (default: the plain one)")
@manifest_option
@clean_errors
def revoke(agent_id: int, index: int, alias: str | None, backed: bool, manifest: str | None) -> None:
    """Revoke the sender's feedback number INDEX on AGENT_ID."""
    registry = _registry(connect(resolve_account(alias), manifest), backed)
    result = registry.revoke(agent_id, index)
    entry = registry.feedback(agent_id, registry.signer.address, index)
    if not entry.revoked:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but the feedback is not revoked")
    click.echo(f"revoked (tx {result.tx_hash}): {_entry_line(entry)}")


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("agent_id", type=int)
@click.argument("client")
@click.argument("index", type=int)
@click.argument("uri")
@sender_option
@click.option("--hash", "response_hash", help="keccak256 of the response file (0x + 64 hex)")
@click.option("--backed", is_flag=True, help="in the receipt-backed registry (default: the plain one)")
@manifest_option
@clean_errors
def respond(agent_id: int, client: str, index: int, uri: str, alias: str | None, response_hash: str | None,
            backed: bool, manifest: str | None) -> None:
    """Append a response (URI) to CLIENT's feedback number INDEX on AGENT_ID."""
    registry = _registry(connect(resolve_account(alias), manifest), backed)
    before = registry.response_count(agent_id, client, index)
    result = registry.respond(agent_id, client, index, uri, response_hash)
    count = registry.response_count(agent_id, client, index)
    if count <= before:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but no response was counted")
    click.echo(f"responded (tx {result.tx_hash}): feedback {index} of {client} on agent {agent_id} has "
               f"{count} response(s)")


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("agent_id", type=int)
@click.option("--backed/--plain", "which", default=None, help="one registry only (default: both)")
@click.option("--client", "clients", multiple=True, metavar="ADDRESS", help="count only these clients (repeatable)")
@click.option("--min-value", type=int, default=0, help="receipt-backed: only orders that moved at least this much")
@click.option("--token", metavar="ADDRESS", help="receipt-backed: only orders in this token")
@click.option("--entries", is_flag=True, help="list each entry too")
@manifest_option
@clean_errors
def reputation(agent_id: int, which: bool | None, clients: tuple[str, ...], min_value: int, token: str | None,
               entries: bool, manifest: str | None) -> None:
    """What the reputation registries hold about AGENT_ID: summaries (and --entries)."""
    charter = connect(None, manifest)
    charter.registry.owner_of(agent_id)  # an unknown agent is an error, not zero
    chosen = list(clients) or None
    if which is not True:
        plain = charter.reputation
        summary = plain.summary(agent_id, chosen)
        average = _number(summary.average) if summary.count else "-"
        click.echo(f"ERC-8004 ({plain.address}): {summary.count} feedback, average {average}")
        for entry in plain.feedbacks(agent_id, chosen, include_revoked=True) if entries else []:
            click.echo("  " + _entry_line(entry))
    if which is not False:
        backed = charter.backed_reputation
        found = backed.backed_summary(agent_id, min_value=min_value, token=token, clients=chosen)
        volume = ", ".join(f"{amount:,} of {t}" for t, amount in found.volume.items()) or "nothing"
        average = _number(found.average) if found.average is not None else "-"
        click.echo(f"receipt-backed ({backed.address}): {found.count} settled order(s), average {average}, "
                   f"settled {volume}, {found.clients} client(s), {found.ignored} ignored")
        for entry in backed.feedbacks(agent_id, chosen, include_revoked=True) if entries else []:
            click.echo("  " + _entry_line(entry))

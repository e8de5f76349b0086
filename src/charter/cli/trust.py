"""``charter feedback ...``, ``charter validation ...`` and ``charter agent reputation``: the trust registries.

    charter agent reputation 3 --entries        # both registries: summaries, and each entry
    charter feedback give 0xORDER 92.5          # receipt-backed, as a counterparty of the settled order
    charter feedback give-plain 3 87 --tag1 starred      # the plain ERC-8004 registry: anyone but the owner
    charter feedback revoke 3 1 [--backed]      # the sender's own entry
    charter feedback respond 3 0xCLIENT 1 ipfs://reply [--backed]
    charter feedback show 3 0xCLIENT 1 [--backed]
    charter validation request 0xVALIDATOR 3 ipfs://work        # or --fill ORIGIN_CHAIN:ORDER_ID
    charter validation respond 0xHASH 100 --tag fill             # as the validator
    charter validation status 0xHASH
    charter validation list --agent 3           # or --validator 0xVALIDATOR

Every write is read back from the chain before it is reported: the entry with
its score and backing, the revoked flag, the response count, the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

import click
from rich.table import Table

from .._core.checks import check_address
from .._core.revert import format_time
from .._core.tx import TxResult
from ..client import Charter
from ..exceptions import EffectNotObserved, InvalidInput
from ..intents.models import NATIVE
from ..trust import FEEDBACK_TAG, Feedback, Reputation, Side, fill_request
from ..trust.models import as_decimal, check_hash, check_tag, check_uri, check_value
from ._common import (
    CharterGroup,
    get_state,
    json_option,
    kv_table,
    make_console,
    print_json,
    sending,
    tx_json,
    tx_line,
    wants_json,
)

# ---------------------------------------------------------------- shared


def _score(text: str) -> tuple[int, int]:
    """A feedback SCORE as typed ("87", "92.5", "-3"): (value, decimals), refused before anything is sent."""
    return check_value(text.strip(), None)


def _show_score(value: int, decimals: int) -> str:
    return str(as_decimal(value, decimals))


def _amount(token: str, amount: int) -> str:
    return f"{amount:,} " + ("native" if token.lower() == NATIVE else f"of {token}")


def _registry(charter: Charter, backed: bool) -> Reputation:
    return charter.backed_reputation if backed else charter.reputation


def _registry_name(backed: bool) -> str:
    return "receipt-backed" if backed else "ERC-8004"


def _order_id(text: str) -> bytes:
    return check_hash(text.strip(), "ORDER_ID (0x + 64 hex digits)")


def _feedback_json(entry: Feedback) -> dict[str, Any]:
    backing = entry.backing
    return {
        "agent_id": entry.agent_id, "client": entry.client, "index": entry.index,
        "score": _show_score(entry.value, entry.decimals), "value": entry.value, "decimals": entry.decimals,
        "tag1": entry.tag1, "tag2": entry.tag2, "revoked": entry.revoked,
        "backing": None if backing is None else
        {"order_id": backing.order_id, "token": backing.token, "amount": backing.amount},
    }


def _backing_words(entry: Feedback) -> str:
    if entry.backing is None:
        return "-"
    return f"order 0x{entry.backing.order_id.hex()} ({_amount(entry.backing.token, entry.backing.amount)})"


def _given(registry: Reputation, agent_id: int, client: str, index: int, expected: tuple[int, int],
           tx_hash: str, order_id: bytes | None = None) -> Feedback:
    """The entry just given, read back: it must hold the score sent (and cite `order_id`)."""
    entry = registry.feedback(agent_id, client, index)
    if (entry.value, entry.decimals) != expected or entry.revoked:
        raise EffectNotObserved(f"transaction {tx_hash} was mined but {client}'s feedback {index} on agent {agent_id} "
                                f"reads {_show_score(entry.value, entry.decimals)}, revoked {entry.revoked}")
    if order_id is not None and (entry.backing is None or entry.backing.order_id != order_id):
        raise EffectNotObserved(f"transaction {tx_hash} was mined but {client}'s feedback {index} on agent {agent_id} "
                                f"is not backed by order 0x{order_id.hex()}")
    return entry


def _report_given(ctx: click.Context, as_json: bool, action: str, backed: bool, result: TxResult,
                  entry: Feedback) -> None:
    """The entry read back; `result`'s note says whether the order's receipt was recorded first."""
    if wants_json(ctx, as_json):
        print_json(tx_json(action, result, registry=_registry_name(backed), receipt_recorded=result.note is not None,
                           feedback=_feedback_json(entry)))
        return
    if result.note is not None:
        click.echo(result.note)
    score = _show_score(entry.value, entry.decimals)
    backing = f", backed by {_backing_words(entry)}" if entry.backing is not None else ""
    tags = ", ".join(f"{name} {tag!r}" for name, tag in (("tag1", entry.tag1), ("tag2", entry.tag2)) if tag)
    click.echo(tx_line(f"{_registry_name(backed)} feedback {score} on agent {entry.agent_id} from {entry.client} "
                       f"(index {entry.index}{', ' + tags if tags else ''}){backing}", result))


def _feedback_options(command: Any) -> Any:
    for option in reversed([
        click.option("--tag2", default="", metavar="TAG", help="A second tag (at most 64 bytes)."),
        click.option("--endpoint", default="", metavar="URI", help="The agent endpoint the feedback is about."),
        click.option("--uri", "feedback_uri", default="", metavar="URI",
                     help="A file with the feedback's details (its hash: --hash for the plain registry)."),
    ]):
        command = option(command)
    return command


# ---------------------------------------------------------------- charter feedback


@click.group(cls=CharterGroup)
def feedback() -> None:
    """Feedback on agents (ERC-8004 reputation): give (backed by a settled order, or plain), revoke, respond, show.

    Two registries: the receipt-backed one, where each feedback cites a settled
    order of this chain and comes from its other side (give), and the plain
    ERC-8004 one, where anyone but the agent's owner reviews (give-plain).
    revoke, respond and show act on the plain one unless --backed. Read an
    agent's summaries with: charter agent reputation AGENT_ID.
    """


@feedback.command("give")
@click.argument("order_ref", metavar="ORDER_ID")
@click.argument("score", metavar="SCORE")
@click.option("--about", type=click.Choice(["filler", "opener"]),
              help="Which agent of the order to review, when the sender is on both sides (default: the other "
              "side's).")
@click.option("--agent", "agent_id", type=click.IntRange(min=1), metavar="AGENT_ID",
              help="The reviewed agent's id on this chain (default: found from the order: the filler's agent, or "
              "the agent representing it here).")
@click.option("--tag1", default=FEEDBACK_TAG, show_default=True, metavar="TAG", help="The first tag.")
@_feedback_options
@click.option("--inbox", "inboxes", multiple=True, metavar="ADDRESS",
              help="An inbox the filler's agent of another chain is represented through (repeatable; the order's "
              "oracle is tried too).")
@click.option("--from-block", type=click.IntRange(min=0), default=0, show_default=True, metavar="BLOCK",
              help="Read the settled order from the settler's logs since this block.")
@json_option
@click.pass_context
def give(ctx: click.Context, order_ref: str, score: str, about: str | None, agent_id: int | None, tag1: str,
         tag2: str, endpoint: str, feedback_uri: str, inboxes: tuple[str, ...], from_block: int,
         as_json: bool) -> None:
    """Give receipt-backed feedback SCORE (87, 92.5) on the other side of settled order ORDER_ID.

    The sender is a counterparty of the order, settled on this chain (its
    origin): the order's user or its agent's owner or wallet reviews the
    filler's agent; the fill's payout or the filler agent's owner or wallet
    reviews the opener's agent. Each order backs one feedback each way. The
    order's receipt is recorded first when nobody has (one more transaction).
    """
    order_id = _order_id(order_ref)
    expected = _score(score)
    check_tag(tag1, "--tag1")
    check_tag(tag2, "--tag2")
    registry = get_state(ctx).charter("feedback give").backed_reputation
    assert registry.signer is not None
    with sending("feedback give"):
        result = registry.give_for_order(order_id, score.strip(), about=cast("Side | None", about),
                                         agent_id=agent_id, tag1=tag1, tag2=tag2, endpoint=endpoint,
                                         feedback_uri=feedback_uri, inboxes=inboxes, from_block=from_block)
    assert result.agent_id is not None and result.index is not None
    entry = _given(registry, result.agent_id, registry.signer.address, result.index, expected, result.tx_hash,
                   order_id)
    _report_given(ctx, as_json, "feedback give", True, result, entry)


@feedback.command("give-plain")
@click.argument("agent_id", type=click.IntRange(min=1), metavar="AGENT_ID")
@click.argument("score", metavar="SCORE")
@click.option("--tag1", default="", metavar="TAG", help="The first tag (e.g. starred, uptime).")
@_feedback_options
@click.option("--hash", "feedback_hash", metavar="0xHASH", help="keccak256 of the --uri file (32 bytes).")
@json_option
@click.pass_context
def give_plain(ctx: click.Context, agent_id: int, score: str, tag1: str, tag2: str, endpoint: str,
               feedback_uri: str, feedback_hash: str | None, as_json: bool) -> None:
    """Give feedback SCORE (87, 92.5) on agent AGENT_ID in the plain ERC-8004 registry.

    Anyone may, except the agent's owner, an operator of its owner or its
    approved address; nothing backs it, so readers choose whose feedback counts.
    """
    expected = _score(score)
    check_tag(tag1, "--tag1")
    check_tag(tag2, "--tag2")
    digest = check_hash(feedback_hash, "--hash")
    registry = get_state(ctx).charter("feedback give-plain").reputation
    assert registry.signer is not None
    with sending("feedback give-plain"):
        result = registry.give(agent_id, score.strip(), tag1=tag1, tag2=tag2, endpoint=endpoint,
                               feedback_uri=feedback_uri, feedback_hash=digest)
    assert result.index is not None
    entry = _given(registry, agent_id, registry.signer.address, result.index, expected, result.tx_hash)
    _report_given(ctx, as_json, "feedback give-plain", False, result, entry)


_BACKED = click.option("--backed", is_flag=True, help="In the receipt-backed registry (default: the plain one).")


@feedback.command("revoke")
@click.argument("agent_id", type=click.IntRange(min=1), metavar="AGENT_ID")
@click.argument("index", type=click.IntRange(min=1), metavar="INDEX")
@_BACKED
@json_option
@click.pass_context
def revoke(ctx: click.Context, agent_id: int, index: int, backed: bool, as_json: bool) -> None:
    """Revoke the sender's feedback number INDEX on agent AGENT_ID (it stays readable, flagged, and
    leaves the summaries)."""
    registry = _registry(get_state(ctx).charter("feedback revoke"), backed)
    assert registry.signer is not None
    with sending("feedback revoke"):
        result = registry.revoke(agent_id, index)
    entry = registry.feedback(agent_id, registry.signer.address, index)
    if not entry.revoked:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but feedback {index} of "
                                f"{registry.signer.address} on agent {agent_id} is not revoked")
    if wants_json(ctx, as_json):
        print_json(tx_json("feedback revoke", result, registry=_registry_name(backed), feedback=_feedback_json(entry)))
        return
    click.echo(tx_line(f"revoked {_registry_name(backed)} feedback {index} of {entry.client} on agent {agent_id} "
                       f"(it was {_show_score(entry.value, entry.decimals)})", result))


@feedback.command("respond")
@click.argument("agent_id", type=click.IntRange(min=1), metavar="AGENT_ID")
@click.argument("client", metavar="CLIENT")
@click.argument("index", type=click.IntRange(min=1), metavar="INDEX")
@click.argument("uri", metavar="URI")
@click.option("--hash", "response_hash", metavar="0xHASH", help="keccak256 of the response file (32 bytes).")
@_BACKED
@json_option
@click.pass_context
def respond(ctx: click.Context, agent_id: int, client: str, index: int, uri: str, response_hash: str | None,
            backed: bool, as_json: bool) -> None:
    """Append a response (its URI) to CLIENT's feedback number INDEX on agent AGENT_ID.

    Anyone may respond, any number of times: the agent refuting, an auditor
    confirming.
    """
    who = check_address(client, "CLIENT")
    digest = check_hash(response_hash, "--hash")
    check_uri(uri, "URI")
    registry = _registry(get_state(ctx).charter("feedback respond"), backed)
    assert registry.signer is not None
    me = registry.signer.address
    before = registry.response_count(agent_id, who, index, [me])
    with sending("feedback respond"):
        result = registry.respond(agent_id, who, index, uri, digest)
    count = registry.response_count(agent_id, who, index, [me])
    if count <= before:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but {me} still has {count} response(s) "
                                f"to feedback {index} of {who} on agent {agent_id}")
    total = registry.response_count(agent_id, who, index)
    if wants_json(ctx, as_json):
        print_json(tx_json("feedback respond", result, registry=_registry_name(backed), client=who, responder=me,
                           uri=uri, responses_by_responder=count, responses=total))
        return
    click.echo(tx_line(f"responded to {_registry_name(backed)} feedback {index} of {who} on agent {agent_id} "
                       f"({count} response(s) from {me}, {total} in all)", result))


@feedback.command("show")
@click.argument("agent_id", type=click.IntRange(min=1), metavar="AGENT_ID")
@click.argument("client", metavar="CLIENT")
@click.argument("index", type=click.IntRange(min=1), metavar="INDEX")
@_BACKED
@json_option
@click.pass_context
def show(ctx: click.Context, agent_id: int, client: str, index: int, backed: bool, as_json: bool) -> None:
    """Show CLIENT's feedback number INDEX on agent AGENT_ID: score, tags, revoked, responses and
    (receipt-backed) the settled order behind it."""
    who = check_address(client, "CLIENT")
    registry = _registry(get_state(ctx).charter(), backed)
    entry = registry.feedback(agent_id, who, index)
    responses = registry.response_count(agent_id, who, index)
    if wants_json(ctx, as_json):
        print_json({"registry": _registry_name(backed), "address": registry.address, **_feedback_json(entry),
                    "responses": responses})
        return
    rows = [("registry", f"{_registry_name(backed)} {registry.address}"), ("agent", str(agent_id)),
            ("client", entry.client), ("index", str(entry.index)),
            ("score", f"{_show_score(entry.value, entry.decimals)} (value {entry.value}, {entry.decimals} decimals)"),
            ("tag1", entry.tag1 or "-"), ("tag2", entry.tag2 or "-"), ("revoked", "yes" if entry.revoked else "no"),
            ("responses", str(responses))]
    if backed:
        rows.append(("backed by", _backing_words(entry)))
    make_console().print(kv_table(f"Feedback {index} of {entry.client} on agent {agent_id}", rows))


# ---------------------------------------------------------------- charter agent reputation


def _volume_json(volume: dict[str, int]) -> list[dict[str, Any]]:
    return [{"token": check_address(token, "token"), "amount": amount} for token, amount in volume.items()]


def _average(value: Decimal | None) -> str | None:
    """An average as plain digits ("86.25", "100"), at most 6 decimals."""
    if value is None:
        return None
    return format(value.quantize(Decimal("0.000001")).normalize(), "f")


@click.command("reputation")
@click.argument("agent_id", type=click.IntRange(min=1), metavar="AGENT_ID")
@click.option("--backed/--plain", "which", default=None,
              help="Only the receipt-backed registry, or only the plain ERC-8004 one (default: both).")
@click.option("--client", "clients", multiple=True, metavar="ADDRESS",
              help="Count only these clients' feedback (repeatable; default: every client of the agent).")
@click.option("--tag1", default="", metavar="TAG", help="Count only entries with this tag1.")
@click.option("--tag2", default="", metavar="TAG", help="Count only entries with this tag2.")
@click.option("--min-value", type=click.IntRange(min=0), default=0, show_default=True, metavar="AMOUNT",
              help="Receipt-backed: count only entries whose order moved at least this much (raw units of its "
              "first input).")
@click.option("--token", metavar="ADDRESS",
              help="Receipt-backed: count only entries whose order moved this token ('native' for ETH).")
@click.option("--entries", is_flag=True, help="Also list each entry (revoked ones too) with its backing order.")
@json_option
@click.pass_context
def reputation(ctx: click.Context, agent_id: int, which: bool | None, clients: tuple[str, ...], tag1: str,
               tag2: str, min_value: int, token: str | None, entries: bool, as_json: bool) -> None:
    """What the reputation registries hold about agent AGENT_ID.

    The plain ERC-8004 registry: getSummary's count and average (revoked
    entries left out). The receipt-backed one: how many settled orders back
    the agent's unrevoked feedback (each entry cites one), their average
    score, the value those orders settled per token, the distinct clients,
    and the entries left out by --min-value / --token. An agent nobody
    reviewed reads zero. Exits 0 once read.
    """
    if which is False and (min_value or token is not None):
        raise InvalidInput("--min-value and --token filter the receipt-backed registry; drop --plain")
    wanted = None if token is None else (NATIVE if token.strip().lower() == "native" else
                                         check_address(token, "--token"))
    chosen = [check_address(c, "--client") for c in clients] or None
    check_tag(tag1, "--tag1")
    check_tag(tag2, "--tag2")
    charter = get_state(ctx).charter()
    charter.registry.owner_of(agent_id)  # an unknown agent is UnknownAgent, not zero
    data: dict[str, Any] = {"agent_id": agent_id, "chain_id": charter.chain_id}
    tables: list[Table] = []
    if which is not True:
        plain = charter.reputation
        counted = chosen if chosen is not None else plain.clients(agent_id)
        summary = plain.summary(agent_id, counted, tag1=tag1, tag2=tag2)
        average = _average(summary.average) if summary.count else None
        data["plain"] = {"registry": plain.address, "count": summary.count, "average": average,
                         "value": summary.value, "decimals": summary.decimals, "clients": len(counted)}
        tables.append(kv_table(f"Agent {agent_id}: ERC-8004 reputation", [
            ("registry", plain.address),
            ("feedback", f"{summary.count} (unrevoked, from {len(counted)} client(s)"
                         f"{' listed' if chosen is not None else ''})"),
            ("average", average or "-"),
        ]))
        if entries:
            data["plain"]["entries"] = _entries(plain, agent_id, chosen, tag1, tag2, tables)
    if which is not False:
        backed = charter.backed_reputation
        found = backed.backed_summary(agent_id, min_value=min_value, token=wanted, tag1=tag1, tag2=tag2,
                                      clients=chosen)
        average = _average(found.average)
        data["backed"] = {"registry": backed.address, "count": found.count, "average": average,
                          "volume": _volume_json(found.volume), "clients": found.clients, "ignored": found.ignored,
                          "min_value": min_value, "token": wanted}
        volume = "; ".join(_amount(t, a) for t, a in found.volume.items()) or "-"
        filters = []
        if min_value:
            filters.append(f"moving at least {min_value:,}")
        if wanted is not None:
            filters.append(f"in {'native value' if wanted == NATIVE else wanted}")
        tables.append(kv_table(f"Agent {agent_id}: receipt-backed reputation", [
            ("registry", backed.address),
            ("settled orders", f"{found.count} (each unrevoked feedback cites one"
                               f"{', ' + ' '.join(filters) if filters else ''})"),
            ("average", average or "-"),
            ("settled volume", volume),
            ("clients", str(found.clients)),
            ("ignored", f"{found.ignored} (below --min-value or in another token)"),
        ]))
        if entries:
            data["backed"]["entries"] = _entries(backed, agent_id, chosen, tag1, tag2, tables)
    if wants_json(ctx, as_json):
        print_json(data)
        return
    console = make_console()
    for table in tables:
        console.print(table)


def _entries(registry: Reputation, agent_id: int, clients: Sequence[str] | None, tag1: str, tag2: str,
             tables: list[Table]) -> list[dict[str, Any]]:
    """Every entry (revoked too) as JSON, and as a table appended to `tables`."""
    found = registry.feedbacks(agent_id, clients, tag1=tag1, tag2=tag2, include_revoked=True)
    table = Table(title=f"{_registry_name(registry.backed)} entries on agent {agent_id}", title_justify="left")
    columns = ["client", "index", "score", "tag1", "tag2", "revoked"] + (["backed by"] if registry.backed else [])
    for column in columns:
        table.add_column(column, overflow="fold")
    for entry in found:
        row = [entry.client, str(entry.index), _show_score(entry.value, entry.decimals), entry.tag1 or "-",
               entry.tag2 or "-", "yes" if entry.revoked else "no"]
        table.add_row(*row, *([_backing_words(entry)] if registry.backed else []))
    if not found:
        table.add_row("(none)", *[""] * (len(columns) - 1))
    tables.append(table)
    return [_feedback_json(entry) for entry in found]


# ---------------------------------------------------------------- charter validation


@click.group(cls=CharterGroup)
def validation() -> None:
    """Validations (ERC-8004): ask a validator to check an agent's work, answer as the validator, read."""


def _fill(spec: str) -> tuple[int, bytes]:
    chain, sep, order = spec.partition(":")
    if not sep or not chain.strip().isdigit():
        raise InvalidInput(f"--fill {spec!r} is not ORIGIN_CHAIN:ORDER_ID (e.g. 31337:0x…64 hex)")
    return int(chain), check_hash(order.strip(), f"--fill {spec!r}: the order id")


@validation.command("request")
@click.argument("validator", metavar="VALIDATOR")
@click.argument("agent_id", type=click.IntRange(min=1), metavar="AGENT_ID")
@click.argument("uri", metavar="URI", required=False)
@click.option("--hash", "request_hash", metavar="0xHASH",
              help="The request hash (default: keccak256 of URI); hashes are global, first come.")
@click.option("--fill", "fill_spec", metavar="ORIGIN_CHAIN:ORDER_ID",
              help="Ask whether the agent filled this order and it settled on its origin: the URI and hash are "
              "charter:fill:ORIGIN_CHAIN:ORDER_ID and its keccak256 (give no URI).")
@json_option
@click.pass_context
def validation_request(ctx: click.Context, validator: str, agent_id: int, uri: str | None,
                       request_hash: str | None, fill_spec: str | None, as_json: bool) -> None:
    """Ask VALIDATOR to validate the work of agent AGENT_ID described at URI (as the agent's owner,
    an operator of its owner or its approved address)."""
    who = check_address(validator, "VALIDATOR")
    digest: bytes | None = None
    if fill_spec is not None:
        if uri is not None or request_hash is not None:
            raise InvalidInput("--fill makes the URI and the hash: give neither")
        uri, digest = fill_request(*_fill(fill_spec))
    elif uri is None:
        raise InvalidInput("give the request's URI (the work to validate), or --fill ORIGIN_CHAIN:ORDER_ID")
    elif request_hash is not None:
        digest = check_hash(request_hash, "--hash")
    check_uri(uri, "URI")
    registry = get_state(ctx).charter("validation request").validation
    with sending("validation request"):
        result = registry.request(who, agent_id, uri, digest)
    assert result.request_hash is not None
    status = registry.status(result.request_hash)
    if (status.validator, status.agent_id) != (who, agent_id):
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but request {result.request_hash} names "
                                f"validator {status.validator} and agent {status.agent_id}")
    if wants_json(ctx, as_json):
        print_json(tx_json("validation request", result, validator=who, uri=uri))
        return
    click.echo(tx_line(f"asked {who} to validate agent {agent_id}: request {result.request_hash} ({uri})", result))


def _response(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidInput(f"SCORE {text!r}: a validation response is a whole score from 0 to 100") from None
    if not 0 <= value <= 100:
        raise InvalidInput(f"SCORE {value}: a validation response is a whole score from 0 to 100")
    return value


@validation.command("respond")
@click.argument("request_ref", metavar="HASH")
@click.argument("score", metavar="SCORE")
@click.option("--uri", "response_uri", default="", metavar="URI", help="The validator's report.")
@click.option("--hash", "response_hash", metavar="0xHASH", help="keccak256 of the report (32 bytes).")
@click.option("--tag", default="", metavar="TAG", help="A tag (at most 64 bytes), e.g. fill.")
@json_option
@click.pass_context
def validation_respond(ctx: click.Context, request_ref: str, score: str, response_uri: str,
                       response_hash: str | None, tag: str, as_json: bool) -> None:
    """Answer validation request HASH with SCORE (0 to 100), as the validator it names; again later
    replaces the answer."""
    digest = check_hash(request_ref, "HASH")
    value = _response(score)
    check_tag(tag, "--tag")
    check_uri(response_uri, "--uri")
    answer_hash = check_hash(response_hash, "--hash")
    registry = get_state(ctx).charter("validation respond").validation
    with sending("validation respond"):
        result = registry.respond(digest, value, response_uri=response_uri, response_hash=answer_hash, tag=tag)
    status = registry.status(digest)
    if (status.response, status.tag) != (value, tag):
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but request 0x{digest.hex()} reads "
                                f"{status.response} tagged {status.tag!r}")
    if wants_json(ctx, as_json):
        print_json(tx_json("validation respond", result, request_hash=digest, validator=status.validator,
                           response=value, tag=tag))
        return
    click.echo(tx_line(f"answered request 0x{digest.hex()} on agent {status.agent_id}: {value}"
                       + (f" (tag {tag!r})" if tag else ""), result))


def _status_json(status: Any) -> dict[str, Any]:
    return {"request_hash": status.request_hash, "validator": status.validator, "agent_id": status.agent_id,
            "response": status.response, "response_hash": status.response_hash, "tag": status.tag,
            "last_update": status.last_update}


def _answer_words(status: Any, short: bool = False) -> str:
    if status.response == 0 and not status.tag and not any(status.response_hash):
        return "0 (none yet, or 0)" if short else "0 (no answer yet, or an answer of 0)"
    return str(status.response)


@validation.command("status")
@click.argument("request_ref", metavar="HASH")
@json_option
@click.pass_context
def validation_status(ctx: click.Context, request_ref: str, as_json: bool) -> None:
    """Show validation request HASH: its validator, agent and last answer."""
    digest = check_hash(request_ref, "HASH")
    status = get_state(ctx).charter().validation.status(digest)
    if wants_json(ctx, as_json):
        print_json(_status_json(status))
        return
    make_console().print(kv_table("Validation request", [
        ("request", "0x" + digest.hex()), ("validator", status.validator), ("agent", str(status.agent_id)),
        ("response", _answer_words(status)),
        ("tag", status.tag or "-"),
        ("response hash", "0x" + status.response_hash.hex() if any(status.response_hash) else "-"),
        ("last update", format_time(status.last_update)),
    ]))


@validation.command("list")
@click.option("--agent", "agent_id", type=click.IntRange(min=1), metavar="AGENT_ID",
              help="The requests made for this agent.")
@click.option("--validator", metavar="ADDRESS", help="The requests naming this validator.")
@json_option
@click.pass_context
def validation_list(ctx: click.Context, agent_id: int | None, validator: str | None, as_json: bool) -> None:
    """List the validation requests of an agent (--agent) or to a validator (--validator), with
    their answers; with --agent, also the summary of the answered ones."""
    if (agent_id is None) == (validator is None):
        raise InvalidInput("give either --agent AGENT_ID or --validator ADDRESS (one of them)")
    who = None if validator is None else check_address(validator, "--validator")
    registry = get_state(ctx).charter().validation
    if who is None:
        assert agent_id is not None
        hashes = registry.agent_requests(agent_id)
        title = f"validation requests of agent {agent_id}"
    else:
        hashes = registry.validator_requests(who)
        title = f"validation requests to {who}"
    statuses = [registry.status(h) for h in hashes]
    summary = registry.summary(agent_id) if agent_id is not None else None
    if wants_json(ctx, as_json):
        data: dict[str, Any] = {"agent_id": agent_id, "validator": who,
                                "requests": [_status_json(s) for s in statuses]}
        if summary is not None:
            data["answered"] = summary.count
            data["average"] = summary.average
        print_json(data)
        return
    if not statuses:
        click.echo(f"no {title} on chain {registry.chain_id}")
        return
    table = Table(title=title, title_justify="left")
    table.add_column("request", no_wrap=True)
    table.add_column("agent" if who is not None else "validator", no_wrap=True)
    for column in ("response", "tag"):
        table.add_column(column, overflow="fold")
    for s in statuses:
        table.add_row("0x" + s.request_hash.hex(), str(s.agent_id) if who is not None else s.validator,
                      _answer_words(s, short=True), s.tag or "-")
    console = make_console()
    console.print(table)
    if summary is not None:
        average = f", average {summary.average} (rounded down)" if summary.count else ""
        console.print(f"answered: {summary.count}{average}")


__all__ = ["feedback", "reputation", "validation"]

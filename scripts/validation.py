"""Validations (ERC-8004): ask a validator to check an agent's work, answer, read.

    ape run validation request 0xVALIDATOR 1 ipfs://work --network ethereum:local:foundry  # as the agent's owner
    ape run validation request 0xVALIDATOR 1 --fill 31337:0xORDER_ID --network ...        # was this order filled?
    ape run validation respond 0xREQUEST_HASH 100 --tag fill --sender TEST::2 --network ...  # as the validator
    ape run validation status 0xREQUEST_HASH --network ...
    ape run validation list --agent 1 --network ...          # or --validator 0xVALIDATOR

The sender is --sender ALIAS (test account 0 on local chains). Thin wrappers
over ``charter.Validation``.
"""

from __future__ import annotations

from typing import Any

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import clean_errors, connect, manifest_option, resolve_account, sender_option
from charter.exceptions import EffectNotObserved, InvalidInput
from charter.trust import fill_request
from charter.trust.models import check_hash


def _line(status: Any) -> str:
    tag = f" [{status.tag}]" if status.tag else ""
    return (f"request 0x{status.request_hash.hex()}: validator {status.validator}, agent {status.agent_id}, "
            f"response {status.response}{tag}")


@click.group(short_help="Ask for, answer and read validations of agents' work (ERC-8004)")
def cli() -> None:
    pass


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("validator")
@click.argument("agent_id", type=int)
@click.argument("uri", required=False)
@sender_option
@click.option("--hash", "request_hash", help="the request hash (default: keccak256 of URI)")
@click.option("--fill", "fill_spec", metavar="ORIGIN_CHAIN:ORDER_ID",
              help="ask whether the agent filled this order (makes the URI and the hash)")
@manifest_option
@clean_errors
def request(validator: str, agent_id: int, uri: str | None, alias: str | None, request_hash: str | None,
            fill_spec: str | None, manifest: str | None) -> None:
    """Ask VALIDATOR to validate the work of AGENT_ID described at URI (as the agent's owner)."""
    digest: bytes | None = None if request_hash is None else check_hash(request_hash, "--hash")
    if fill_spec is not None:
        chain, _, order = fill_spec.partition(":")
        if uri is not None or request_hash is not None or not chain.isdigit():
            raise InvalidInput("--fill ORIGIN_CHAIN:ORDER_ID makes the URI and the hash: give neither")
        uri, digest = fill_request(int(chain), order)
    if uri is None:
        raise InvalidInput("give the request's URI, or --fill ORIGIN_CHAIN:ORDER_ID")
    registry = connect(resolve_account(alias), manifest).validation
    result = registry.request(validator, agent_id, uri, digest)
    status = registry.status(result.request_hash)
    if status.agent_id != agent_id:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but the request is not on agent {agent_id}")
    click.echo(f"requested (tx {result.tx_hash}): {_line(status)} ({uri})")


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("request_hash", metavar="HASH")
@click.argument("score", type=click.IntRange(0, 100))
@sender_option
@click.option("--uri", "response_uri", default="", help="the validator's report")
@click.option("--tag", default="")
@manifest_option
@clean_errors
def respond(request_hash: str, score: int, alias: str | None, response_uri: str, tag: str,
            manifest: str | None) -> None:
    """Answer request HASH with SCORE (0 to 100), as the validator it names."""
    registry = connect(resolve_account(alias), manifest).validation
    result = registry.respond(request_hash, score, response_uri=response_uri, tag=tag)
    status = registry.status(request_hash)
    if status.response != score:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but the request reads {status.response}")
    click.echo(f"answered (tx {result.tx_hash}): {_line(status)}")


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("request_hash", metavar="HASH")
@manifest_option
@clean_errors
def status(request_hash: str, manifest: str | None) -> None:
    """Show request HASH and its last answer."""
    click.echo(_line(connect(None, manifest).validation.status(request_hash)))


@cli.command("list", cls=ConnectedProviderCommand)
@network_option()
@click.option("--agent", "agent_id", type=int, help="the requests made for this agent")
@click.option("--validator", help="the requests naming this validator")
@manifest_option
@clean_errors
def list_requests(agent_id: int | None, validator: str | None, manifest: str | None) -> None:
    """List an agent's (--agent) or a validator's (--validator) requests."""
    if (agent_id is None) == (validator is None):
        raise InvalidInput("give either --agent AGENT_ID or --validator ADDRESS")
    registry = connect(None, manifest).validation
    hashes = registry.agent_requests(agent_id) if agent_id is not None else registry.validator_requests(validator)
    for digest in hashes:
        click.echo(_line(registry.status(digest)))
    if not hashes:
        click.echo("no requests")

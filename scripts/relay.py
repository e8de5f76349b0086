"""Run the intents relayer from its TOML file: prove fills and non-fills, settle and refund.

    ape run relay --config relay.toml                  # until Ctrl-C / SIGTERM
    ape run relay --config relay.toml --once           # one round, then exit
    ape run relay --config relay.toml --rounds 5 --oracle committee --json
    ape run relay --config relay.toml --resync 8453     # after checking a chain it halted

The chains, oracles and key variables come from the file (see
``charter.processes.config`` and docs/intents.md), not from ``--network``: the
relayer watches every chain it names, each at its own RPC, and sends with
the key in ``sender_key_env`` (a relayer runs unattended, so no ape account
prompts for it). State is kept in the file's SQLite ``db``: stop and restart
it at will. The same as ``charter relay``.
"""

from __future__ import annotations

import json
import logging

import click

from charter.ape_extras import clean_errors
from charter.processes.config import ORACLE_KINDS, load_relay_config
from charter.processes.relayer import Relayer, StepReport


@click.command(short_help="Run the intents relayer (committee and/or Hyperlane)")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="the relayer's TOML file (chains, oracles, key variables)")
@click.option("--oracle", type=click.Choice(ORACLE_KINDS), default="all", show_default=True,
              help="prove with the committee, over Hyperlane, or whatever the file configures")
@click.option("--once", is_flag=True, help="run one round and exit")
@click.option("--rounds", type=click.IntRange(min=1), help="exit after this many rounds")
@click.option("--resync", "resync", type=int, multiple=True, metavar="CHAIN_ID",
              help="read CHAIN_ID again from its start_block (after checking a chain the relayer halted)")
@click.option("--quiet", is_flag=True, help="only log warnings")
@click.option("--json", "as_json", is_flag=True, help="print each busy round, and the order counts, as JSON")
@clean_errors
def cli(config_path: str, oracle: str, once: bool, rounds: int | None, resync: tuple[int, ...], quiet: bool,
        as_json: bool) -> None:
    if once and rounds is not None:
        raise click.UsageError("give --once or --rounds N, not both")
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("charter").setLevel(logging.WARNING if quiet else logging.INFO)
    relayer = Relayer(load_relay_config(config_path, oracle))

    def show(report: StepReport) -> None:
        if as_json and report.busy:
            click.echo(json.dumps({"round": vars(report)}))

    try:
        try:
            relayer.serve(once=once, rounds=rounds, resync=resync, on_round=show)
        finally:
            if as_json:
                click.echo(json.dumps({"orders": relayer.store.counts()}))
            else:
                click.echo(f"relayer: {relayer.progress()}")
    finally:
        relayer.close()

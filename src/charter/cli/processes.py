"""``charter relay`` and ``charter solve``: the long-running processes of :mod:`charter.processes`.

    charter relay --config relay.toml      # prove fills with the committee, settle and refund
    charter solve --config solve.toml      # fill orders by policy as a registered agent

Both log what they do on stderr, keep their state in SQLite (restart them at
will: nothing is lost or repeated) and stop cleanly on Ctrl-C / SIGTERM. See
``charter.processes.config`` for the file format.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import click

from ..processes.config import ORACLE_KINDS, load_relay_config, load_solver_config
from ..processes.relayer import Relayer, StepReport
from ..processes.solver import Solver, SolveReport
from ._common import json_option, progress, wants_json


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def _printer(as_json: bool, update: Any, name: str, summary: Any, failed: set[int]) -> Any:
    rounds = 0

    def show(report: StepReport | SolveReport) -> None:
        nonlocal rounds
        rounds += 1
        failed.update(report.failed_chains)
        update(f"{name}: {rounds} rounds done ({summary()}); waiting for the next…")
        if as_json and (report.busy or report.failed_chains):
            click.echo(json.dumps({"round": vars(report)}))

    return show


_ONCE = click.option("--once", is_flag=True, help="Run one round of every chain and exit (non-zero if a chain failed).")
_ROUNDS = click.option("--rounds", type=click.IntRange(min=1),
                       help="Exit after this many rounds of every chain (non-zero if a chain failed in the last).")
_RESYNC = click.option("--resync", "resync", type=int, multiple=True, metavar="CHAIN_ID",
                       help="Read CHAIN_ID again from its start_block, forgetting its identity and what was read "
                            "of it: after checking a chain this process halted (reset, deep reorg).")


def _run(ctx: click.Context, process: Relayer | Solver, name: str, once: bool, rounds: int | None,
         resync: tuple[int, ...], as_json: bool) -> None:
    """Resync, start-up checks, the rounds and the summary (:meth:`RoundLoop.serve`); a bounded
    run (``--once``, ``--rounds``) exits 1 when a chain failed in its last round."""
    as_json = wants_json(ctx, as_json) if ctx.obj is not None else as_json
    failed: set[int] = set()
    with progress(f"{name}: first round…") as update:
        try:
            process.serve(once=once, rounds=rounds, resync=resync,
                          on_round=_printer(as_json, update, name, process.progress, failed))
        finally:
            if as_json:
                counts = process.store.counts() if isinstance(process, Relayer) else process.store.seen_counts()
                click.echo(json.dumps({"orders": counts, "failed_chains": sorted(failed)}))
            else:
                click.echo(f"{name}: {process.progress()}")


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="The relayer's TOML file (chains, oracles, key variables).")
@click.option("--oracle", type=click.Choice(ORACLE_KINDS), default="all", show_default=True,
              help="Prove with the committee, over Hyperlane, or whatever the file configures.")
@_ONCE
@_ROUNDS
@_RESYNC
@click.option("--quiet", is_flag=True, help="Only log warnings.")
@json_option
@click.pass_context
def relay(ctx: click.Context, config_path: str, oracle: str, once: bool, rounds: int | None, resync: tuple[int, ...],
          quiet: bool, as_json: bool) -> None:
    """Prove fills and non-fills (committee attestations, or Hyperlane messages signed by its
    validator keys and delivered), then settle and refund on the origins."""
    _logging(not quiet)
    relayer = Relayer(load_relay_config(config_path, oracle))
    try:
        _run(ctx, relayer, "relayer", once, rounds, resync, as_json)
    finally:
        relayer.close()


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="The solver's TOML file (chains, routes, key variable, agent, payout).")
@_ONCE
@_ROUNDS
@_RESYNC
@click.option("--quiet", is_flag=True, help="Only log warnings.")
@json_option
@click.pass_context
def solve(ctx: click.Context, config_path: str, once: bool, rounds: int | None, resync: tuple[int, ...], quiet: bool,
          as_json: bool) -> None:
    """Fill orders that the policy allows, as a registered agent, naming a payout address."""
    _logging(not quiet)
    solver = Solver(load_solver_config(config_path))
    try:
        _run(ctx, solver, "solver", once, rounds, resync, as_json)
    finally:
        solver.close()

__all__ = ["relay", "solve"]

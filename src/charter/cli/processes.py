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


def _rounds(once: bool, rounds: int | None) -> int | None:
    return 1 if once else rounds


def _printer(as_json: bool, update: Any, name: str, summary: Any) -> Any:
    rounds = 0

    def show(report: StepReport | SolveReport) -> None:
        nonlocal rounds
        rounds += 1
        update(f"{name}: round {rounds} done ({summary()}); waiting for the next…")
        if as_json and report.busy:
            click.echo(json.dumps({"round": vars(report)}))

    return show


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="The relayer's TOML file (chains, oracles, key variables).")
@click.option("--oracle", type=click.Choice(ORACLE_KINDS), default="all", show_default=True,
              help="Prove with the committee, over Hyperlane, or whatever the file configures.")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--rounds", type=click.IntRange(min=1), help="Exit after this many rounds.")
@click.option("--quiet", is_flag=True, help="Only log warnings.")
@json_option
@click.pass_context
def relay(ctx: click.Context, config_path: str, oracle: str, once: bool, rounds: int | None, quiet: bool,
          as_json: bool) -> None:
    """Prove fills and non-fills (committee attestations, or Hyperlane messages signed by its
    validator keys and delivered), then settle and refund on the origins."""
    _logging(not quiet)
    as_json = wants_json(ctx, as_json) if ctx.obj is not None else as_json
    relayer = Relayer(load_relay_config(config_path, oracle))
    try:
        with progress("relayer: first round…") as update:
            relayer.run(max_rounds=_rounds(once, rounds),
                        on_round=_printer(as_json, update, "relayer", relayer.progress))
        if as_json:
            click.echo(json.dumps({"orders": relayer.store.counts()}))
        else:
            click.echo(f"relayer: {relayer.progress()}")
    finally:
        relayer.close()


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="The solver's TOML file (chains, routes, key variable, agent, payout).")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--rounds", type=click.IntRange(min=1), help="Exit after this many rounds.")
@click.option("--quiet", is_flag=True, help="Only log warnings.")
@json_option
@click.pass_context
def solve(ctx: click.Context, config_path: str, once: bool, rounds: int | None, quiet: bool, as_json: bool) -> None:
    """Fill orders that the policy allows, as a registered agent, naming a payout address."""
    _logging(not quiet)
    as_json = wants_json(ctx, as_json) if ctx.obj is not None else as_json
    solver = Solver(load_solver_config(config_path))
    try:
        with progress("solver: first round…") as update:
            solver.run(max_rounds=_rounds(once, rounds),
                       on_round=_printer(as_json, update, "solver", lambda: _seen(solver.store.seen_counts())))
        counts = solver.store.seen_counts()
        if as_json:
            click.echo(json.dumps({"orders": counts}))
        else:
            click.echo("solver: " + _seen(counts))
    finally:
        solver.close()


def _seen(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no orders yet"


# ---------------------------------------------------------------- one order



__all__ = ["relay", "solve"]

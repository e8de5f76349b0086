"""The processes layer: the long-running programs that watch chains and act on them.

They drive the protocol layers below (:mod:`charter.intents`,
:mod:`charter.hyperlane`, :mod:`charter.registry`, :mod:`charter.sessions`), which never import them.

    relayer.py     Relayer (`charter relay`): proves fills and non-fills, settles and refunds
    solver.py      Solver (`charter solve`): a reference filler that fills what its policy allows
    hyperlane.py   MessageRelay: the relayer's Hyperlane half (validator and relayer for Charter's reports)
    propagate.py   Propagation: the relayer carries kills first (agents' states to their mirrors, signed revocations)
    store.py       Store: what a process learned, with its scan cursors and block hashes, in SQLite
    loop.py        RoundLoop: a worker thread per chain, stopped within seconds by SIGINT / SIGTERM
    chain.py       Link: one chain's bounded RPC, identity (chain id, genesis), reorg and reset checks
    sender.py      Pipeline: many transactions per block from one key (consecutive nonces)
    preflight.py   start-up checks of a configuration against the chains
    config.py      the TOML files of `charter relay` and `charter solve`
"""

from .config import ORACLE_KINDS, load_relay_config, load_solver_config
from .hyperlane import HyperlaneConfig, MessageRelay
from .loop import RoundLoop
from .relayer import ChainConfig, RelayConfig, Relayer, StepReport
from .solver import Policy, Route, Solver, SolverConfig, SolveReport
from .store import Store

__all__ = [
    "ORACLE_KINDS",
    "ChainConfig",
    "HyperlaneConfig",
    "MessageRelay",
    "Policy",
    "RelayConfig",
    "Relayer",
    "RoundLoop",
    "Route",
    "SolveReport",
    "Solver",
    "SolverConfig",
    "StepReport",
    "Store",
    "load_relay_config",
    "load_solver_config",
]

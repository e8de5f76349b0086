"""The chaos harness: two anvils, RPC proxies, the relayer and the solver as processes, faults, a checker.

    chains.py      Anvil (fixed port, kill -9, restart), the deployments on A and B
    proxy.py       RpcProxy: pass, lag N, lb-lag N, hang, down, error, switched at run time
    processes.py   `charter relay` / `charter solve` as processes: TOML files, logs, SIGTERM, kill -9
    orders.py      the user's orders on A for B, one at a time or as a stream
    checker.py     the invariants, from chain state alone, and the figures
    world.py       Chaos: all of it together, with the faults

tests/chaos/test_chaos.py runs the short scenarios (in `make test`);
tools/chaos.py the long run with random faults (`make chaos`).
"""

from .chains import CHAIN_A, CHAIN_B, Anvil, Deployed
from .checker import Figures, Violation, check
from .orders import NOBODYS_TOKEN, Orders, Placed
from .processes import Exit, Process, Stop
from .proxy import RpcProxy
from .world import Chaos

__all__ = [
    "CHAIN_A",
    "CHAIN_B",
    "NOBODYS_TOKEN",
    "Anvil",
    "Chaos",
    "Deployed",
    "Exit",
    "Figures",
    "Orders",
    "Placed",
    "Process",
    "RpcProxy",
    "Stop",
    "Violation",
    "check",
]

"""``charter console``: the principal's console in the browser (see :mod:`charter.console.server`).

    charter console --principal 0xAlice --chains 31337=http://127.0.0.1:8545,31338=http://127.0.0.1:8546
    charter console --chains 31337,31338 --dev-key-env CHARTER_PRIVATE_KEY      # development: a local key signs
"""

from __future__ import annotations

import os
import signal
import threading
import webbrowser

import click

from .._core.checks import check_address
from ..exceptions import InvalidInput
from ._common import chain_states, get_state, key_from_env


@click.command("console")
@click.option("--chains", "chains_spec", required=True, metavar="ID[=URL],...",
              help="The chains to show, each ID=URL or ID with its URL in $CHARTER_RPC_<ID> (or --rpc's chain).")
@click.option("--principal", metavar="ADDRESS",
              help="Whose agents, accounts and grants (default: the development key's address).")
@click.option("--account", "accounts", multiple=True, metavar="ADDRESS",
              help="A deployed Charter account of the principal's to show too (repeat for more).")
@click.option("--db", default=None, metavar="FILE",
              help="The console's SQLite cache (default: charter-console-<principal>.sqlite here).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Where to listen. Anything but this machine's loopback lets others on the network see it.")
@click.option("--port", type=click.IntRange(0, 65535), default=8600, show_default=True, help="0: any free port.")
@click.option("--dev-key-env", metavar="NAME",
              help="Development mode: the key in $NAME (the principal's) signs the actions instead of a wallet.")
@click.option("--open/--no-open", "open_browser", default=True, show_default=True,
              help="Open the console in the default browser.")
@click.pass_context
def console_command(ctx: click.Context, chains_spec: str, principal: str | None, accounts: tuple[str, ...],
                    db: str | None, host: str, port: int, dev_key_env: str | None, open_browser: bool) -> None:
    """Serve the principal's console: agents, grants with what they could still move, intents,
    and buttons that revoke, revoke all (on one chain or every chain), pause, resume or retire —
    each signed by your wallet in the browser (or the development key)."""
    try:
        from ..console.server import Console, ConsoleConfig, ConsoleServer
    except ImportError as exc:  # the `console` extra is missing
        raise InvalidInput(f"charter console needs its web packages ({exc.name} is missing): "
                           "pip install 'charter[console]'") from None
    state = get_state(ctx)
    chains = chain_states(state, chains_spec)
    dev_key = None
    if dev_key_env is not None:
        dev_key = key_from_env(dev_key_env, f"development mode signs with the key in ${dev_key_env}: set it")
    if principal is None:
        if dev_key is None:
            raise InvalidInput("say whose console this is: --principal ADDRESS (or --dev-key-env NAME)")
        principal = dev_key.address
    principal = check_address(principal, "--principal")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: anyone who reaches it sees this principal's grants", err=True)
    config = ConsoleConfig(
        principal=principal, chains=[(c.chain_id, c.rpc) for c in chains],
        db=db or f"charter-console-{principal.lower()}.sqlite", host=host, port=port,
        accounts=tuple(check_address(a, "--account") for a in accounts), dev_key=dev_key)
    server = ConsoleServer(Console(config, connect=lambda chain_id, _: next(c.w3 for c in chains
                                                                             if c.chain_id == chain_id)))
    url = server.start()
    click.echo(f"Charter console for {principal} on chains {', '.join(str(c.chain_id) for c in chains)}: {url}")
    click.echo("signing: " + ("the development key" if dev_key else "your browser's wallet") + "; Ctrl-C stops it")
    if open_browser and not os.environ.get("CI"):
        webbrowser.open(url)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

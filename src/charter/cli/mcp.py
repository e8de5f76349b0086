"""``charter mcp``: serve an agent runtime over MCP, holding only a session key.

    export CHARTER_SESSION_KEY=0x…          # the agent's session key (never in the file)
    charter mcp --config mcp.toml           # stdio: the client starts this command
    charter mcp --config mcp.toml --http 127.0.0.1:8000    # streamable HTTP at http://127.0.0.1:8000/mcp

What it serves is printed on stderr (stdout carries the protocol on stdio).
The file format is in :mod:`charter.agents.config`; docs/agents.md has the
client configuration and the tools.
"""

from __future__ import annotations

import click

from ..exceptions import InvalidInput


@click.command("mcp")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="The server's TOML file: agent_id, [[chains]], grants, approvals, [paid].")
@click.option("--http", "http", metavar="HOST:PORT",
              help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.")
def mcp_command(config_path: str, http: str | None) -> None:
    """Serve the agent's tools over MCP (stdio, or streamable HTTP with --http).

    The tools act only through the session key in $CHARTER_SESSION_KEY (or the
    variable the file names), under the grants the principal signed: the chain
    refuses anything else, and the server refuses it first, spending no gas.
    """
    try:
        from ..agents.server import serve
    except ImportError as exc:  # the `agents` extra is missing
        raise InvalidInput(f"charter mcp needs the MCP and x402 packages ({exc.name} is missing): "
                           "pip install 'charter[agents]'") from None
    host, port = None, None
    if http is not None:
        host, _, port_text = http.rpartition(":")
        if not host or not port_text.isdigit() or int(port_text) > 65535:
            raise InvalidInput(f"--http is HOST:PORT, e.g. 127.0.0.1:8000, got {http!r}")
        port = int(port_text)
    serve(config_path, host, port, lambda line: click.echo(line, err=True))

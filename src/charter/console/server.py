"""``charter console``: the principal's console, a local web application.

    charter console --principal 0xAlice --chains 31337=http://127.0.0.1:8545,31338=http://127.0.0.1:8546

One principal, every configured chain: the agents they own or that act for their accounts, every
grant of those accounts with what it could still move (value at risk), the intents, and buttons
that revoke a grant, revoke everything of an account (on one chain or on each), and pause, resume
or retire an agent. Pages are rendered on the server from the console's SQLite cache
(:mod:`charter.console.index`), refreshed in the background while a page is open.

Who acts: the principal's wallet in the browser (EIP-1193 ``window.ethereum``). The server only
*prepares* a transaction (and simulates it, so a refusal is said before the wallet is asked) and,
given the hash the wallet returned, *confirms* it: the expected event and the state read back
(:mod:`charter.console.actions`). In development mode (``--dev-key-env``) a local key sends instead.

Grant requests (``/approve?request=URL``, :mod:`charter.console.approve`): the principal signs the
requested grant with the wallet, or issues it on chain (``/api/approve/issue-prepare``, the wallet
sends, ``/api/approve/issue-confirm``), after editing it down if they like (``/api/approve/edit``
shows the edited grant; the server rebuilds it from the request and the edits every time), or
refuses it; the answer goes back to the requester.

Safety of a local server: it listens on 127.0.0.1 unless told otherwise; requests naming another
Host are refused (DNS rebinding); every POST needs the page's own Origin, a JSON body and the
per-process token the pages carry (``X-Charter-Token``), so another site open in the same browser
can neither read the pages nor drive the buttons; pages forbid framing and inline scripts.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from web3 import Web3

from .._core.chain import connect_chain
from .._core.signers import Signer
from ..exceptions import CharterError, InvalidInput
from .actions import Action, confirm, prepare, send_with_key
from .approve import (
    GrantRequest,
    confirm_issue,
    forward_refusal,
    forward_signature,
    load_request,
    prepare_issue,
    preview,
)
from .index import STATUS_KEYS, ConsoleIndex

STATIC = Path(__file__).with_name("static")
STATUSES = tuple(dict.fromkeys(STATUS_KEYS.values()))
"""The grant statuses the overview filters by."""
TOKEN_HEADER = "X-Charter-Token"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class ConsoleConfig:
    principal: str
    chains: list[tuple[int, str]]
    """(chain id, RPC URL) of every chain the console reads."""
    db: str = "console.sqlite"
    host: str = "127.0.0.1"
    port: int = 8600
    accounts: Sequence[str] = ()
    """Charter accounts of the principal besides its own address (deployed accounts)."""
    dev_key: Signer | None = None
    """Development mode: this key (the principal's) signs the actions instead of a wallet."""
    refresh_interval: float = 2.0
    address_book: dict[str, str] = field(default_factory=dict)


class Console:
    """The console's state: chains, cache, the background refresh, the page token."""

    def __init__(self, config: ConsoleConfig, *, index: Any | None = None,
                 connect: Callable[[int, str], Web3] | None = None) -> None:
        self.config = config
        make = connect or (lambda chain_id, url: connect_chain(chain_id, url, "--chains"))
        self.w3s: dict[int, Web3] = {chain_id: make(chain_id, url) for chain_id, url in config.chains}
        self.principal = Web3.to_checksum_address(config.principal)
        self.key: Signer | None = config.dev_key
        if self.key is not None and self.key.address != self.principal:
            raise InvalidInput(f"the development key is {self.key.address}, not the principal {self.principal}: "
                               "give the principal's key, or leave development mode")
        if index is None:
            index = ConsoleIndex(config.db, self.principal, list(self.w3s.items()), accounts=tuple(config.accounts),
                                 address_book=config.address_book)
        self.index = index
        self.token = secrets.token_urlsafe(24)
        self.version = 0
        self.refreshed_at = 0.0
        self.error: str | None = None
        self._watched_until = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ refresh

    def refresh(self) -> None:
        """Read what changed on every chain into the cache (one at a time)."""
        with self._lock:
            try:
                report = self.index.refresh()
            except CharterError as exc:
                self.error = str(exc)
                return
            self.error = "; ".join(getattr(report, "errors", [])) or None
            self.refreshed_at = time.time()
            if report or self.version == 0:
                self.version += 1

    def watched(self) -> None:
        """A page asked: keep refreshing for a while."""
        self._watched_until = time.monotonic() + 30

    def start(self) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="charter-console-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.config.refresh_interval):
            if time.monotonic() < self._watched_until:
                self.refresh()

    # ------------------------------------------------------------ actions

    def w3(self, chain_id: int) -> Web3:
        return self.w3s[chain_id]


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("charter.console", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["short"] = _short
    env.filters["when"] = _when
    return env


def _short(value: Any, n: int = 10) -> Any:
    """``0x12345678…`` for long hex (the full value stays in the page's links and titles)."""
    text = str(value) if value is not None else ""
    return text[: n + 2] + "…" if len(text) > n + 2 else value


def _when(timestamp: int | None) -> str:
    if not timestamp:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(timestamp)))


def _refused(message: str, status: int = 403) -> JSONResponse:
    return JSONResponse({"done": False, "error": "Refused", "message": message}, status_code=status)


def _failure(exc: BaseException) -> JSONResponse:
    kind = type(exc).__name__
    return JSONResponse({"done": False, "error": kind, "message": str(exc)}, status_code=400)


def create_app(console: Console) -> Starlette:
    """The console's Starlette app."""
    env = _environment()
    rpc_origins = " ".join(sorted({f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
                                   for _, url in console.config.chains}))
    policy = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              f"connect-src 'self' {rpc_origins}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

    def page(template: str, request: Request, **context: Any) -> HTMLResponse:
        console.watched()
        body = env.get_template(template).render(
            request=request, console=console, token=console.token, dev=console.key is not None,
            chains=[c for c, _ in console.config.chains], principal=console.principal, **context)
        return HTMLResponse(body, headers={"Content-Security-Policy": policy, "X-Frame-Options": "DENY",
                                           "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})

    async def overview(request: Request) -> Response:
        q = request.query_params
        filters = {name: q.get(name) or "" for name in ("status", "agent", "key", "chain")}
        grants = console.index.grants(
            status=filters["status"] or None, agent=int(filters["agent"]) if filters["agent"].isdigit() else None,
            session_key=filters["key"] or None, chain=int(filters["chain"]) if filters["chain"].isdigit() else None)
        return page("overview.html", request, agents=console.index.agents(), accounts=console.index.accounts(),
                    grants=grants, intents=console.index.intents(), totals=console.index.totals(), filters=filters,
                    statuses=STATUSES)

    async def grant_page(request: Request) -> Response:
        chain = int(request.path_params["chain"])
        found = console.index.grant(chain, str(request.path_params["grant_hash"]))
        if found is None:
            return page("missing.html", request, what=f"grant {request.path_params['grant_hash']} on chain {chain}")
        return page("grant.html", request, grant=found)

    async def approve_page(request: Request) -> Response:
        url = request.query_params.get("request", "")
        try:
            found: GrantRequest = await anyio.to_thread.run_sync(load_request, url, console.w3s)
        except CharterError as exc:
            return page("missing.html", request, what=f"the grant request at {url!r}", reason=str(exc))
        return page("approve.html", request, req=found)

    async def version(request: Request) -> Response:
        console.watched()
        return JSONResponse({"version": console.version, "refreshed_at": console.refreshed_at,
                             "error": console.error})

    def guarded(handler: Callable[[Request, dict[str, Any]], Any]) -> Callable[[Request], Any]:
        """POST handlers: same origin, JSON, the page token; then `handler(request, body)`."""

        async def run(request: Request) -> Response:
            origin = request.headers.get("origin")
            if origin != f"{request.url.scheme}://{request.headers.get('host')}":
                return _refused(f"cross-origin request refused (Origin {origin!r}): use the console's own pages")
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return _refused("send JSON (Content-Type: application/json)", 415)
            if not secrets.compare_digest(request.headers.get(TOKEN_HEADER, ""), console.token):
                return _refused("missing or stale page token: reload the console page")
            try:
                body = await request.json()
            except ValueError:
                return _refused("the body is not JSON", 400)
            try:
                return JSONResponse(await handler(request, body if isinstance(body, dict) else {}))
            except CharterError as exc:
                return _failure(exc)

        return run

    chains = {c for c, _ in console.config.chains}

    async def prepare_action(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        action = Action.parse(body, chains)
        sender = str(body.get("from") or "")
        tx = await anyio.to_thread.run_sync(prepare, console.w3(action.chain_id), action, sender)
        return {"tx": tx, "label": action.label}

    async def confirm_action(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        action = Action.parse(body, chains)
        outcome = await anyio.to_thread.run_sync(confirm, console.w3(action.chain_id), action,
                                                 str(body.get("tx_hash") or ""))
        await anyio.to_thread.run_sync(console.refresh)
        return outcome.as_dict()

    async def dev_action(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if console.key is None:
            raise InvalidInput("development mode is off: sign with your wallet")
        action = Action.parse(body, chains)
        key = console.key
        outcome = await anyio.to_thread.run_sync(send_with_key, console.w3(action.chain_id), action, key)
        await anyio.to_thread.run_sync(console.refresh)
        return outcome.as_dict()

    async def approve_edit(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(preview, str(body.get("request") or ""), body.get("edits"),
                                              console.w3s)

    async def approve_sign(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(forward_signature, str(body.get("request") or ""),
                                              str(body.get("signature") or ""), console.w3s, body.get("edits"))

    async def approve_issue_prepare(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(prepare_issue, str(body.get("request") or ""), body.get("edits"),
                                              str(body.get("from") or ""), console.w3s)

    async def approve_issue_confirm(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        answer = await anyio.to_thread.run_sync(confirm_issue, str(body.get("request") or ""), body.get("edits"),
                                                str(body.get("tx_hash") or ""), console.w3s)
        await anyio.to_thread.run_sync(console.refresh)
        return answer

    async def approve_refuse(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(forward_refusal, str(body.get("request") or ""))

    hosts = list(LOOPBACK) if console.config.host in LOOPBACK else [console.config.host]
    return Starlette(
        routes=[
            Route("/", overview),
            Route("/grants/{chain:int}/{grant_hash}", grant_page),
            Route("/approve", approve_page),
            Route("/api/version", version),
            Route("/api/prepare", guarded(prepare_action), methods=["POST"]),
            Route("/api/confirm", guarded(confirm_action), methods=["POST"]),
            Route("/api/dev", guarded(dev_action), methods=["POST"]),
            Route("/api/approve/edit", guarded(approve_edit), methods=["POST"]),
            Route("/api/approve/sign", guarded(approve_sign), methods=["POST"]),
            Route("/api/approve/issue-prepare", guarded(approve_issue_prepare), methods=["POST"]),
            Route("/api/approve/issue-confirm", guarded(approve_issue_confirm), methods=["POST"]),
            Route("/api/approve/refuse", guarded(approve_refuse), methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
    )


class ConsoleServer:
    """The console on its own thread (uvicorn): :meth:`start` returns its URL."""

    def __init__(self, console: Console) -> None:
        import uvicorn

        self.console = console
        self.config = uvicorn.Config(create_app(console), host=console.config.host, port=console.config.port,
                                     log_level="warning", lifespan="off")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name="charter-console", daemon=True)

    def start(self, wait: float = 15.0) -> str:
        self.console.start()
        self.thread.start()
        until = time.monotonic() + wait
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > until:
                self.console.stop()
                raise CharterError(f"the console could not listen on {self.config.host}:{self.config.port} (in use?): "
                                   "choose another --port")
            time.sleep(0.02)
        sockets = [s for server in self.server.servers for s in server.sockets]
        port = sockets[0].getsockname()[1] if sockets else self.config.port
        host = self.config.host if self.config.host != "::1" else "[::1]"
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.console.stop()


__all__ = ["Console", "ConsoleConfig", "ConsoleServer", "create_app"]

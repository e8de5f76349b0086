"""The page where the principal reviews a grant request in plain words, and signs or refuses it.

Served by ``charter mcp`` (on ``approvals = "HOST:PORT"``, 127.0.0.1 by default), and by
``charter grant request`` for its one request (any :class:`Requests` can be served):

    GET  /grant-requests/ID          the request in plain words, with warnings, and a button that signs it
                                     with the browser's wallet (EIP-1193 ``eth_signTypedData_v4``)
    GET  /grant-requests/ID.json     the same for scripts (``charter grant approve URL``)
    POST /grant-requests/ID          {"signature": "0x…", "agent_consent": "0x…"}: the grant is in force
                                     once the signature is the account's (checked against the chain)
                                     {"issued_tx": "0x…"}: the principal issued the grant on chain; in
                                     force once the chain shows that grant active for the account
                                     either with "grant": {…}: the grant given instead of the requested
                                     one, taken only when it is within it (edited down)
    POST /grant-requests/ID/refuse   the principal says no

Nothing here trusts the page's visitor: a grant is in force only with the
account's signature of exactly the grant given, or with the chain showing
it issued, and only when that grant is the requested one or within it
(:func:`~charter.sessions.narrow.narrower`). The request's `reason` is the
agent's words and is shown as such. Approved, the request's JSON records
the grant given (``approved``: its hash, the grant, how it was given).
"""

from __future__ import annotations

import html
import json
import threading
import time
from typing import Any, Protocol

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..exceptions import CharterError
from .service import Refusal, refusal_of


class Requests(Protocol):
    """What the approvals site serves: grant requests by id, answered with a signature or a refusal
    (:class:`~charter.agents.service.AgentService`, or ``charter grant request``'s one request)."""

    approvals_base: str | None
    """Where the site listens (set by :class:`ApprovalsServer` once it does)."""

    def grant_request(self, request_id: str) -> dict[str, Any]: ...

    def approve(self, request_id: str, signature: str = "", agent_consent: str = "", *, grant: Any = None,
                issued_tx: str = "") -> dict[str, Any]: ...

    def refuse(self, request_id: str) -> dict[str, Any]: ...


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Charter grant request {id}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }}
.warn {{ background: #fff1e6; border-left: 4px solid #d9480f; padding: .5rem 1rem; }}
.said {{ background: #f1f3f5; padding: .5rem 1rem; font-style: italic; }}
code, pre {{ font-size: .85rem; }} pre {{ background: #f8f9fa; padding: 1rem; overflow-x: auto; }}
button {{ font-size: 1rem; padding: .5rem 1rem; margin-right: 1rem; }}
</style></head><body>
<h1>Agent {agent} asks for a grant</h1>
<p>Status: <strong id="status">{status}</strong> · chain {chain} · account <code>{account}</code></p>
<p>If you sign, session key <code>{key}</code> may, for account <code>{account}</code>:</p>
<ul>{lines}</ul>
{warnings}
<p>The agent says (its own words, not checked):</p><p class="said">{reason}</p>
<p><button id="sign" {disabled}>Sign with my wallet</button><button id="refuse" {disabled}>Refuse</button></p>
<p id="result"></p>
<details><summary>What the wallet signs (EIP-712)</summary><pre>{typed}</pre></details>
<p>From a terminal: <code>charter grant approve {url}</code></p>
<script>
const typed = {typed_json};
const account = {account_json};
const show = (text) => {{ document.getElementById("result").textContent = text; }};
async function post(path, body) {{
  const r = await fetch(path, {{method: "POST", headers: {{"Content-Type": "application/json"}},
                                body: JSON.stringify(body || {{}})}});
  return [r.ok, await r.json()];
}}
document.getElementById("sign").onclick = async () => {{
  if (!window.ethereum) {{ show("No wallet in this browser: use `charter grant approve` instead."); return; }}
  try {{
    const accounts = await window.ethereum.request({{method: "eth_requestAccounts"}});
    const signature = await window.ethereum.request({{method: "eth_signTypedData_v4",
                                                     params: [accounts[0], JSON.stringify(typed)]}});
    const [ok, answer] = await post(location.pathname, {{signature}});
    show(ok ? "Signed: grant " + answer.grant + " is in force for the agent." : "Refused: " + answer.message);
    if (ok) document.getElementById("status").textContent = "approved";
  }} catch (e) {{ show("Nothing was signed: " + (e.message || e)); }}
}};
document.getElementById("refuse").onclick = async () => {{
  const [ok, answer] = await post(location.pathname + "/refuse");
  show(ok ? "Refused: the agent gets nothing." : answer.message);
  document.getElementById("status").textContent = answer.status || "refused";
}};
</script></body></html>
"""


def render(record: dict[str, Any], url: str) -> str:
    """The request as a page (every value from the request is escaped)."""
    e = html.escape
    lines = "".join(f"<li>{e(line.strip().removeprefix('- '))}</li>" for line in record["summary"][1:])
    warnings = "".join(f"<p class='warn'>Warning — {e(w)}</p>" for w in record.get("unbounded", []))
    typed_json = json.dumps(record["typed_data"]).replace("</", "<\\/")
    return _PAGE.format(
        id=e(record["id"]), agent=e(str(record["grant"]["agent_id"])), status=e(record["status"]),
        chain=e(str(record["chain_id"])), account=e(record["account"]), key=e(record["grant"]["session_key"]),
        lines=lines, warnings=warnings, reason=e(record.get("reason") or "(no reason given)"),
        disabled="" if record["status"] == "pending" else "disabled",
        typed=e(json.dumps(record["typed_data"], indent=2)), url=e(url), typed_json=typed_json,
        account_json=json.dumps(record["account"]),
    )


def _error(exc: BaseException, status: int = 400) -> JSONResponse:
    refusal = refusal_of(exc)
    return JSONResponse(refusal.as_dict(), status_code=404 if refusal.reason == "UnknownRequest" else status)


def app(service: Requests, host: str = "127.0.0.1") -> Starlette:
    """The approvals site of `service` (a Starlette app). Requests naming another host are refused
    (a page elsewhere cannot reach it by DNS rebinding)."""

    async def page(request: Request) -> Response:
        raw = str(request.path_params["request_id"])
        as_json = raw.endswith(".json")
        request_id = raw.removesuffix(".json")
        try:
            record = service.grant_request(request_id)
        except Refusal as exc:
            return _error(exc)
        if as_json:
            return JSONResponse(record)
        return HTMLResponse(render(record, str(request.url)))

    async def sign(request: Request) -> Response:
        usage = "send JSON: {\"signature\": \"0x…\"} or {\"issued_tx\": \"0x…\"}, with \"grant\" when it is not " \
                "the grant requested"
        try:
            body = await request.json()
        except ValueError:
            return _error(Refusal("InvalidInput", usage))
        if not isinstance(body, dict):
            return _error(Refusal("InvalidInput", usage))
        signature, issued_tx = body.get("signature") or "", body.get("issued_tx") or ""
        if not isinstance(signature, str) or not isinstance(issued_tx, str) or not (signature or issued_tx):
            return _error(Refusal("InvalidInput", usage))
        consent = body.get("agent_consent") or ""
        if not isinstance(consent, str):
            return _error(Refusal("InvalidInput", "agent_consent is 0x-hex"))
        grant = body.get("grant")
        if grant is not None and not isinstance(grant, dict):
            return _error(Refusal("InvalidInput", "grant is the grant given, as the request's JSON shows one"))

        def answer() -> dict[str, Any]:
            return service.approve(str(request.path_params["request_id"]), signature, consent, grant=grant,
                                   issued_tx=issued_tx)

        try:
            return JSONResponse(await anyio.to_thread.run_sync(answer))
        except CharterError as exc:
            return _error(exc)

    async def refuse(request: Request) -> Response:
        try:
            return JSONResponse(service.refuse(str(request.path_params["request_id"])))
        except Refusal as exc:
            return _error(exc)

    hosts = [host] + (["127.0.0.1", "localhost"] if host in ("127.0.0.1", "localhost", "0.0.0.0") else [])
    return Starlette(routes=[
        Route("/grant-requests/{request_id}", page, methods=["GET"]),
        Route("/grant-requests/{request_id}", sign, methods=["POST"]),
        Route("/grant-requests/{request_id}/refuse", refuse, methods=["POST"]),
    ], middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts if host != "0.0.0.0" else ["*"])])


class ApprovalsServer:
    """The approvals site on its own thread (uvicorn), so it runs beside stdio and HTTP transports alike."""

    def __init__(self, service: Requests, host: str, port: int) -> None:
        import uvicorn

        self.config = uvicorn.Config(app(service, host), host=host, port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name="charter-approvals", daemon=True)
        self.service = service

    def start(self, wait: float = 10.0) -> str:
        self.thread.start()
        until = time.monotonic() + wait
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > until:
                raise CharterError(f"the approvals page could not listen on {self.config.host}:{self.config.port} "
                                   "(in use?): set `approvals` to another HOST:PORT, or \"off\"")
            time.sleep(0.02)
        sockets = [s for server in self.server.servers for s in server.sockets]
        port = sockets[0].getsockname()[1] if sockets else self.config.port
        base = f"http://{self.config.host}:{port}"
        self.service.approvals_base = base
        return base

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

"""``charter mcp``: the MCP server an agent runtime connects to (stdio or streamable HTTP).

Its tools act only through the session key, under the grants the principal
signed; the chain enforces each grant whatever the model asks. Every answer
is JSON (``structuredContent``, and the same as text): a result with its
receipt, or a refusal ``{"refused": true, "reason": "OverBudget", "message":
…, "fix": …}`` marked as a tool error.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from .._core.signers import LocalSigner, private_key_from_env
from ..exceptions import CharterError, InvalidInput
from .approvals import ApprovalsServer
from .config import load_agent_config
from .service import AgentService, Refusal, receipt_of, refusal_of

if TYPE_CHECKING:
    from .paid import PaidAPIs

INSTRUCTIONS = """Charter: act on chain for your principal, within the grants they signed.
Start with charter_status: it lists each grant in force, what it allows in plain words, and what is left.
Every action runs as a session of the principal's account; the chain refuses anything outside a grant,
and the tools refuse it first (spending no gas) with the reason and what would make it pass.
Need more authority? charter_request_grant returns a link for your principal to review and sign."""

GrantRef = Annotated[str | None, Field(
    description="The grant to act under: its hash (or a prefix of 10+ characters) or file name, as charter_status "
                "lists it. Optional when only one grant is in force.")]


class CallSpec(BaseModel):
    """One call from the principal's account."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="The contract (or address) called, 0x-address.")
    function: str | None = Field(None, description="Its function signature, e.g. 'transfer(address,uint256)'. "
                                 "Omit it (and args) for a plain ETH send, or give raw `data` instead.")
    args: list[Any] | None = Field(None, description="The arguments, in order. Amounts may be raw units (integers) "
                                   "or strings with their token, e.g. '2.5 USDC' or '2.5 0xToken'; '2.5' alone "
                                   "reads the target's decimals.")
    data: str | None = Field(None, description="Raw calldata as 0x-hex, instead of function + args.")
    value: StrictInt | str = Field(0, description="Wei sent with the call (integer) or e.g. '0.01 ETH'.")


class Amount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(description="The token's 0x-address, or 'native'.")
    amount: StrictInt | str = Field(description="Raw units (integer), or a decimal string such as '2.5' in the token's "
                              "decimals.")


class OutputSpec(Amount):
    recipient: str | None = Field(None, description="Who receives it on the destination chain (default: the "
                                  "principal's account).")


def _answer(data: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(data, indent=1, default=str))],
                          structured_content=data)


def _refused(refusal: Refusal) -> CallToolResult:
    data = refusal.as_dict()
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(data, indent=1, default=str))],
                          structured_content=data, is_error=True)


async def run_tool(fn: Any, *args: Any, **kwargs: Any) -> CallToolResult:
    """`fn` on a worker thread; any failure is a refusal, never a crash or a traceback."""
    try:
        return _answer(await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs)))
    except Exception as exc:  # noqa: BLE001 - every failure is answered as a typed refusal
        if isinstance(exc, CharterError):
            return _refused(refusal_of(exc))
        if isinstance(exc, ValueError):  # a value the SDK's models refuse (pydantic), or too many digits
            return _refused(Refusal("InvalidInput", _first_line(exc)))
        message = " ".join(str(exc).split())[:300] or type(exc).__name__
        return _refused(Refusal("Unexpected", f"{type(exc).__name__}: {message}",
                                "read charter_status before retrying: nothing is reported done without a receipt"))


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "…") if len(text) > 300 else text or type(exc).__name__


async def typed_errors(ctx: Any, call_next: Any) -> Any:
    """Tool errors the MCP layer makes itself (arguments its input schema refuses, an unknown tool)
    answered as typed refusals too, like every other refusal. The result arrives serialized (a dict)."""
    result = await call_next(ctx)
    if getattr(ctx, "method", None) != "tools/call":
        return result
    wire = isinstance(result, dict)
    answer = CallToolResult.model_validate(result) if wire else result
    if not isinstance(answer, CallToolResult) or not answer.is_error or answer.structured_content is not None:
        return result
    text = " ".join(getattr(answer.content[0], "text", "").split()) if answer.content else ""
    if text.startswith("Unknown tool"):
        refusal = Refusal("UnknownTool", text[:200])
    else:
        refusal = Refusal("InvalidInput", (text[:400] + "…") if len(text) > 400 else text)
    typed = _refused(refusal)
    return typed.model_dump(by_alias=True, exclude_none=True, mode="json") if wire else typed


def build_server(service: AgentService, paid: PaidAPIs | None = None) -> MCPServer:
    """The MCP server of `service` (and of `paid`, when paid APIs are configured)."""
    mcp = MCPServer(name="charter", title="Charter: bounded authority for this agent", instructions=INSTRUCTIONS,
                    version="0.1.0", middleware=[typed_errors])
    readonly = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
    acting = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False,
                             open_world_hint=True)

    @mcp.tool(name="charter_status", annotations=readonly, description=(
        "The agent (id, status on each chain) and each grant in force: what it allows in plain words, its "
        "window and seconds left, budgets spent and left per token and period (with decimals and symbols), calls "
        "left, and can_move_now: what the grant could still move at this moment. Reads only."))
    async def charter_status(grant: GrantRef = None) -> CallToolResult:
        return await run_tool(service.status, grant)

    @mcp.tool(name="charter_call", annotations=acting, description=(
        "Make one call, or several as one all-or-nothing batch, from the principal's account under a grant. "
        "The call is simulated first: a call the grant does not allow is refused with the chain's reason "
        "(OutOfScope, OverBudget, GrantExpired, GrantRevoked, SessionAgentInactive…) and what would make it pass, "
        "spending no gas. Returns the transaction hash and block once mined."))
    async def charter_call(calls: Annotated[list[CallSpec], Field(min_length=1, max_length=16,
                                                                   description="The calls, in order.")],
                           grant: GrantRef = None) -> CallToolResult:
        return await run_tool(service.call, grant, [c.model_dump(exclude_none=True) for c in calls])

    @mcp.tool(name="charter_open_intent", annotations=acting, description=(
        "Open a cross-chain intent (ERC-7683 order) from the principal's account under a grant: the inputs are "
        "escrowed on the grant's chain, and a solver delivers the outputs on the destination chain. The token "
        "approvals and the open run as one session batch within the grant's caps. Returns the order id."))
    async def charter_open_intent(
        destination_chain_id: Annotated[int, Field(ge=1, description="Where the outputs are delivered.")],
        inputs: Annotated[list[Amount], Field(min_length=1, max_length=8, description="What is escrowed here.")],
        outputs: Annotated[list[OutputSpec], Field(min_length=1, max_length=8,
                                                   description="What is delivered there.")],
        fill_within: Annotated[int, Field(ge=60, le=604_800, description="Seconds a solver has to fill.")] = 600,
        grant: GrantRef = None,
    ) -> CallToolResult:
        return await run_tool(service.open_intent, grant, destination_chain_id,
                              [i.model_dump() for i in inputs], [o.model_dump(exclude_none=True) for o in outputs],
                              fill_within)

    @mcp.tool(name="charter_intent_status", annotations=readonly, description=(
        "Where an intent this server opened stands: OPEN, FILLED (delivered, awaiting proof), SETTLED, EXPIRED or "
        "REFUNDED. Reads only."))
    async def charter_intent_status(
        order_id: Annotated[str, Field(description="The order id charter_open_intent returned (0x + 64 hex).")],
    ) -> CallToolResult:
        return await run_tool(service.intent_status, order_id)

    @mcp.tool(name="charter_request_grant", annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False),
              description=(
        "Ask the principal for authority: describe the grant you need; the server returns a request with a URL "
        "where the principal reviews it in plain words and signs it with their own key or wallet, or issues it "
        "on chain (nothing is granted until they do). They may give less than asked (lower caps, fewer calls, a "
        "shorter window, fewer permissions): the grant in force then has a hash of its own. Once approved, the "
        "grant is in force here and charter_status lists it. Ask for the least you need: a short window, exact "
        "recipients, token budgets."))
    async def charter_request_grant(
        ctx: Context,
        chain_id: Annotated[int, Field(ge=1, description="The chain the grant is for.")],
        allow: Annotated[list[str], Field(min_length=1, max_length=16, description=(
            "Permissions as TARGET:SIGNATURE:CONDITIONS, e.g. "
            "'0xToken:transfer(address to,uint256 amount):to=0xBob,amount<=100000000'; conditions NAME=V, "
            "NAME=V1|V2, NAME<=V, NAME>=V, NAME!=V, value<=WEI; 'TARGET::value<=WEI' for plain ETH sends."))],
        valid_for: Annotated[str, Field(description="How long: 30m, 1h, 7d…")] = "1h",
        token_budgets: Annotated[list[str], Field(max_length=8, description=(
            "Token caps as TOKEN:CAP or TOKEN:CAP/PERIOD in raw units, e.g. '0xToken:5000000/1d'."))] = [],  # noqa: B006
        native_budget: Annotated[int, Field(ge=0, description="Most wei the grant may send in total.")] = 0,
        max_calls: Annotated[int, Field(ge=0, description="Most calls (0: no limit).")] = 0,
        reason: Annotated[str, Field(max_length=500, description="Why you need it, for the principal.")] = "",
        account: Annotated[str | None, Field(description="The principal's account (default: the configured one).")]
        = None,
    ) -> CallToolResult:
        result = await run_tool(service.request_grant, chain_id, allow, valid_for, token_budgets, native_budget,
                                max_calls, reason, account)
        data = result.structured_content or {}
        url = data.get("url")
        capabilities = ctx.client_capabilities
        if not result.is_error and url and capabilities is not None and capabilities.elicitation is not None \
                and capabilities.elicitation.url is not None:
            try:
                answer = await ctx.elicit_url("Your agent asks for a grant: review it and sign it, or refuse.",
                                              url, data["request_id"])
                data["elicitation"] = answer.action
            except Exception as exc:  # noqa: BLE001 - the URL is in the answer either way
                # 2026-07-28 connections carry no server-to-client request mid-call (NoBackChannelError)
                data["elicitation"] = f"not available on this connection ({type(exc).__name__}): show the user the url"
            result = _answer(data)
        return result

    @mcp.tool(name="charter_renounce", annotations=acting, description=(
        "Give up a grant for good, on chain: no call can use it afterwards, whoever holds the key."))
    async def charter_renounce(grant: GrantRef = None) -> CallToolResult:
        return await run_tool(service.renounce, grant)

    if paid is not None:
        @mcp.tool(name="charter_fetch_paid", annotations=acting, description=(
            "Fetch an HTTP resource that may ask for payment (HTTP 402, x402). The agent's hot wallet pays; when "
            "it runs short, the session tops it up from the principal's account, which the grant caps on chain "
            "(past the cap the top-up is refused and nothing is paid). Returns the answer and what was paid."))
        async def charter_fetch_paid(
            url: Annotated[str, Field(description="The http(s) URL.")],
            method: Annotated[str, Field(description="GET or POST.")] = "GET",
            body: Annotated[str | None, Field(description="Request body for POST.")] = None,
            max_price: Annotated[int | None, Field(ge=0, description="Most raw token units to pay.")] = None,
        ) -> CallToolResult:
            def fetch() -> dict[str, Any]:
                r = paid.fetch(url, method=method, body=body, max_price=max_price)
                return {"url": r.url, "status": r.status, "ok": r.ok, "content_type": r.content_type,
                        "body": r.body, "truncated": r.truncated,
                        "paid": dataclasses.asdict(r.paid) if r.paid is not None else None,
                        "top_up": {**receipt_of(r.top_up), "grant": r.top_up.grant_hash} if r.top_up else None}

            return await run_tool(fetch)

    @mcp.resource("charter://grants", name="grants", title="Grants in force", mime_type="application/json",
                  description="Every grant this server may act under, as the principal signed it, in plain words.")
    def grants_resource() -> str:
        return json.dumps(service.grants_in_force(), indent=1, default=str)

    return mcp


def paid_from_config(service: AgentService) -> PaidAPIs | None:
    """The paid-API client of the configuration's ``[paid]`` table, if any."""
    settings = service.config.paid
    if settings is None:
        return None
    from ..sessions.describe import load_grant
    from .paid import PaidAPIs, PaidSettings

    signed, _ = load_grant(str(settings.grant), settings.chain_id)
    chain = service.chains[settings.chain_id]
    if signed.grant.session_key != service.key.address or signed.chain_id != settings.chain_id:
        raise InvalidInput(f"[paid] grant {settings.grant} is not for this server's session key on chain "
                           f"{settings.chain_id}")
    wallet_key = private_key_from_env(settings.wallet_key_env, "[paid] the hot wallet's key")
    return PaidAPIs(chain.charter.sessions, PaidSettings(chain_id=settings.chain_id, token=settings.token,
                                                         wallet_key=wallet_key, top_up=settings.top_up,
                                                         grant=signed), service.key)


def start(config_path: str) -> tuple[AgentService, PaidAPIs | None, MCPServer, ApprovalsServer | None]:
    """Read the configuration, connect the chains, load the grants, start the approvals page."""
    config = load_agent_config(config_path)
    key = LocalSigner.from_key(private_key_from_env(config.session_key_env, "the agent's session key"))
    service = AgentService(config, key)
    paid = paid_from_config(service)
    approvals = None
    if config.approvals is not None:
        approvals = ApprovalsServer(service, *config.approvals)
        approvals.start()
    return service, paid, build_server(service, paid), approvals


def serve(config_path: str, host: str | None, port: int | None, say: Callable[[str], None]) -> None:
    """``charter mcp``: serve until the client goes away (stdio) or the process is stopped (HTTP)."""
    service, paid, mcp, approvals = start(config_path)
    config = service.config
    say(f"charter mcp: agent {config.agent_id}, session key {service.key.address}")
    for chain_id, chain in service.chains.items():
        say(f"  chain {chain_id}: SessionManager {chain.charter.sessions.address}")
    live = [e for h, e in service.grants.items() if h not in service.renounced]
    say(f"  grants in force: {len(live)}" + "".join(f"\n    {e.hash} ({e.path.name})" for e in live))
    if paid is not None:
        say(f"  paid APIs: hot wallet {paid.wallet}, topped up under grant {paid.settings.grant.hash.hex()[:12]}…")
    if service.approvals_base:
        say(f"  grant requests open at {service.approvals_base}/grant-requests/ID")
    tools = ", ".join(t.name for t in anyio.run(mcp.list_tools))
    try:
        if host is None:
            say(f"  tools: {tools}\n  serving MCP on stdio")
            mcp.run("stdio")
        else:
            say(f"  tools: {tools}\n  serving MCP (streamable HTTP) at http://{host}:{port}/mcp")
            mcp.run("streamable-http", host=host, port=port or 8000)
    finally:
        if approvals is not None:
            approvals.stop()

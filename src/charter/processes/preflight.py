"""What a configured chain must show before a process acts on it: checked at start-up and when a chain comes back.

    problems = check_relay_chain(w3, chain, relay_config, "chains[0]")    # [] when all is as configured
    problems = check_solver_chain(w3, chain, solver_config, "chains[1]")

Each problem is one line that names the key (through `where`, the chain's
place in the file, such as ``chains[1]``) and the fix. A chain that does not
answer raises the RPC's own exception, untouched: the caller holds that
chain back and checks again when it answers; it is never a configuration
error. Only what is definitely wrong on this chain is reported:

- the RPC answers ``eth_chainId`` with the configured `chain_id` (else the
  rest is not checked: it would be checked against another chain);
- the settler (`settler`, or the suite's CREATE2 address) has code and
  answers ``ORDER_DATA_TYPE()`` with this SDK's order type;
- relayer: the chain's AttesterOracle (`oracle`) has code and answers as
  one (``current()``, ``members()``, ``threshold()``; a handed-over oracle
  is answered for by its successor's committee), and at least `threshold`
  of the attester keys are members of the committee that answers (the keys
  that are not are named: one relayer may sign for several committees);
  each address of ``[chains.hyperlane]`` has code, the Mailbox answers
  ``localDomain()``, the HyperlaneOracle, HyperlaneReporter and
  HyperlaneAgents name that Mailbox, the reporter this chain's settler and
  the HyperlaneAgents this chain's registry; each `min_inputs` token has
  code; the `agents_oracle` is checked as the `oracle` is; the registry has
  code when agents are carried, the SessionManager when revocations are;
  a named `backed_reputation` has code and is the receipt-backed registry
  of this chain's settler, a named `validation_registry` has code and
  answers as a ValidationRegistry (an attester key without gas there is a
  warning, logged by the relayer, not a problem);
- solver: each oracle it trusts for orders opened here has code; each route
  token on this chain has code (or is native); on a chain it fills on (a
  route's `dest_chain`), a non-zero `agent_id` is registered in the
  settler's AgentRegistry there, Active, and the solver's key is its owner,
  an operator, its approved address or its agent wallet (what the settler
  checks on every fill naming it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_abi.exceptions import DecodingError
from eth_account import Account
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from .._core.artifacts import abi
from .._core.deployments import create2_address, resolve_address
from ..exceptions import NotDeployed
from ..intents.models import ORDER_DATA_TYPE

if TYPE_CHECKING:  # relayer.py and solver.py import this module
    from .relayer import ChainConfig, RelayConfig
    from .solver import SolverConfig

_NO_ANSWER = (ContractLogicError, BadFunctionCallOutput, DecodingError)
"""What a call raises when the node answered but the address does not answer as the contract named
(no code, no such function, another return type); anything else (unreachable, timed out) propagates."""

_MAILBOX_ABI = [
    {"type": "function", "name": "localDomain", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint32"}]},
]
_STATUS = {1: "paused", 2: "retired"}


class _NoAnswer(Exception):
    """The address does not answer the call as the contract it is configured as."""


def check_relay_chain(w3: Web3, chain: ChainConfig, config: RelayConfig, where: str) -> list[str]:
    """The problems `chain` (one of ``config.chains``, reached through `w3`) shows for the relayer,
    each one line starting with `where`; [] if none. Raises the RPC's exception if it cannot be reached."""
    mismatch = _chain_id(w3, chain, config.chains, where)
    if mismatch:
        return [mismatch]
    problems: list[str] = []
    _settler(w3, chain, where, problems)
    oracle = config.oracles.get(chain.chain_id)
    if oracle is not None:
        _committee(w3, chain.chain_id, oracle, config.attester_keys, where, problems)
    if chain.agents_oracle is not None:
        _committee(w3, chain.chain_id, chain.agents_oracle, config.attester_keys, where, problems, "agents_oracle")
    if chain.hyperlane is not None:
        _hyperlane(w3, chain, where, problems)
    _propagation(w3, chain, config, where, problems)
    _trust(w3, chain, config, where, problems)
    for token in (chain.min_inputs or {}):
        if int(token, 16) != 0 and not _has_code(w3, token):
            problems.append(f"{where}: `min_inputs`: token {token} has no code on chain {chain.chain_id}: no order "
                            "can escrow it; check the address")
    return problems


def check_solver_chain(w3: Web3, chain: ChainConfig, config: SolverConfig, where: str) -> list[str]:
    """The problems `chain` (one of ``config.chains``, reached through `w3`) shows for the solver,
    each one line starting with `where`; [] if none. Raises the RPC's exception if it cannot be reached."""
    mismatch = _chain_id(w3, chain, config.chains, where)
    if mismatch:
        return [mismatch]
    problems: list[str] = []
    settler = _settler(w3, chain, where, problems)
    trusted = config.policy.oracles.get(chain.chain_id, [])
    for oracle in [trusted] if isinstance(trusted, str) else trusted:
        hl = chain.hyperlane
        key = "hyperlane.oracle" if hl is not None and hl.oracle and _same(hl.oracle, oracle) else "oracle"
        if not _has_code(w3, oracle):
            problems.append(f"{where}: `{key}` {Web3.to_checksum_address(oracle)} has no code on chain "
                            f"{chain.chain_id}: name the settlement oracle of the orders it fills from this chain")
    fills_here = False
    for i, route in enumerate(config.policy.routes):
        for name, token, on in (("input_token", route.input_token, route.origin_chain),
                                ("output_token", route.output_token, route.dest_chain)):
            if on == chain.chain_id and int(token, 16) != 0 and not _has_code(w3, token):
                problems.append(f"{where}: routes[{i}].{name} {Web3.to_checksum_address(token)} has no code on "
                                f"chain {chain.chain_id}: check the token address (or write \"native\")")
        fills_here = fills_here or route.dest_chain == chain.chain_id
    if fills_here and config.agent_id != 0 and settler is not None:
        _agent(w3, chain.chain_id, settler, config.agent_id, Account.from_key(config.key).address, where, problems)
    policy = config.policy
    origin_here = any(route.origin_chain == chain.chain_id for route in policy.routes)
    if origin_here and (policy.checks_openers or policy.rate_openers is not None):
        try:
            resolve_address(w3, "BackedReputationRegistry")
        except NotDeployed:
            uses = "`min_opener_orders` / `min_opener_score`" if policy.checks_openers else "`rate_openers`"
            problems.append(f"{where}: {uses} read the receipt-backed reputation registry, which is not deployed on "
                            f"chain {chain.chain_id}: deploy the suite there (`charter deploy`) or drop {uses}")
    return problems


# ---------------------------------------------------------------- checks


def _chain_id(w3: Web3, chain: ChainConfig, chains: list[ChainConfig], where: str) -> str | None:
    answered = int(w3.eth.chain_id)
    if answered == chain.chain_id:
        return None
    other = next((i for i, c in enumerate(chains) if c.chain_id == answered), None)
    swapped = f" (chains[{other}] is chain {answered}: are their `rpc` swapped?)" if other is not None else ""
    return (f"{where}: `rpc` {chain.rpc} answers chain {answered}, not `chain_id` {chain.chain_id}: swapped or "
            f"mistyped rpc?{swapped}")


def _settler(w3: Web3, chain: ChainConfig, where: str, problems: list[str]) -> Contract | None:
    """The settler if it answers as an IntentSettler, else None (and the problem)."""
    address = Web3.to_checksum_address(chain.settler or create2_address("IntentSettler"))
    named = (f"`settler` {address}" if chain.settler else
             f"the suite's IntentSettler (its CREATE2 address {address}, no `settler` key)")
    if not _has_code(w3, address):
        fix = ("check the address" if chain.settler else
               "deploy the suite there (charter deploy) or name the chain's settler in `settler`")
        problems.append(f"{where}: {named} has no code on chain {chain.chain_id}: {fix}")
        return None
    settler = w3.eth.contract(address=address, abi=abi("IntentSettler"))
    try:
        order_type = bytes(_call(settler, "ORDER_DATA_TYPE"))
    except _NoAnswer:
        problems.append(f"{where}: {named} on chain {chain.chain_id} is not an IntentSettler (it does not answer "
                        "ORDER_DATA_TYPE()): check the address")
        return None
    if order_type != ORDER_DATA_TYPE:
        problems.append(f"{where}: {named} on chain {chain.chain_id} settles another order format (ORDER_DATA_TYPE "
                        f"0x{order_type.hex()}, this SDK's 0x{ORDER_DATA_TYPE.hex()}): run the charter release that "
                        "deployed it, or name this release's settler")
        return None
    return settler


def _committee(w3: Web3, chain_id: int, oracle: str, keys: list[str], where: str, problems: list[str],
               key: str = "oracle") -> None:
    address = Web3.to_checksum_address(oracle)
    if not _has_code(w3, address):
        why = "an address without code never has orders" if key == "oracle" else "it delivers agents' states here"
        problems.append(f"{where}: `{key}` {address} has no code on chain {chain_id}: name the chain's "
                        f"AttesterOracle ({why})")
        return
    contract = w3.eth.contract(address=address, abi=abi("AttesterOracle"))
    try:
        current = Web3.to_checksum_address(_call(contract, "current"))
        if current != address:
            contract = w3.eth.contract(address=current, abi=abi("AttesterOracle"))
        members = {Web3.to_checksum_address(m) for m in _call(contract, "members")}
        threshold = int(_call(contract, "threshold"))
    except _NoAnswer:
        elsewhere = "a HyperlaneOracle" if key == "oracle" else "a HyperlaneAgents, as `agents`,"
        problems.append(f"{where}: `{key}` {address} on chain {chain_id} is not an AttesterOracle (it does not "
                        f"answer current(), members(), threshold()): name the chain's AttesterOracle ({elsewhere} "
                        "goes in [chains.hyperlane])")
        return
    attesters = [Account.from_key(k).address for k in keys]
    ours = [a for a in attesters if a in members]
    if len(ours) < threshold:
        outsiders = [a for a in attesters if a not in members]
        handed = f" (handed over to {current})" if current != address else ""
        problems.append(f"{where}: `{key}` {address}{handed} needs {threshold} signatures and {len(ours)} of the "
                        f"{len(attesters)} attester keys are members of its committee (not members: "
                        f"{', '.join(outsiders) or 'none'}): list members' keys in `attester_keys_env`")


def _hyperlane(w3: Web3, chain: ChainConfig, where: str, problems: list[str]) -> None:
    hl = chain.hyperlane
    assert hl is not None
    here = f"{where}.hyperlane"
    on = f"on chain {chain.chain_id}"
    mailbox = Web3.to_checksum_address(hl.mailbox)
    if not _has_code(w3, mailbox):
        problems.append(f"{here}: `mailbox` {mailbox} has no code {on}: name the chain's Mailbox")
    else:
        try:
            _call(w3.eth.contract(address=mailbox, abi=_MAILBOX_ABI), "localDomain")
        except _NoAnswer:
            problems.append(f"{here}: `mailbox` {mailbox} {on} is not a Hyperlane Mailbox (it does not answer "
                            "localDomain()): name the chain's Mailbox")
    if hl.merkle_tree_hook and not _has_code(w3, hl.merkle_tree_hook):
        problems.append(f"{here}: `merkle_tree_hook` {Web3.to_checksum_address(hl.merkle_tree_hook)} has no code "
                        f"{on}: name the Mailbox's Merkle tree hook, or leave the key out for its required hook")
    settler = Web3.to_checksum_address(chain.settler or create2_address("IntentSettler"))
    for key, name, address in (("oracle", "HyperlaneOracle", hl.oracle), ("reporter", "HyperlaneReporter",
                                                                            hl.reporter)):
        if not address:
            continue
        address = Web3.to_checksum_address(address)
        if not _has_code(w3, address):
            problems.append(f"{here}: `{key}` {address} has no code {on}: name the chain's {name}")
            continue
        contract = w3.eth.contract(address=address, abi=abi(name))
        try:
            bound = Web3.to_checksum_address(_call(contract, "MAILBOX"))
            bound_settler = Web3.to_checksum_address(_call(contract, "SETTLER")) if key == "reporter" else settler
        except _NoAnswer:
            problems.append(f"{here}: `{key}` {address} {on} is not a {name} (it does not answer MAILBOX()): name "
                            f"the chain's {name}")
            continue
        if bound != mailbox:
            problems.append(f"{here}: `{key}` {address} {on} is bound to the Mailbox {bound}, not `mailbox` "
                            f"{mailbox}: fix one of them")
        elif bound_settler != settler:
            problems.append(f"{here}: `reporter` {address} {on} reports the records of the settler {bound_settler}, "
                            f"not this chain's {settler}: name the reporter deployed for it")


def _propagation(w3: Web3, chain: ChainConfig, config: RelayConfig, where: str, problems: list[str]) -> None:
    """What carrying agents' states and signed revocations needs on `chain` (when configured)."""
    on = f"on chain {chain.chain_id}"
    hl = chain.hyperlane
    agents = config.agents or config.discover_agents or chain.agents_oracle or (hl is not None and hl.agents)
    registry = Web3.to_checksum_address(chain.registry or create2_address("AgentRegistry"))
    named = f"`registry` {registry}" if chain.registry else f"the suite's AgentRegistry ({registry})"
    if agents and not _has_code(w3, registry):
        problems.append(f"{where}: {named} has no code {on}: agents are read and mirrored there; deploy the suite or "
                        "name the chain's registry in `registry`")
    if config.forward_revocations:
        manager = Web3.to_checksum_address(chain.session_manager or create2_address("SessionManager"))
        if not _has_code(w3, manager):
            what = (f"`session_manager` {manager}" if chain.session_manager else
                    f"the suite's SessionManager ({manager})")
            problems.append(f"{where}: {what} has no code {on}: signed revocations are read and applied there "
                            "(forward_revocations); deploy the suite or name the chain's SessionManager")
    if hl is None or not hl.agents:
        return
    address = Web3.to_checksum_address(hl.agents)
    if not _has_code(w3, address):
        problems.append(f"{where}.hyperlane: `agents` {address} has no code {on}: name the chain's HyperlaneAgents")
        return
    contract = w3.eth.contract(address=address, abi=abi("HyperlaneAgents"))
    try:
        mailbox = Web3.to_checksum_address(_call(contract, "MAILBOX"))
        bound = Web3.to_checksum_address(_call(contract, "REGISTRY"))
    except _NoAnswer:
        problems.append(f"{where}.hyperlane: `agents` {address} {on} is not a HyperlaneAgents (it does not answer "
                        "MAILBOX(), REGISTRY()): name the chain's HyperlaneAgents")
        return
    if mailbox != Web3.to_checksum_address(hl.mailbox):
        problems.append(f"{where}.hyperlane: `agents` {address} {on} is bound to the Mailbox {mailbox}, not `mailbox` "
                        f"{Web3.to_checksum_address(hl.mailbox)}: fix one of them")
    elif bound != registry:
        problems.append(f"{where}.hyperlane: `agents` {address} {on} mirrors agents in the registry {bound}, not "
                        f"{named}: name the HyperlaneAgents deployed for it")


def _trust(w3: Web3, chain: ChainConfig, config: RelayConfig, where: str, problems: list[str]) -> None:
    """The trust registries the relayer writes to on `chain`, when named (the suite's are looked up
    by the relayer itself: a chain without them is no problem)."""
    on = f"on chain {chain.chain_id}"
    if config.record_receipts and isinstance(chain.backed_reputation, str):
        address = Web3.to_checksum_address(chain.backed_reputation)
        settler = Web3.to_checksum_address(chain.settler or create2_address("IntentSettler"))
        if not _has_code(w3, address):
            problems.append(f"{where}: `backed_reputation` {address} has no code {on}: name the chain's "
                            "BackedReputationRegistry, or write false to record no receipts there")
        else:
            try:
                bound = Web3.to_checksum_address(_call(w3.eth.contract(address=address, abi=abi("ReputationRegistry")),
                                                       "SETTLER"))
            except _NoAnswer:
                bound = None
            if bound is None or int(bound, 16) == 0:
                problems.append(f"{where}: `backed_reputation` {address} {on} is not a receipt-backed "
                                "ReputationRegistry (it names no SETTLER()): name the BackedReputationRegistry")
            elif bound != settler:
                problems.append(f"{where}: `backed_reputation` {address} {on} keeps the receipts of the settler "
                                f"{bound}, not this chain's {settler}: name the registry bound to it")
    if config.answer_validations and config.attester_keys and isinstance(chain.validation_registry, str):
        address = Web3.to_checksum_address(chain.validation_registry)
        if not _has_code(w3, address):
            problems.append(f"{where}: `validation_registry` {address} has no code {on}: name the chain's "
                            "ValidationRegistry, or write false to answer no requests there")
            return
        try:
            _call(w3.eth.contract(address=address, abi=abi("ValidationRegistry")), "getIdentityRegistry")
        except _NoAnswer:
            problems.append(f"{where}: `validation_registry` {address} {on} is not a ValidationRegistry (it does not "
                            "answer getIdentityRegistry()): name the chain's ValidationRegistry")


def _agent(w3: Web3, chain_id: int, settler: Contract, agent_id: int, solver: str, where: str,
           problems: list[str]) -> None:
    """The settler's registry must know `agent_id`, Active, and `solver` may act for it (each fill names it)."""
    on = f"on chain {chain_id} (where the solver fills)"
    try:
        registry_address = Web3.to_checksum_address(_call(settler, "REGISTRY"))
    except _NoAnswer:
        return
    if not _has_code(w3, registry_address):
        problems.append(f"{where}: `agent_id` {agent_id}: the settler's AgentRegistry {registry_address} has no "
                        f"code {on}, so every fill naming an agent reverts: set `agent_id = 0` or deploy the suite")
        return
    registry = w3.eth.contract(address=registry_address, abi=abi("AgentRegistry"))
    try:
        status = int(_call(registry, "statusOf", agent_id))
    except _NoAnswer:
        problems.append(f"{where}: `agent_id` {agent_id} is not registered in the AgentRegistry {registry_address} "
                        f"{on}: register the solver's agent there (charter agent register) or fix `agent_id` (0 "
                        "fills without naming an agent)")
        return
    if status != 0:
        problems.append(f"{where}: `agent_id` {agent_id} is {_STATUS.get(status, f'in status {status}')} {on}: "
                        "fills naming it revert; resume it (charter agent resume) or name an Active agent")
        return
    try:
        allowed = bool(_call(registry, "isAuthorizedOrOwner", solver, agent_id))
        allowed = allowed or Web3.to_checksum_address(_call(registry, "getAgentWallet", agent_id)) == solver
        owner = Web3.to_checksum_address(_call(registry, "ownerOf", agent_id))
    except _NoAnswer:
        return
    if not allowed:
        problems.append(f"{where}: `agent_id` {agent_id} {on} belongs to {owner}, and the solver's address {solver} "
                        "(`key_env`) is neither its owner, an operator, its approved address nor its agent wallet: "
                        "fills naming it revert; use that owner's key, set the agent wallet, or fix `agent_id`")


# ---------------------------------------------------------------- calls


def _has_code(w3: Web3, address: str) -> bool:
    return len(w3.eth.get_code(Web3.to_checksum_address(address))) > 0


def _call(contract: Contract, fn: str, *args: Any) -> Any:
    try:
        return contract.get_function_by_name(fn)(*args).call()
    except _NO_ANSWER:
        raise _NoAnswer(fn) from None


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


__all__ = ["check_relay_chain", "check_solver_chain"]

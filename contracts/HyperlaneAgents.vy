# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter HyperlaneAgents
@custom:contract-name HyperlaneAgents
@license MIT
@notice Carries an agent's registry state from its home chain to the other
        chains of a deployment over Hyperlane. On the home chain anyone may
        `report` an agent registered there: its state (owner, wallet,
        status, generation, sequence) as the AgentRegistry holds it now is
        dispatched through this chain's Mailbox to this same contract on
        each chosen chain. There the Mailbox delivers it (`handle`) and the
        registry mirrors the agent (`represent`) under the id
        `representedId(homeChainId, homeAgentId)`. The body is
            abi.encode(uint256 homeChainId, uint256 homeAgentId,
                       address owner, address wallet, uint8 status,
                       uint256 generation, uint256 sequence)
        (seven words). A caller pays the Mailbox's fee per destination
        (`quoteReport`); the excess is sent back.
@dev One address on every chain: it is deployed with the same constructor
     arguments everywhere (the registry, which has one address on every
     chain, and the table of every chain of the deployment: chain id,
     Hyperlane domain, Mailbox, ISM), so CREATE2 gives the same address.
     What differs per chain (its own Mailbox, ISM and domain, found by
     `chain.id`) lives in immutables, which are in the runtime code, not in
     the init code. The registry binds a mirror's id to the inbox that
     writes it, and this contract only accepts messages sent by its own
     address: so an agent has the same represented id on every chain, and
     only this contract on its home chain speaks for it.
@custom:security Trust is Hyperlane's on each destination: the ISM named
                 here (e.g. an m-of-n MessageId multisig of validators)
                 decides which messages the Mailbox delivers; a zero ISM
                 means the Mailbox's default, which the Mailbox's owner can
                 change. A principal that names a represented id trusts
                 that ISM to attest the home chain's registry. The registry
                 takes only states newer than the one it holds (a higher
                 sequence), so replayed and out-of-order deliveries change
                 nothing; a withheld message (no relayer, no fee) only
                 delays: the destination keeps the last state it got, so a
                 pause or a transfer at home takes effect elsewhere only
                 once it is reported and delivered.
"""


# ---------------------------------------------------------------- constants

# The chains of one deployment (this one included).
MAX_ROUTES: constant(uint256) = 8
# abi.encode of seven static values.
BODY_LENGTH: constant(uint256) = 224
# `handle` takes bodies up to this size so that one of the wrong length is
# refused by name ("hyperlane: bad body"); a longer one fails to decode.
BODY_MAX: constant(uint256) = 1_024


# ---------------------------------------------------------------- immutables

REGISTRY: public(immutable(address))
# This chain's Mailbox, domain and ISM (from its route).
MAILBOX: public(immutable(address))
DOMAIN: public(immutable(uint32))
ISM: immutable(address)
# Every chain of the deployment, this one included.
_ROUTES: immutable(DynArray[Route, MAX_ROUTES])


# ---------------------------------------------------------------- interfaces

# The Hyperlane v3 Mailbox. The 3-argument dispatch goes through the
# Mailbox's default hook with empty hook metadata: an InterchainGasPaymaster
# hook then charges for its default destination gas (50,000), and would send
# an overpayment back to this contract (none: the quote is paid exactly).
interface IMailbox:
    def dispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[BODY_LENGTH]) -> bytes32: payable
    def quoteDispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[BODY_LENGTH]) -> uint256: view


interface IRegistry:
    def agentState(agentId: uint256) -> (address, address, uint8, uint256, uint256): view
    def homeOf(agentId: uint256) -> (uint256, uint256, address): view
    def represent(
        homeChainId: uint256,
        homeAgentId: uint256,
        owner: address,
        wallet: address,
        status: uint8,
        generation: uint256,
        sequence: uint256,
    ) -> uint256: nonpayable


# ---------------------------------------------------------------- structs

# One chain of the deployment.
struct Route:
    chainId: uint256
    domain: uint32  # its Hyperlane domain
    mailbox: address  # its Mailbox
    ism: address  # the ISM its Mailbox verifies deliveries here with (zero: the Mailbox's default)


# ---------------------------------------------------------------- events

# An agent's state was dispatched to one chain.
event Reported:
    agentId: indexed(uint256)
    destinationChainId: indexed(uint256)
    sequence: uint256
    messageId: bytes32


# An agent's state from its home chain was handed to the registry (which
# ignores it if it holds a newer one).
event Delivered:
    agentId: indexed(uint256)  # the represented id
    homeChainId: indexed(uint256)
    homeAgentId: uint256
    sequence: uint256


# ---------------------------------------------------------------- constructor

@deploy
def __init__(registry: address, routes: DynArray[Route, MAX_ROUTES]):
    """
    @notice The same arguments on every chain of the deployment.
    @param registry The AgentRegistry (one address on every chain).
    @param routes Every chain of the deployment, this one included: chain
           ids and domains distinct, Mailboxes nonzero.
    """
    assert registry.is_contract, "hyperlane: no code"
    here: uint256 = MAX_ROUTES
    for i: uint256 in range(len(routes), bound=MAX_ROUTES):
        r: Route = routes[i]
        assert r.chainId != 0 and r.mailbox != empty(address), "hyperlane: bad route"
        for j: uint256 in range(i, bound=MAX_ROUTES):
            assert routes[j].chainId != r.chainId and routes[j].domain != r.domain, "hyperlane: duplicate route"
        if r.chainId == chain.id:
            here = i
    assert here != MAX_ROUTES, "hyperlane: no route for this chain"
    local: Route = routes[here]
    assert local.mailbox.is_contract, "hyperlane: no code"
    REGISTRY = registry
    MAILBOX = local.mailbox
    DOMAIN = local.domain
    ISM = local.ism
    _ROUTES = routes


# ---------------------------------------------------------------- home side

@external
@view
def quoteReport(agentId: uint256, chainIds: DynArray[uint256, MAX_ROUTES]) -> uint256:
    """
    @notice The Mailbox fees `report` needs to send this agent's state to
            these chains (the sum of one quote per destination).
    @param agentId An agent registered on this chain.
    @param chainIds The destinations (configured chains other than this one).
    @return uint256 The value to send with `report`.
    """
    assert len(chainIds) != 0, "hyperlane: no chains"
    body: Bytes[BODY_LENGTH] = self._body(agentId)
    recipient: bytes32 = self._self_word()
    total: uint256 = 0
    for i: uint256 in range(len(chainIds), bound=MAX_ROUTES):
        domain: uint32 = self._destination(chainIds, i)
        total += staticcall IMailbox(MAILBOX).quoteDispatch(domain, recipient, body)
    return total


@external
@payable
def report(agentId: uint256, chainIds: DynArray[uint256, MAX_ROUTES]):
    """
    @notice Send an agent's current state to this contract on each of
            `chainIds`, through this chain's Mailbox. Anyone may call it
            (it only repeats what the registry holds) and pays the
            Mailbox's fee per destination; the excess is sent back. One
            `Reported` event per destination carries the message id.
    @dev Pays each destination's `quoteDispatch` exactly, so the Mailbox's
         hooks refund nothing to this contract. A caller that cannot take
         ETH back sends `quoteReport` exactly (or the call reverts).
    @param agentId An agent registered on this chain (not a mirror).
    @param chainIds The destinations: configured chains other than this
           one, each once.
    """
    assert len(chainIds) != 0, "hyperlane: no chains"
    body: Bytes[BODY_LENGTH] = self._body(agentId)
    sequence: uint256 = extract32(body, 192, output_type=uint256)
    recipient: bytes32 = self._self_word()
    spent: uint256 = 0
    for i: uint256 in range(len(chainIds), bound=MAX_ROUTES):
        domain: uint32 = self._destination(chainIds, i)
        fee: uint256 = staticcall IMailbox(MAILBOX).quoteDispatch(domain, recipient, body)
        spent += fee
        assert spent <= msg.value, "hyperlane: fee too low"
        message_id: bytes32 = extcall IMailbox(MAILBOX).dispatch(domain, recipient, body, value=fee)
        log Reported(agentId=agentId, destinationChainId=chainIds[i], sequence=sequence, messageId=message_id)
    # spent <= msg.value (checked in the loop).
    excess: uint256 = unsafe_sub(msg.value, spent)
    if excess != 0:
        assert raw_call(msg.sender, b"", value=excess, revert_on_failure=False), "hyperlane: refund failed"


# ---------------------------------------------------------------- destination side

@external
@payable
def handle(origin: uint32, sender: bytes32, body: Bytes[BODY_MAX]):
    """
    @notice Hyperlane delivery: only from this chain's Mailbox, only from
            this contract's own address on a configured chain, and only a
            state of an agent of that chain. The registry mirrors it (or
            keeps what it holds if that is newer).
    @param origin The Hyperlane domain the message was dispatched on.
    @param sender Its sender, as bytes32 (must be this contract).
    @param body abi.encode(homeChainId, homeAgentId, owner, wallet, status,
           generation, sequence).
    @custom:security The Mailbox delivers only what the ISM verified
                     (`interchainSecurityModule`).
    """
    assert msg.sender == MAILBOX, "hyperlane: not the mailbox"
    assert sender == self._self_word(), "hyperlane: unknown sender"
    origin_chain: uint256 = self._origin_chain(origin)
    assert len(body) == BODY_LENGTH, "hyperlane: bad body"
    home_chain: uint256 = 0
    home_id: uint256 = 0
    owner: uint256 = 0
    wallet: uint256 = 0
    status: uint256 = 0
    generation: uint256 = 0
    sequence: uint256 = 0
    home_chain, home_id, owner, wallet, status, generation, sequence = abi_decode(
        body, (uint256, uint256, uint256, uint256, uint256, uint256, uint256)
    )
    assert home_chain == origin_chain, "hyperlane: wrong origin"
    assert owner >> 160 == 0 and wallet >> 160 == 0 and status >> 8 == 0, "hyperlane: bad body"
    agent_id: uint256 = extcall IRegistry(REGISTRY).represent(
        home_chain,
        home_id,
        convert(owner, address),
        convert(wallet, address),
        convert(status, uint8),
        generation,
        sequence,
    )
    log Delivered(agentId=agent_id, homeChainId=home_chain, homeAgentId=home_id, sequence=sequence)


# ---------------------------------------------------------------- views

@external
@view
@reentrant
def interchainSecurityModule() -> address:
    """
    @notice The ISM this chain's Mailbox must verify deliveries to this
            contract with (Hyperlane's ISpecifiesInterchainSecurityModule).
    @return address The ISM; zero means the Mailbox's default ISM, which
            the Mailbox's owner can change.
    """
    return ISM


@external
@view
@reentrant
def routes() -> DynArray[Route, MAX_ROUTES]:
    """
    @notice Every chain of the deployment, this one included, as given to
            the constructor.
    @return DynArray[Route, MAX_ROUTES] Chain id, domain, Mailbox, ISM.
    """
    return _ROUTES


@external
@view
@reentrant
def representedId(homeChainId: uint256, homeAgentId: uint256) -> uint256:
    """
    @notice The id under which this contract's deliveries represent agent
            `homeAgentId` of chain `homeChainId` (the registry's
            `representedId(this, homeChainId, homeAgentId)`): the same on
            every chain of the deployment.
    @param homeChainId The agent's home chain.
    @param homeAgentId The agent's id there.
    @return uint256 The represented id.
    """
    return convert(keccak256(abi_encode(self, homeChainId, homeAgentId)), uint256)


# ---------------------------------------------------------------- internal

@internal
@view
def _self_word() -> bytes32:
    """
    @dev This contract's address as a Hyperlane recipient or sender word.
    """
    return convert(convert(self, uint256), bytes32)


@internal
@view
def _body(agent_id: uint256) -> Bytes[BODY_LENGTH]:
    """
    @dev The message body for an agent registered on this chain.
    """
    home_chain: uint256 = 0
    home_id: uint256 = 0
    inbox: address = empty(address)
    home_chain, home_id, inbox = staticcall IRegistry(REGISTRY).homeOf(agent_id)
    assert home_chain == chain.id, "hyperlane: not a local agent"
    owner: address = empty(address)
    wallet: address = empty(address)
    status: uint8 = 0
    generation: uint256 = 0
    sequence: uint256 = 0
    owner, wallet, status, generation, sequence = staticcall IRegistry(REGISTRY).agentState(agent_id)
    return abi_encode(chain.id, agent_id, owner, wallet, status, generation, sequence)


@internal
@view
def _destination(chain_ids: DynArray[uint256, MAX_ROUTES], i: uint256) -> uint32:
    """
    @dev The domain of destination `chain_ids[i]`: a configured chain other
         than this one, not named earlier in the list.
    """
    chain_id: uint256 = chain_ids[i]
    for j: uint256 in range(i, bound=MAX_ROUTES):
        assert chain_ids[j] != chain_id, "hyperlane: duplicate chain"
    if chain_id != chain.id:
        for r: Route in _ROUTES:
            if r.chainId == chain_id:
                return r.domain
    raise "hyperlane: unknown chain"


@internal
@view
def _origin_chain(domain: uint32) -> uint256:
    """
    @dev The chain id of origin `domain`: a configured chain other than
         this one.
    """
    if domain != DOMAIN:
        for r: Route in _ROUTES:
            if r.domain == domain:
                return r.chainId
    raise "hyperlane: unknown domain"

# pragma version 0.4.3
"""
@title Charter HyperlaneOracle
@custom:contract-name HyperlaneOracle
@license MIT
@notice The origin half of settlement over Hyperlane, behind
        ISettlementOracle. Its Mailbox delivers the messages of the
        HyperlaneReporter of each configured destination domain (verified by
        the Mailbox with this oracle's interchain security module), and it
        stores what they report: for (origin settler, destination chain,
        destination settler, orderId) the record hash. `isProven` answers
        from that store, for the calling settler; `proof` is ignored.
@dev The configuration (Mailbox, ISM, and per remote domain its chain id and
     reporter) is immutable. A record is stored under the chain id of the
     domain it came from, so a message from a chain that was never an
     order's destination proves nothing for it.
@custom:security Trust is Hyperlane's: the ISM named here (e.g. an m-of-n
                 MessageId multisig of validators) decides which messages
                 the Mailbox delivers. A zero ISM means the Mailbox's
                 default, which the Mailbox's owner can change.
"""

from interfaces import ISettlementOracle

implements: ISettlementOracle

MAX_REMOTES: constant(uint256) = 8
MAX_BATCH: constant(uint256) = 10
BODY_MAX: constant(uint256) = 832

MAILBOX: public(immutable(address))
ISM: immutable(address)
# The configured remotes: Hyperlane domain, its chain id, its reporter (as bytes32).
_DOMAINS: immutable(uint32[MAX_REMOTES])
_CHAINS: immutable(uint256[MAX_REMOTES])
_REPORTERS: immutable(bytes32[MAX_REMOTES])
_COUNT: immutable(uint256)

# keccak(originSettler, destinationChainId, destinationSettler, orderId) -> recordHash
proven: public(HashMap[bytes32, bytes32])

event Reported:
    destinationChainId: indexed(uint256)
    orderId: indexed(bytes32)
    recordHash: bytes32


struct Remote:
    domain: uint32
    chainId: uint256
    reporter: address


@deploy
def __init__(mailbox: address, ism: address, remotes: DynArray[Remote, MAX_REMOTES]):
    assert mailbox.is_contract, "hyperlane: no code"
    MAILBOX = mailbox
    ISM = ism
    domains: uint32[MAX_REMOTES] = empty(uint32[MAX_REMOTES])
    chains: uint256[MAX_REMOTES] = empty(uint256[MAX_REMOTES])
    reporters: bytes32[MAX_REMOTES] = empty(bytes32[MAX_REMOTES])
    i: uint256 = 0
    for r: Remote in remotes:
        assert r.reporter != empty(address) and r.chainId != 0, "hyperlane: bad remote"
        domains[i] = r.domain
        chains[i] = r.chainId
        reporters[i] = convert(convert(r.reporter, uint256), bytes32)
        i += 1
    _DOMAINS = domains
    _CHAINS = chains
    _REPORTERS = reporters
    _COUNT = len(remotes)


@external
@view
def interchainSecurityModule() -> address:
    """
    @notice The ISM the Mailbox must verify deliveries to this oracle with.
    """
    return ISM


@external
@payable
def handle(origin: uint32, sender: bytes32, body: Bytes[BODY_MAX]):
    """
    @notice Hyperlane delivery: only from the Mailbox, only from the
            reporter configured for `origin`; stores each reported record
            under the chain id configured for that domain.
    """
    assert msg.sender == MAILBOX, "hyperlane: not the mailbox"
    chain_id: uint256 = 0
    for i: uint256 in range(_COUNT, bound=MAX_REMOTES):
        if _DOMAINS[i] == origin and _REPORTERS[i] == sender:
            chain_id = _CHAINS[i]
            break
    assert chain_id != 0, "hyperlane: unknown sender"
    origin_settler: address = empty(address)
    destination_settler: address = empty(address)
    ids: DynArray[bytes32, MAX_BATCH] = []
    records: DynArray[bytes32, MAX_BATCH] = []
    origin_settler, destination_settler, ids, records = abi_decode(
        body, (address, address, DynArray[bytes32, MAX_BATCH], DynArray[bytes32, MAX_BATCH])
    )
    assert len(ids) == len(records), "hyperlane: bad body"
    for i: uint256 in range(len(ids), bound=MAX_BATCH):
        key: bytes32 = keccak256(abi_encode(origin_settler, chain_id, destination_settler, ids[i]))
        self.proven[key] = records[i]
        log Reported(destinationChainId=chain_id, orderId=ids[i], recordHash=records[i])


@external
@view
def isProven(
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
    proof: Bytes[1040],
) -> bool:
    if convert(destinationSettler, uint256) >= 2**160:
        return False
    settler: address = convert(convert(destinationSettler, uint256), address)
    key: bytes32 = keccak256(abi_encode(msg.sender, destinationChainId, settler, orderId))
    return recordHash != empty(bytes32) and self.proven[key] == recordHash

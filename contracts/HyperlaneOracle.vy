# pragma version 0.4.3
"""
@title Charter HyperlaneOracle
@custom:contract-name HyperlaneOracle
@license MIT
@notice The origin half of settlement over Hyperlane, behind
        ISettlementOracle. Its Mailbox delivers the messages of the
        HyperlaneReporter of each configured destination domain (verified by
        the Mailbox with this oracle's interchain security module). Each
        message reports up to ten (orderId, recordHash) pairs; the oracle
        stores one word per message: the Merkle root of those pairs, under
        (origin settler, destination chain, destination settler). `isProven`
        answers for the calling settler, with `proof` the sibling hashes from
        the order's leaf to that root (empty for a message of one order).
        Leaf: keccak256(0x00 ‖ orderId ‖ recordHash); node: keccak256 of its
        two children, the smaller first; the leaves padded with zero words to
        a power of two.
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
# originSettler (20) ‖ destinationSettler (20) ‖ up to ten (orderId, recordHash) pairs.
BODY_MAX: constant(uint256) = 40 + 64 * MAX_BATCH
# 16 leaves hold a batch of ten: a proof has at most 4 siblings.
MAX_DEPTH: constant(uint256) = 4

MAILBOX: public(immutable(address))
ISM: immutable(address)
# The configured remotes: Hyperlane domain, its chain id, its reporter (as bytes32).
_DOMAINS: immutable(uint32[MAX_REMOTES])
_CHAINS: immutable(uint256[MAX_REMOTES])
_REPORTERS: immutable(bytes32[MAX_REMOTES])
_COUNT: immutable(uint256)

# keccak(originSettler, destinationChainId, destinationSettler, root) -> delivered
delivered: public(HashMap[bytes32, bool])

event Delivered:
    destinationChainId: indexed(uint256)
    root: indexed(bytes32)
    orders: uint256


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
            under the chain id configured for that domain, as one Merkle root.
    """
    assert msg.sender == MAILBOX, "hyperlane: not the mailbox"
    chain_id: uint256 = 0
    for i: uint256 in range(_COUNT, bound=MAX_REMOTES):
        if _DOMAINS[i] == origin and _REPORTERS[i] == sender:
            chain_id = _CHAINS[i]
            break
    assert chain_id != 0, "hyperlane: unknown sender"
    n: uint256 = (len(body) - 40) // 64 if len(body) > 40 else 0
    assert n != 0 and len(body) == 40 + 64 * n, "hyperlane: bad body"
    origin_settler: address = convert(convert(slice(body, 0, 20), bytes20), address)
    destination_settler: address = convert(convert(slice(body, 20, 20), bytes20), address)
    leaves: bytes32[16] = empty(bytes32[16])
    for i: uint256 in range(n, bound=MAX_BATCH):
        leaves[i] = self._leaf(extract32(body, 40 + 64 * i), extract32(body, 72 + 64 * i))
    root: bytes32 = self._root(leaves, n)
    self.delivered[keccak256(abi_encode(origin_settler, chain_id, destination_settler, root))] = True
    log Delivered(destinationChainId=chain_id, root=root, orders=n)


@external
@view
def isProven(
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
    proof: Bytes[1040],
) -> bool:
    if convert(destinationSettler, uint256) >= 2**160 or recordHash == empty(bytes32):
        return False
    if len(proof) % 32 != 0 or len(proof) > 32 * MAX_DEPTH:
        return False
    node: bytes32 = self._leaf(orderId, recordHash)
    for i: uint256 in range(MAX_DEPTH):
        if i * 32 == len(proof):
            break
        node = self._pair(node, convert(slice(proof, i * 32, 32), bytes32))
    settler: address = convert(convert(destinationSettler, uint256), address)
    return self.delivered[keccak256(abi_encode(msg.sender, destinationChainId, settler, node))]


@internal
@pure
def _leaf(order_id: bytes32, record: bytes32) -> bytes32:
    return keccak256(concat(b"\x00", order_id, record))


@internal
@pure
def _pair(a: bytes32, b: bytes32) -> bytes32:
    if convert(a, uint256) < convert(b, uint256):
        return keccak256(concat(a, b))
    return keccak256(concat(b, a))


@internal
@pure
def _root(leaves: bytes32[16], n: uint256) -> bytes32:
    """
    @dev The Merkle root of the first `n` leaves, padded with zero words to
         a power of two.
    """
    level: bytes32[16] = leaves
    width: uint256 = 1
    for _: uint256 in range(MAX_DEPTH):
        if width >= n:
            break
        width *= 2
    for _: uint256 in range(MAX_DEPTH):
        if width == 1:
            break
        width //= 2
        for j: uint256 in range(width, bound=8):
            level[j] = self._pair(level[2 * j], level[2 * j + 1])
    return level[0]

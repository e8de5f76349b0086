# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter ReputationRegistry
@custom:contract-name ReputationRegistry
@license MIT
@notice The ERC-8004 Reputation Registry: clients give agents feedback (a
        signed fixed-point `value` with `valueDecimals`, two optional tags,
        an endpoint, a file URI and its hash), revoke their own feedback,
        and anyone appends responses to a feedback. Feedback is numbered
        from 1 per (agent, client). Views read single feedback, all
        feedback matching a filter, a summary (the average, in the most
        frequent number of decimals) and response counts.

        The external interface is the one of the reference deployment
        (erc-8004/erc-8004-contracts, ReputationRegistryUpgradeable 2.0.0):
        the same functions, return shapes and events (so the same
        selectors and topics), the same rules and the same arithmetic, so
        existing ERC-8004 clients work unchanged. The differences:
          - no proxy, owner or `initialize`: the identity registry is fixed
            at deployment and nothing can be changed afterwards;
          - bounds (Vyper needs them). Tags are stored up to 64 bytes:
            `giveFeedback` refuses longer ones ("reputation: tag too long")
            up to the tag arguments' ABI bound, 256 bytes; a longer tag
            filter matches nothing, as in the reference. URIs (only
            logged) have an ABI bound of 4,096 bytes and address lists one
            of 1,024 entries; the ABI decoder refuses longer inputs, without
            a reason. What depends on storage is refused with a reason, never
            silently truncated: `getClients` and the views that read every
            client of an agent refuse an agent with more than 1,024 clients
            ("reputation: too many clients"; page with `getClientCount` /
            `getClientsFrom` and pass the clients explicitly); one view
            call reads at most 2,048 feedback entries and response counters
            ("reputation: too many to read"), and `readAllFeedback` returns
            at most 1,024 entries ("reputation: too many results");
          - `getSummary` refuses a summary that does not fit in int128
            ("reputation: summary overflow") where the reference's cast
            silently keeps the low 128 bits;
          - revert reasons carry the "reputation: " prefix (see the
            reasons table below).

        Reasons, reference -> here:
            "too many decimals"         -> "reputation: too many decimals"
            "value too large"           -> "reputation: value too large"
            "Self-feedback not allowed" -> "reputation: self-feedback"
            "index must be > 0"         -> "reputation: index zero"
            "index out of bounds"       -> "reputation: index out of bounds"
            "Already revoked"           -> "reputation: already revoked"
            "Empty URI"                 -> "reputation: empty URI"
            "clientAddresses required"  -> "reputation: clients required"
        An unknown agent in `giveFeedback` reverts in the identity registry
        ("registry: unknown agent" from Charter's AgentRegistry; the
        reference's ERC721NonexistentToken).
@dev Per feedback, one word packs the value (int128, biased by 2**127 into
     the low 128 bits), the decimals, the revoked flag, the two tag
     lengths and, when they fit in the 12 bytes left (the common short
     tags: "starred", "uptime", "successRate" with an empty tag2), the
     tags themselves; longer tags are raw 32-byte words, written only when
     non-empty. A client has given feedback to an agent exactly when its
     last index is non-zero (feedback is never deleted), so it needs no
     "exists" flag; responses are counted per responder and in total per
     feedback entry, which is all `getResponseCount` asks (no responder
     list).
@custom:security Anyone may give feedback: the registry only refuses the
                 agent's own owner, operators and approved address. Which
                 clients to trust is the reader's choice, which is why
                 `getSummary` requires a list of clients.
"""


# ---------------------------------------------------------------- imports

from interfaces import IAgentRegistry

from .modules import intent_hashing
from .modules import intent_types


# ---------------------------------------------------------------- constants

# Longest tag stored (tag1, tag2), in bytes; longer ones are refused with
# a reason up to TAG_INPUT_MAX, the tag arguments' ABI bound.
TAG_MAX: constant(uint256) = 64
TAG_INPUT_MAX: constant(uint256) = 256
# Longest endpoint, feedback URI or response URI, in bytes (as AgentRegistry's URIs).
URI_MAX: constant(uint256) = 4_096
# Longest address list: the clients and responders a view is given, and the
# clients of an agent that `getClients` returns or a view reads.
LIST_MAX: constant(uint256) = 1_024
# Most records one view call reads: feedback entries it visits (matching or
# not), and response counters `getResponseCount` reads. A visit with both
# tag filters costs up to three cold storage reads: 2,048 stay under 20M gas.
READ_MAX: constant(uint256) = 2_048
# Most feedback entries `readAllFeedback` returns.
FEEDBACK_MAX: constant(uint256) = 1_024

MAX_DECIMALS: constant(uint8) = 18
MAX_ABS_VALUE: constant(int128) = 10**38
VERSION: constant(String[5]) = "2.0.0"

# The packed feedback word: value + 2**127 (128 bits) | decimals (8) |
# revoked (1, at bit 136) | tags inline (1, at 137) | tag1 length (8, at
# 144) | tag2 length (8, at 152) | the tags themselves (96, at 160) when
# they fit: tag1 then tag2, at most 12 bytes together.
_VALUE_BIAS: constant(int256) = 2**127
_LOW_128: constant(uint256) = (1 << 128) - 1
_DECIMALS_SHIFT: constant(uint256) = 128
_REVOKED: constant(uint256) = 1 << 136
_INLINE: constant(uint256) = 1 << 137
_TAG1_SHIFT: constant(uint256) = 144
_TAG2_SHIFT: constant(uint256) = 152
_INLINE_MAX: constant(uint256) = 12
_LOW_160: constant(uint256) = (1 << 160) - 1
_BYTE: constant(uint256) = 255
# Words per tag, and where each tag starts in a feedback's tag words
# (used when the tags do not fit in the feedback word).
_TAG_WORDS: constant(uint256) = TAG_MAX // 32
_TAG1_AT: constant(uint256) = 0
_TAG2_AT: constant(uint256) = _TAG_WORDS

_WAD_DECIMALS: constant(uint256) = 18


# The settler's receipt of a settled order (IntentSettler.settlementReceipt).
interface ISettler:
    def settlementReceipt(orderId: bytes32) -> bytes32: view


# ---------------------------------------------------------------- immutables

IDENTITY: immutable(IAgentRegistry)
# Zero: anyone may give feedback (the ERC-8004 registry). Otherwise the
# IntentSettler whose settled orders back every feedback (see `recordReceipt`).
SETTLER: public(immutable(address))


# ---------------------------------------------------------------- structs

# A view's tag filters: lengths (0: no filter), zero-padded words (to
# compare with stored words) and hashes (to compare with inline tags).
struct TagFilters:
    length1: uint256
    words1: bytes32[_TAG_WORDS]
    hash1: bytes32
    length2: uint256
    words2: bytes32[_TAG_WORDS]
    hash2: bytes32


# What a settled order proves: who dealt with whom, and what was paid (its
# first input: token and amount).
struct Receipt:
    user: address
    openerAgentId: uint256
    fillerAgentId: uint256
    fillerChainId: uint256
    payout: address
    token: address
    amount: uint256


# ---------------------------------------------------------------- storage

# agentId => client => its last feedback index (0: it never gave this agent feedback).
_last_index: HashMap[uint256, HashMap[address, uint64]]
# agentId => position => client, in the order of their first feedback.
_clients: HashMap[uint256, HashMap[uint256, address]]
_client_count: HashMap[uint256, uint256]
# agentId => client => feedback index => the packed feedback word.
_feedback: HashMap[uint256, HashMap[address, HashMap[uint64, uint256]]]
# agentId => client => feedback index => tag1 words, then tag2 words.
_tag_words: HashMap[uint256, HashMap[address, HashMap[uint64, bytes32[2 * _TAG_WORDS]]]]
# agentId => client => feedback index => responder => responses it appended.
_response_count: HashMap[uint256, HashMap[address, HashMap[uint64, HashMap[address, uint64]]]]
# agentId => client => feedback index => responses appended by anyone (the
# sum over responders, which the reference computes from a responder list).
_responses: HashMap[uint256, HashMap[address, HashMap[uint64, uint64]]]


# orderId => its settlement receipt, once recorded (receipt-backed registry only).
_receipts: HashMap[bytes32, Receipt]
# orderId => the directions its receipt backed feedback in: 1 on the filler, 2 on the opener.
_receipt_used: HashMap[bytes32, uint256]
# agentId => client => feedback index => the order that backs it.
_backing: HashMap[uint256, HashMap[address, HashMap[uint64, bytes32]]]


# ---------------------------------------------------------------- events

# A settled order's receipt was recorded: feedback between its parties may cite it.
event ReceiptRecorded:
    orderId: indexed(bytes32)
    openerAgentId: indexed(uint256)
    fillerAgentId: indexed(uint256)
    fillerChainId: uint256
    token: address
    amount: uint256

# A client gave an agent feedback; `indexedTag1` is keccak256(tag1).
event NewFeedback:
    agentId: indexed(uint256)
    clientAddress: indexed(address)
    feedbackIndex: uint64
    value: int128
    valueDecimals: uint8
    indexedTag1: indexed(String[TAG_INPUT_MAX])
    tag1: String[TAG_INPUT_MAX]
    tag2: String[TAG_INPUT_MAX]
    endpoint: String[URI_MAX]
    feedbackURI: String[URI_MAX]
    feedbackHash: bytes32


# A client revoked one of its feedback entries.
event FeedbackRevoked:
    agentId: indexed(uint256)
    clientAddress: indexed(address)
    feedbackIndex: indexed(uint64)


# `responder` appended a response to a feedback entry.
event ResponseAppended:
    agentId: indexed(uint256)
    clientAddress: indexed(address)
    feedbackIndex: uint64
    responder: indexed(address)
    responseURI: String[URI_MAX]
    responseHash: bytes32


# ---------------------------------------------------------------- constructor

@deploy
def __init__(identityRegistry: address, settler: address):
    """
    @notice Deploy the registry for the agents of `identityRegistry`. The
            binding is permanent: there is no owner and no upgrade path.
    @param identityRegistry The ERC-8004 identity registry (Charter's
           AgentRegistry); it must have code.
    @param settler Zero for the ERC-8004 registry anyone may review in; an
           IntentSettler for the receipt-backed registry, where every
           feedback cites one of its settled orders (`feedbackHash` = the
           order id) and comes from a counterparty of that order.
    """
    assert identityRegistry.is_contract, "reputation: no identity registry"
    assert settler == empty(address) or settler.is_contract, "reputation: no settler"
    IDENTITY = IAgentRegistry(identityRegistry)
    SETTLER = settler


# ---------------------------------------------------------------- writes

@external
def giveFeedback(
    agentId: uint256,
    value_: int128,
    valueDecimals: uint8,
    tag1: String[TAG_INPUT_MAX],
    tag2: String[TAG_INPUT_MAX],
    endpoint: String[URI_MAX],
    feedbackURI: String[URI_MAX],
    feedbackHash: bytes32,
):
    """
    @notice Give agent `agentId` feedback as `msg.sender` (the client). The
            entry gets the client's next index (1 for its first feedback to
            this agent). Emits `NewFeedback`.
    @dev Stores value, decimals and both tags; `endpoint`, `feedbackURI`
         and `feedbackHash` are only logged.
    @param agentId The agent; must exist in the identity registry.
    @param value_ The signed fixed-point value, |value| <= 10**38 (the
           reference names it `value`, a reserved word in Vyper).
    @param valueDecimals Its decimals, 0 to 18.
    @param tag1 Optional tag (<= 64 bytes, "reputation: tag too long");
           also logged as the indexed topic.
    @param tag2 Optional second tag (<= 64 bytes).
    @param endpoint Optional endpoint the feedback is about.
    @param feedbackURI Optional URI of an off-chain feedback file.
    @param feedbackHash Optional keccak256 of that file.
    @custom:security The agent's owner, its owner's operators and its
                     approved address may not review it. Anyone else may,
                     any number of times.
    """
    assert valueDecimals <= MAX_DECIMALS, "reputation: too many decimals"
    assert value_ >= -MAX_ABS_VALUE and value_ <= MAX_ABS_VALUE, "reputation: value too large"
    assert len(tag1) <= TAG_MAX and len(tag2) <= TAG_MAX, "reputation: tag too long"
    # Reverts for an unknown agent (inside the identity registry).
    assert not staticcall IDENTITY.isAuthorizedOrOwner(msg.sender, agentId), "reputation: self-feedback"

    index: uint64 = self._last_index[agentId][msg.sender] + 1
    self._last_index[agentId][msg.sender] = index
    if SETTLER != empty(address):
        self._back(agentId, feedbackHash, index)
    if index == 1:
        count: uint256 = self._client_count[agentId]
        self._clients[agentId][count] = msg.sender
        # Cannot overflow: one client per position, far below 2**256.
        self._client_count[agentId] = unsafe_add(count, 1)

    n1: uint256 = len(tag1)
    n2: uint256 = len(tag2)
    word: uint256 = (
        convert(convert(value_, int256) + _VALUE_BIAS, uint256)
        | (convert(valueDecimals, uint256) << _DECIMALS_SHIFT)
        | (n1 << _TAG1_SHIFT)
        | (n2 << _TAG2_SHIFT)
    )
    # Cannot overflow: both lengths are at most TAG_MAX.
    if unsafe_add(n1, n2) <= _INLINE_MAX:
        # The tags' bytes, left-aligned: the top 12 bytes of the word.
        both: Bytes[2 * TAG_INPUT_MAX + 32] = concat(
            convert(tag1, Bytes[TAG_INPUT_MAX]), convert(tag2, Bytes[TAG_INPUT_MAX]), empty(bytes32)
        )
        word = word | _INLINE | (convert(extract32(both, 0), uint256) & ~_LOW_160)
    else:
        if n1 != 0:
            self._write_tag(agentId, msg.sender, index, _TAG1_AT, tag1)
        if n2 != 0:
            self._write_tag(agentId, msg.sender, index, _TAG2_AT, tag2)
    self._feedback[agentId][msg.sender][index] = word

    log NewFeedback(
        agentId=agentId,
        clientAddress=msg.sender,
        feedbackIndex=index,
        value=value_,
        valueDecimals=valueDecimals,
        indexedTag1=tag1,
        tag1=tag1,
        tag2=tag2,
        endpoint=endpoint,
        feedbackURI=feedbackURI,
        feedbackHash=feedbackHash,
    )


@external
def recordReceipt(
    orderId: bytes32,
    user: address,
    openerAgentId: uint256,
    fillerAgentId: uint256,
    fillerChainId: uint256,
    payout: address,
    inputs: DynArray[intent_types.Input, intent_types.MAX_INPUTS],
):
    """
    @notice Record a settled order's receipt (receipt-backed registry only),
            checked against the settler's `settlementReceipt(orderId)`.
            Anyone may send it (the relayer that settled, a party of the
            order); then its parties may give feedback citing it: the
            opener's side on the filler's agent, the filler's side on the
            opener's agent, once each.
    @param orderId The settled order.
    @param user The order's user.
    @param openerAgentId The agent it was opened for (0: none).
    @param fillerAgentId The filler's agent (0: none), in the registry of
           `fillerChainId`.
    @param fillerChainId The chain the order was filled on.
    @param payout Where its escrow went.
    @param inputs Its inputs (the first one is recorded as its value).
    """
    assert SETTLER != empty(address), "reputation: not receipt-backed"
    assert len(inputs) != 0, "reputation: no inputs"
    held: bytes32 = staticcall ISettler(SETTLER).settlementReceipt(orderId)
    shown: uint256 = intent_hashing._receipt_word(
        orderId, user, openerAgentId, fillerAgentId, fillerChainId, payout, inputs
    )
    assert held != empty(bytes32) and convert(held, uint256) == shown, "reputation: no such settlement"
    assert self._receipts[orderId].user == empty(address), "reputation: receipt recorded"
    self._receipts[orderId] = Receipt(
        user=user,
        openerAgentId=openerAgentId,
        fillerAgentId=fillerAgentId,
        fillerChainId=fillerChainId,
        payout=payout,
        token=inputs[0].token,
        amount=inputs[0].amount,
    )
    log ReceiptRecorded(
        orderId=orderId,
        openerAgentId=openerAgentId,
        fillerAgentId=fillerAgentId,
        fillerChainId=fillerChainId,
        token=inputs[0].token,
        amount=inputs[0].amount,
    )


@external
def revokeFeedback(agentId: uint256, feedbackIndex: uint64):
    """
    @notice Revoke feedback the caller gave. It stays readable (flagged
            revoked) and is left out of summaries. Emits `FeedbackRevoked`.
    @param agentId The agent.
    @param feedbackIndex The caller's feedback index, 1 to its last index.
    """
    assert feedbackIndex != 0, "reputation: index zero"
    assert feedbackIndex <= self._last_index[agentId][msg.sender], "reputation: index out of bounds"
    word: uint256 = self._feedback[agentId][msg.sender][feedbackIndex]
    assert word & _REVOKED == 0, "reputation: already revoked"
    self._feedback[agentId][msg.sender][feedbackIndex] = word | _REVOKED
    log FeedbackRevoked(agentId=agentId, clientAddress=msg.sender, feedbackIndex=feedbackIndex)


@external
def appendResponse(
    agentId: uint256,
    clientAddress: address,
    feedbackIndex: uint64,
    responseURI: String[URI_MAX],
    responseHash: bytes32,
):
    """
    @notice Append a response to a feedback entry (revoked or not), as
            `msg.sender`. Anyone may respond (the agent refuting, an
            auditor confirming), any number of times. Emits
            `ResponseAppended`.
    @param agentId The agent.
    @param clientAddress The client that gave the feedback.
    @param feedbackIndex Its index, 1 to the client's last index.
    @param responseURI The response's URI; must not be empty.
    @param responseHash Optional keccak256 of the response file.
    """
    assert feedbackIndex != 0, "reputation: index zero"
    assert len(responseURI) != 0, "reputation: empty URI"
    assert feedbackIndex <= self._last_index[agentId][clientAddress], "reputation: index out of bounds"
    self._response_count[agentId][clientAddress][feedbackIndex][msg.sender] += 1
    self._responses[agentId][clientAddress][feedbackIndex] += 1
    log ResponseAppended(
        agentId=agentId,
        clientAddress=clientAddress,
        feedbackIndex=feedbackIndex,
        responder=msg.sender,
        responseURI=responseURI,
        responseHash=responseHash,
    )


# ---------------------------------------------------------------- views

@external
@view
@reentrant
def getIdentityRegistry() -> address:
    """
    @notice The identity registry whose agents this registry reviews.
    @return address The registry.
    """
    return IDENTITY.address


@external
@pure
@reentrant
def getVersion() -> String[5]:
    """
    @notice The version of the ERC-8004 reputation interface implemented
            (the reference deployment's).
    @return String "2.0.0".
    """
    return VERSION


@external
@view
@reentrant
def getLastIndex(agentId: uint256, clientAddress: address) -> uint64:
    """
    @notice The last feedback index `clientAddress` used for `agentId`
            (its feedback count, revoked included; 0 if none).
    @param agentId The agent.
    @param clientAddress The client.
    @return uint64 The last index.
    """
    return self._last_index[agentId][clientAddress]


@external
@view
@reentrant
def readFeedback(
    agentId: uint256, clientAddress: address, feedbackIndex: uint64
) -> (int128, uint8, String[TAG_MAX], String[TAG_MAX], bool):
    """
    @notice One feedback entry.
    @param agentId The agent.
    @param clientAddress The client that gave it.
    @param feedbackIndex Its index, 1 to the client's last index.
    @return value The value.
    @return valueDecimals Its decimals.
    @return tag1 The first tag.
    @return tag2 The second tag.
    @return isRevoked Whether the client revoked it.
    """
    assert feedbackIndex != 0, "reputation: index zero"
    assert feedbackIndex <= self._last_index[agentId][clientAddress], "reputation: index out of bounds"
    word: uint256 = self._feedback[agentId][clientAddress][feedbackIndex]
    return (
        self._value_of(word),
        self._decimals_of(word),
        self._tag(agentId, clientAddress, feedbackIndex, word, False),
        self._tag(agentId, clientAddress, feedbackIndex, word, True),
        word & _REVOKED != 0,
    )


@external
@view
@reentrant
def getSummary(
    agentId: uint256,
    clientAddresses: DynArray[address, LIST_MAX],
    tag1: String[TAG_INPUT_MAX],
    tag2: String[TAG_INPUT_MAX],
) -> (uint64, int128, uint8):
    """
    @notice Count and average of the unrevoked feedback the given clients
            gave `agentId`, optionally only entries whose tag1 / tag2 equal
            the given tags (an empty tag matches everything).
    @dev As the reference: every value is scaled to 18 decimals, the sum
         is divided by the count (rounding toward zero), and the average
         is expressed in the most frequent `valueDecimals` among the
         counted entries (the smallest on a tie), rounding toward zero. A
         client listed twice is counted twice.
    @param agentId The agent.
    @param clientAddresses The clients whose feedback counts; required
           (choosing whom to trust is the reader's job).
    @param tag1 Tag1 filter, or "" (longer than 64 bytes: matches nothing).
    @param tag2 Tag2 filter, or "" (likewise).
    @return count The number of entries counted.
    @return summaryValue The average, with `summaryValueDecimals` decimals.
    @return summaryValueDecimals The most frequent decimals (0 if count is 0).
    """
    assert len(clientAddresses) != 0, "reputation: clients required"
    total: int256 = 0
    count: uint256 = 0
    reads: uint256 = 0
    filters: TagFilters = self._filters(tag1, tag2)
    # How many counted entries have 0..18 decimals.
    frequency: uint256[19] = empty(uint256[19])
    for client: address in clientAddresses:
        last: uint256 = convert(self._last_index[agentId][client], uint256)
        reads = self._spend(reads, last)
        for k: uint256 in range(last, bound=READ_MAX):
            # Cannot overflow: k < READ_MAX.
            index: uint64 = convert(unsafe_add(k, 1), uint64)
            word: uint256 = self._feedback[agentId][client][index]
            if word & _REVOKED != 0:
                continue
            if not self._tags_match(agentId, client, index, word, filters):
                continue
            decimals: uint256 = convert(self._decimals_of(word), uint256)
            # Cannot overflow: |value| <= 10**38 and decimals <= 18, so the
            # scaled value is below 10**56 and READ_MAX of them below 2**255.
            total = unsafe_add(
                total, unsafe_mul(convert(self._value_of(word), int256), self._pow10(_WAD_DECIMALS - decimals))
            )
            frequency[decimals] = unsafe_add(frequency[decimals], 1)
            count = unsafe_add(count, 1)
    if count == 0:
        return (0, 0, 0)
    mode: uint256 = 0
    for d: uint256 in range(1, 19):
        if frequency[d] > frequency[mode]:
            mode = d
    # Signed division rounds toward zero, as Solidity's.
    average: int256 = (total // convert(count, int256)) // self._pow10(_WAD_DECIMALS - mode)
    assert average >= convert(min_value(int128), int256) and average <= convert(max_value(int128), int256), (
        "reputation: summary overflow"
    )
    return (convert(count, uint64), convert(average, int128), convert(mode, uint8))


@external
@view
@reentrant
def readAllFeedback(
    agentId: uint256,
    clientAddresses: DynArray[address, LIST_MAX],
    tag1: String[TAG_INPUT_MAX],
    tag2: String[TAG_INPUT_MAX],
    includeRevoked: bool,
) -> (
    DynArray[address, FEEDBACK_MAX],
    DynArray[uint64, FEEDBACK_MAX],
    DynArray[int128, FEEDBACK_MAX],
    DynArray[uint8, FEEDBACK_MAX],
    DynArray[String[TAG_MAX], FEEDBACK_MAX],
    DynArray[String[TAG_MAX], FEEDBACK_MAX],
    DynArray[bool, FEEDBACK_MAX],
):
    """
    @notice Every feedback entry the given clients (or, with an empty list,
            all the agent's clients in order of their first feedback) gave
            `agentId`, matching the tag filters (an empty tag matches
            everything), revoked entries only if `includeRevoked`. Ordered
            by client, then index.
    @dev Refuses, rather than truncates, an agent with more than LIST_MAX
         clients when no list is given, more than READ_MAX entries to visit
         and more than FEEDBACK_MAX results.
    @param agentId The agent.
    @param clientAddresses The clients, or empty for all.
    @param tag1 Tag1 filter, or "" (longer than 64 bytes: matches nothing).
    @param tag2 Tag2 filter, or "" (likewise).
    @param includeRevoked Whether to list revoked entries.
    @return clients The client of each entry.
    @return feedbackIndexes Its index.
    @return values Its value.
    @return valueDecimals Its decimals.
    @return tag1s Its tag1.
    @return tag2s Its tag2.
    @return revokedStatuses Whether it is revoked.
    """
    clients: DynArray[address, LIST_MAX] = clientAddresses
    if len(clients) == 0:
        clients = self._all_clients(agentId)
    out_clients: DynArray[address, FEEDBACK_MAX] = []
    out_indexes: DynArray[uint64, FEEDBACK_MAX] = []
    out_values: DynArray[int128, FEEDBACK_MAX] = []
    out_decimals: DynArray[uint8, FEEDBACK_MAX] = []
    out_tag1s: DynArray[String[TAG_MAX], FEEDBACK_MAX] = []
    out_tag2s: DynArray[String[TAG_MAX], FEEDBACK_MAX] = []
    out_revoked: DynArray[bool, FEEDBACK_MAX] = []
    filters: TagFilters = self._filters(tag1, tag2)
    reads: uint256 = 0
    for client: address in clients:
        last: uint256 = convert(self._last_index[agentId][client], uint256)
        reads = self._spend(reads, last)
        for k: uint256 in range(last, bound=READ_MAX):
            # Cannot overflow: k < READ_MAX.
            index: uint64 = convert(unsafe_add(k, 1), uint64)
            word: uint256 = self._feedback[agentId][client][index]
            revoked: bool = word & _REVOKED != 0
            if revoked and not includeRevoked:
                continue
            if not self._tags_match(agentId, client, index, word, filters):
                continue
            assert len(out_clients) < FEEDBACK_MAX, "reputation: too many results"
            out_clients.append(client)
            out_indexes.append(index)
            out_values.append(self._value_of(word))
            out_decimals.append(self._decimals_of(word))
            out_tag1s.append(self._tag(agentId, client, index, word, False))
            out_tag2s.append(self._tag(agentId, client, index, word, True))
            out_revoked.append(revoked)
    return out_clients, out_indexes, out_values, out_decimals, out_tag1s, out_tag2s, out_revoked


@external
@view
@reentrant
def getResponseCount(
    agentId: uint256,
    clientAddress: address,
    feedbackIndex: uint64,
    responders: DynArray[address, LIST_MAX],
) -> uint64:
    """
    @notice How many responses were appended: to every feedback of every
            client of `agentId` (`clientAddress` zero; `feedbackIndex` is
            then ignored), to every feedback of `clientAddress`
            (`feedbackIndex` 0), or to one feedback entry. Only responses
            by `responders` count, or every responder's if it is empty (a
            responder listed twice counts twice).
    @dev Revoked feedback counts. An index past the client's last one has
         no responses (0), as in the reference. Each feedback entry visited
         is one of the READ_MAX records, and so is each listed responder's
         counter read for it; every responder's count is one total per
         feedback entry.
    @param agentId The agent.
    @param clientAddress The client, or zero for all clients.
    @param feedbackIndex The feedback index, or 0 for all the client's.
    @param responders The responders to count, or empty for all.
    @return count The number of responses.
    """
    count: uint64 = 0
    reads: uint256 = 0
    if clientAddress != empty(address) and feedbackIndex != 0:
        count, reads = self._count_responses(agentId, clientAddress, feedbackIndex, responders, count, reads)
        return count
    clients: DynArray[address, LIST_MAX] = [clientAddress]
    if clientAddress == empty(address):
        clients = self._all_clients(agentId)
    for client: address in clients:
        last: uint256 = convert(self._last_index[agentId][client], uint256)
        reads = self._spend(reads, last)
        for k: uint256 in range(last, bound=READ_MAX):
            # Cannot overflow: k < READ_MAX.
            index: uint64 = convert(unsafe_add(k, 1), uint64)
            count, reads = self._count_responses(agentId, client, index, responders, count, reads)
    return count


@external
@view
@reentrant
def getClients(agentId: uint256) -> DynArray[address, LIST_MAX]:
    """
    @notice Every client that gave `agentId` feedback, in order of its
            first feedback.
    @dev Refuses an agent with more than LIST_MAX clients ("reputation: too
         many clients"); page with `getClientCount` and `getClientsFrom`.
    @param agentId The agent.
    @return DynArray The clients.
    """
    return self._all_clients(agentId)


@external
@view
@reentrant
def getClientCount(agentId: uint256) -> uint256:
    """
    @notice How many clients gave `agentId` feedback (Charter extension).
    @param agentId The agent.
    @return uint256 The number of clients.
    """
    return self._client_count[agentId]


@external
@view
@reentrant
def getClientsFrom(agentId: uint256, start: uint256) -> DynArray[address, LIST_MAX]:
    """
    @notice Up to LIST_MAX clients of `agentId`, from position `start` (0
            is the first client) in order of first feedback; empty past the
            end (Charter extension: reads any number of clients).
    @param agentId The agent.
    @param start The first position.
    @return DynArray The clients.
    """
    total: uint256 = self._client_count[agentId]
    if start >= total:
        return []
    return self._clients_between(agentId, start, min(total - start, LIST_MAX))


# ---------------------------------------------------------------- receipt-backed views

@external
@view
def receiptOf(orderId: bytes32) -> Receipt:
    """
    @notice A recorded receipt (zeros if none): the order's parties and its
            value (first input).
    @param orderId The order.
    @return Receipt The receipt.
    """
    return self._receipts[orderId]


@external
@view
def backingOf(agentId: uint256, clientAddress: address, feedbackIndex: uint64) -> (bytes32, address, uint256):
    """
    @notice The settled order a feedback cites and what it paid (token,
            amount of its first input); zeros in the ERC-8004 registry.
    @param agentId The agent.
    @param clientAddress The client.
    @param feedbackIndex The feedback's index.
    @return bytes32 The order id.
    @return address The token (zero: native value).
    @return uint256 The amount.
    """
    order_id: bytes32 = self._backing[agentId][clientAddress][feedbackIndex]
    if order_id == empty(bytes32):
        return empty(bytes32), empty(address), 0
    r: Receipt = self._receipts[order_id]
    return order_id, r.token, r.amount


# ---------------------------------------------------------------- internal

@internal
def _back(agent_id: uint256, order_id: bytes32, index: uint64):
    """
    @dev Receipt-backed feedback: `order_id` is a recorded settled order,
         the caller is a party of it on the other side from `agent_id`, and
         this direction was not used yet. On the filler's agent (its id
         here is itself when it lives on this chain, or the agent that
         represents it here): the opener's user, or its agent's owner or
         wallet. On the opener's agent: the payout the fill named, or the
         filler agent's owner or wallet when it lives on this chain.
    """
    # Field by field: a direction reads only the words it needs (each a cold storage read).
    user: address = self._receipts[order_id].user
    assert user != empty(address), "reputation: no receipt"
    home_chain: uint256 = 0
    home_id: uint256 = 0
    inbox: address = empty(address)
    home_chain, home_id, inbox = staticcall IDENTITY.homeOf(agent_id)
    filler_agent: uint256 = self._receipts[order_id].fillerAgentId
    filler_chain: uint256 = self._receipts[order_id].fillerChainId
    opener_agent: uint256 = self._receipts[order_id].openerAgentId
    direction: uint256 = 0
    if filler_agent != 0 and home_chain == filler_chain and home_id == filler_agent:
        assert msg.sender == user or self._signs_for(opener_agent), "reputation: not a counterparty"
        direction = 1
    elif opener_agent != 0 and agent_id == opener_agent:
        assert msg.sender == self._receipts[order_id].payout or (
            filler_chain == chain.id and self._signs_for(filler_agent)
        ), "reputation: not a counterparty"
        direction = 2
    else:
        raise "reputation: agent not in the order"
    used: uint256 = self._receipt_used[order_id]
    assert used & direction == 0, "reputation: receipt used"
    self._receipt_used[order_id] = used | direction
    self._backing[agent_id][msg.sender][index] = order_id


@internal
@view
def _signs_for(agent_id: uint256) -> bool:
    if agent_id == 0:
        return False
    owner: address = empty(address)
    wallet: address = empty(address)
    owner, wallet = staticcall IDENTITY.consentSigners(agent_id)
    return msg.sender == owner or (wallet != empty(address) and msg.sender == wallet)


@internal
def _write_tag(agent_id: uint256, client: address, index: uint64, at: uint256, tag: String[TAG_INPUT_MAX]):
    """
    @dev Store a non-empty tag as ceil(len / 32) raw words from word `at`;
         its length lives in the feedback word.
    """
    padded: Bytes[TAG_INPUT_MAX + 32] = concat(convert(tag, Bytes[TAG_INPUT_MAX]), empty(bytes32))
    # Cannot overflow: len(tag) <= TAG_MAX (checked by the caller).
    words: uint256 = unsafe_div(unsafe_add(len(tag), 31), 32)
    for i: uint256 in range(words, bound=_TAG_WORDS):
        # Cannot overflow: i < _TAG_WORDS and at <= _TAG_WORDS.
        self._tag_words[agent_id][client][index][unsafe_add(at, i)] = extract32(padded, unsafe_mul(i, 32))


@internal
@view
def _tag(agent_id: uint256, client: address, index: uint64, word: uint256, second: bool) -> String[TAG_MAX]:
    """
    @dev Tag1 (or tag2 if `second`) of a feedback whose packed word is `word`.
    """
    n1: uint256 = (word >> _TAG1_SHIFT) & _BYTE
    length: uint256 = n1
    if second:
        length = (word >> _TAG2_SHIFT) & _BYTE
    if length == 0:
        return ""
    if word & _INLINE != 0:
        start: uint256 = 0
        if second:
            start = n1
        # start + length <= _INLINE_MAX: within the word's top 12 bytes.
        return convert(slice(convert(word & ~_LOW_160, bytes32), start, length), String[TAG_MAX])
    at: uint256 = _TAG1_AT
    if second:
        at = _TAG2_AT
    buffer: bytes32[_TAG_WORDS] = empty(bytes32[_TAG_WORDS])
    # Cannot overflow: length <= TAG_MAX.
    words: uint256 = unsafe_div(unsafe_add(length, 31), 32)
    for i: uint256 in range(words, bound=_TAG_WORDS):
        # Cannot overflow: i < _TAG_WORDS and at <= _TAG_WORDS.
        buffer[i] = self._tag_words[agent_id][client][index][unsafe_add(at, i)]
    return convert(slice(abi_encode(buffer), 0, length), String[TAG_MAX])


@internal
@view
def _tags_match(agent_id: uint256, client: address, index: uint64, word: uint256, filters: TagFilters) -> bool:
    """
    @dev Whether the feedback's tags equal the non-empty filters. Compares
         lengths (in `word`) first, then the inline bytes or the stored
         words with the filter's.
    """
    if filters.length1 != 0:
        if (word >> _TAG1_SHIFT) & _BYTE != filters.length1:
            return False
        if word & _INLINE != 0:
            if keccak256(self._tag(agent_id, client, index, word, False)) != filters.hash1:
                return False
        elif not self._words_equal(agent_id, client, index, _TAG1_AT, filters.length1, filters.words1):
            return False
    if filters.length2 != 0:
        if (word >> _TAG2_SHIFT) & _BYTE != filters.length2:
            return False
        if word & _INLINE != 0:
            if keccak256(self._tag(agent_id, client, index, word, True)) != filters.hash2:
                return False
        elif not self._words_equal(agent_id, client, index, _TAG2_AT, filters.length2, filters.words2):
            return False
    return True


@internal
@view
def _words_equal(
    agent_id: uint256, client: address, index: uint64, at: uint256, length: uint256, words: bytes32[_TAG_WORDS]
) -> bool:
    # Cannot overflow: length <= TAG_MAX.
    n: uint256 = unsafe_div(unsafe_add(length, 31), 32)
    for i: uint256 in range(n, bound=_TAG_WORDS):
        # Cannot overflow: i < _TAG_WORDS and at <= _TAG_WORDS.
        if self._tag_words[agent_id][client][index][unsafe_add(at, i)] != words[i]:
            return False
    return True


@internal
@pure
def _filters(tag1: String[TAG_INPUT_MAX], tag2: String[TAG_INPUT_MAX]) -> TagFilters:
    return TagFilters(
        length1=len(tag1),
        words1=self._as_words(tag1),
        hash1=keccak256(tag1),
        length2=len(tag2),
        words2=self._as_words(tag2),
        hash2=keccak256(tag2),
    )


@internal
@pure
def _as_words(tag: String[TAG_INPUT_MAX]) -> bytes32[_TAG_WORDS]:
    """
    @dev The tag's first _TAG_WORDS zero-padded 32-byte words, as
         `_write_tag` stores them (a filter longer than TAG_MAX matches no
         stored tag: its length differs).
    """
    # At least TAG_MAX (= _TAG_WORDS words) long, whatever the tag's length.
    padded: Bytes[TAG_INPUT_MAX + TAG_MAX] = concat(
        convert(tag, Bytes[TAG_INPUT_MAX]), empty(bytes32), empty(bytes32)
    )
    words: bytes32[_TAG_WORDS] = empty(bytes32[_TAG_WORDS])
    for i: uint256 in range(_TAG_WORDS):
        # Cannot overflow: i < _TAG_WORDS.
        words[i] = extract32(padded, unsafe_mul(i, 32))
    return words


@internal
@view
def _count_responses(
    agent_id: uint256,
    client: address,
    index: uint64,
    responders: DynArray[address, LIST_MAX],
    count: uint64,
    reads: uint256,
) -> (uint64, uint256):
    """
    @dev `count` plus the responses to one feedback entry by `responders`
         (all responders if empty), and `reads` plus the responders' counters
         read (the total of all responders is read with the entry's visit).
    """
    if len(responders) == 0:
        return count + self._responses[agent_id][client][index], reads
    spent: uint256 = self._spend(reads, len(responders))
    total: uint64 = count
    for responder: address in responders:
        total += self._response_count[agent_id][client][index][responder]
    return total, spent


@internal
@view
def _all_clients(agent_id: uint256) -> DynArray[address, LIST_MAX]:
    total: uint256 = self._client_count[agent_id]
    assert total <= LIST_MAX, "reputation: too many clients"
    return self._clients_between(agent_id, 0, total)


@internal
@view
def _clients_between(agent_id: uint256, start: uint256, n: uint256) -> DynArray[address, LIST_MAX]:
    out: DynArray[address, LIST_MAX] = []
    for i: uint256 in range(n, bound=LIST_MAX):
        # Cannot overflow: start + i < the agent's client count.
        out.append(self._clients[agent_id][unsafe_add(start, i)])
    return out


@internal
@pure
def _spend(reads: uint256, more: uint256) -> uint256:
    """
    @dev `reads` + `more`, refused beyond READ_MAX.
    """
    # Cannot overflow: reads <= READ_MAX and `more` is a list length or a 64-bit counter.
    assert reads + more <= READ_MAX, "reputation: too many to read"
    return reads + more


@internal
@pure
def _value_of(word: uint256) -> int128:
    return convert(convert(word & _LOW_128, int256) - _VALUE_BIAS, int128)


@internal
@pure
def _decimals_of(word: uint256) -> uint8:
    return convert((word >> _DECIMALS_SHIFT) & _BYTE, uint8)


@internal
@pure
def _pow10(n: uint256) -> int256:
    """
    @dev 10**n for n <= 18.
    """
    return convert(10**n, int256)

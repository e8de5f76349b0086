# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter ValidationRegistry
@custom:contract-name ValidationRegistry
@license MIT
@notice The ERC-8004 Validation Registry: an agent (its owner, an operator
        of its owner or its approved address) asks a validator to check
        some work (`validationRequest`, keyed by a request hash the agent
        chooses), and that validator answers with a score from 0 to 100,
        as often as it likes (`validationResponse`: progressive validation,
        the last answer stands). Views return a request's status, an
        agent's or a validator's requests, and a summary (count and
        average score) per agent.

        The external interface is the one of the reference deployment
        (erc-8004/erc-8004-contracts, ValidationRegistryUpgradeable 2.0.0):
        the same functions, return shapes and events (so the same
        selectors and topics) and the same rules, so existing ERC-8004
        clients work unchanged. The differences:
          - no proxy, owner or `initialize`: the identity registry is fixed
            at deployment and nothing can be changed afterwards;
          - bounds (Vyper needs them). Tags are stored up to 64 bytes:
            `validationResponse` refuses longer ones ("validation: tag too
            long") up to the tag argument's ABI bound, 256 bytes; a longer
            tag filter matches nothing, as in the reference. URIs (only
            logged) have an ABI bound of 4,096 bytes and the validator
            filter one of 64 addresses; the ABI decoder refuses longer
            inputs, without a reason. What depends on storage is refused
            with a reason, never
            silently truncated: `getAgentValidations` and
            `getValidatorRequests` refuse lists longer than 1,024
            ("validation: too many requests"; page with the `...Count` /
            `...From` views), and `getSummary` refuses an agent with more
            than 2,048 requests ("validation: too many to read");
          - revert reasons carry the "validation: " prefix:
              "bad validator"  -> "validation: bad validator"
              "exists"         -> "validation: request exists"
              "Not authorized" -> "validation: not authorized"
              "unknown"        -> "validation: unknown request"
              "not validator"  -> "validation: not validator"
              "resp>100"       -> "validation: response over 100"
            An unknown agent reverts in the identity registry ("registry:
            unknown agent" from Charter's AgentRegistry; the reference's
            ERC721NonexistentToken).
@dev Per request, one word packs the validator (160 bits), the response
     (8), whether there was one (1), the tag length (8) and the time of the
     last update (64); the agent id, the response hash and the tag words
     live in their own slots (a response writes the hash, and the tag
     words only for a non-empty tag: its length is in the status word).
@custom:security A request hash is global and first come, first served,
                 as in the reference: anyone authorized for some agent can
                 take a hash first. Choose hashes that commit to the agent
                 and the work (e.g. keccak256 of the request file).
"""


# ---------------------------------------------------------------- imports

from interfaces import IAgentRegistry


# ---------------------------------------------------------------- constants

# Longest tag stored (responses), in bytes; longer ones are refused with a
# reason up to TAG_INPUT_MAX, the tag arguments' ABI bound.
TAG_MAX: constant(uint256) = 64
TAG_INPUT_MAX: constant(uint256) = 256
# Longest request or response URI, in bytes (as AgentRegistry's URIs).
URI_MAX: constant(uint256) = 4_096
# Longest list of request hashes a view returns.
LIST_MAX: constant(uint256) = 1_024
# Longest validator filter `getSummary` takes.
VALIDATORS_MAX: constant(uint256) = 64
# Most requests of an agent `getSummary` reads. Each costs up to three cold
# storage reads and a comparison with every listed validator: 2,048 of
# them with a full filter stay under 20M gas.
READ_MAX: constant(uint256) = 2_048

MAX_RESPONSE: constant(uint8) = 100
VERSION: constant(String[5]) = "2.0.0"

# The packed status word: validator (160 bits) | response (8, at 160) |
# responded (1, at 168) | tag length (8, at 176) | last update (64, at 192;
# block timestamps fit in 64 bits for the next 500 billion years).
_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
_RESPONSE_SHIFT: constant(uint256) = 160
_RESPONDED: constant(uint256) = 1 << 168
_TAG_SHIFT: constant(uint256) = 176
_TIME_SHIFT: constant(uint256) = 192
_BYTE: constant(uint256) = 255
_TAG_WORDS: constant(uint256) = TAG_MAX // 32


# ---------------------------------------------------------------- immutables

IDENTITY: immutable(IAgentRegistry)


# ---------------------------------------------------------------- storage

# requestHash => the packed status word (zero: no such request).
_status: HashMap[bytes32, uint256]
# requestHash => the agent it is about.
_agent_of: HashMap[bytes32, uint256]
# requestHash => the last response's hash.
_response_hash: HashMap[bytes32, bytes32]
# requestHash => the last response's tag, as raw words (length in the status word).
_tag_words: HashMap[bytes32, bytes32[_TAG_WORDS]]
# agentId => position => requestHash, in request order.
_agent_requests: HashMap[uint256, HashMap[uint256, bytes32]]
_agent_request_count: HashMap[uint256, uint256]
# validator => position => requestHash, in request order.
_validator_requests: HashMap[address, HashMap[uint256, bytes32]]
_validator_request_count: HashMap[address, uint256]


# ---------------------------------------------------------------- events

# An agent asked `validatorAddress` to validate the work `requestURI` describes.
event ValidationRequest:
    validatorAddress: indexed(address)
    agentId: indexed(uint256)
    requestURI: String[URI_MAX]
    requestHash: indexed(bytes32)


# The validator answered (0..100; it may answer again).
event ValidationResponse:
    validatorAddress: indexed(address)
    agentId: indexed(uint256)
    requestHash: indexed(bytes32)
    response: uint8
    responseURI: String[URI_MAX]
    responseHash: bytes32
    tag: String[TAG_INPUT_MAX]


# ---------------------------------------------------------------- constructor

@deploy
def __init__(identityRegistry: address):
    """
    @notice Deploy the registry for the agents of `identityRegistry`. The
            binding is permanent: there is no owner and no upgrade path.
    @param identityRegistry The ERC-8004 identity registry (Charter's
           AgentRegistry); it must have code.
    """
    assert identityRegistry.is_contract, "validation: no identity registry"
    IDENTITY = IAgentRegistry(identityRegistry)


# ---------------------------------------------------------------- writes

@external
def validationRequest(validatorAddress: address, agentId: uint256, requestURI: String[URI_MAX], requestHash: bytes32):
    """
    @notice Ask `validatorAddress` to validate work of agent `agentId`,
            under `requestHash` (unique across the registry). Emits
            `ValidationRequest`.
    @dev `requestURI` is only logged.
    @param validatorAddress The validator; not zero.
    @param agentId The agent; must exist.
    @param requestURI Where the validator finds what to check.
    @param requestHash The request's key (e.g. keccak256 of the request file).
    @custom:security Only the agent's owner, an operator of its owner or
                     its approved address may ask, as in the reference.
    """
    assert validatorAddress != empty(address), "validation: bad validator"
    assert self._status[requestHash] == 0, "validation: request exists"
    # Reverts for an unknown agent (inside the identity registry).
    assert staticcall IDENTITY.isAuthorizedOrOwner(msg.sender, agentId), "validation: not authorized"

    self._status[requestHash] = convert(validatorAddress, uint256) | (block.timestamp << _TIME_SHIFT)
    self._agent_of[requestHash] = agentId
    position: uint256 = self._agent_request_count[agentId]
    self._agent_requests[agentId][position] = requestHash
    # Cannot overflow: one request per position, far below 2**256.
    self._agent_request_count[agentId] = unsafe_add(position, 1)
    position = self._validator_request_count[validatorAddress]
    self._validator_requests[validatorAddress][position] = requestHash
    # Cannot overflow: as above.
    self._validator_request_count[validatorAddress] = unsafe_add(position, 1)
    log ValidationRequest(
        validatorAddress=validatorAddress, agentId=agentId, requestURI=requestURI, requestHash=requestHash
    )


@external
def validationResponse(
    requestHash: bytes32,
    response: uint8,
    responseURI: String[URI_MAX],
    responseHash: bytes32,
    tag: String[TAG_INPUT_MAX],
):
    """
    @notice Answer request `requestHash` as its validator. A later answer
            replaces the earlier one (progressive validation). Emits
            `ValidationResponse`.
    @dev `responseURI` is only logged; response, hash, tag and time are stored.
    @param requestHash The request.
    @param response The score, 0 to 100.
    @param responseURI Where the evidence is.
    @param responseHash Optional keccak256 of the evidence.
    @param tag Optional tag (<= 64 bytes, "validation: tag too long"), e.g.
           the kind of check.
    @custom:security Only the validator the request names may answer.
    """
    word: uint256 = self._status[requestHash]
    assert word != 0, "validation: unknown request"
    validator: address = convert(word & _ADDRESS_MASK, address)
    assert msg.sender == validator, "validation: not validator"
    assert response <= MAX_RESPONSE, "validation: response over 100"
    assert len(tag) <= TAG_MAX, "validation: tag too long"

    n: uint256 = len(tag)
    self._status[requestHash] = (
        (word & _ADDRESS_MASK)
        | (convert(response, uint256) << _RESPONSE_SHIFT)
        | _RESPONDED
        | (n << _TAG_SHIFT)
        | (block.timestamp << _TIME_SHIFT)
    )
    self._response_hash[requestHash] = responseHash
    if n != 0:
        padded: Bytes[TAG_INPUT_MAX + 32] = concat(convert(tag, Bytes[TAG_INPUT_MAX]), empty(bytes32))
        # Cannot overflow: n <= TAG_MAX.
        words: uint256 = unsafe_div(unsafe_add(n, 31), 32)
        for i: uint256 in range(words, bound=_TAG_WORDS):
            # Cannot overflow: i < _TAG_WORDS.
            self._tag_words[requestHash][i] = extract32(padded, unsafe_mul(i, 32))
    agent_id: uint256 = self._agent_of[requestHash]
    log ValidationResponse(
        validatorAddress=validator,
        agentId=agent_id,
        requestHash=requestHash,
        response=response,
        responseURI=responseURI,
        responseHash=responseHash,
        tag=tag,
    )


# ---------------------------------------------------------------- views

@external
@view
@reentrant
def getIdentityRegistry() -> address:
    """
    @notice The identity registry whose agents are validated here.
    @return address The registry.
    """
    return IDENTITY.address


@external
@pure
@reentrant
def getVersion() -> String[5]:
    """
    @notice The version of the ERC-8004 validation interface implemented
            (the reference deployment's).
    @return String "2.0.0".
    """
    return VERSION


@external
@view
@reentrant
def getValidationStatus(requestHash: bytes32) -> (address, uint256, uint8, bytes32, String[TAG_MAX], uint256):
    """
    @notice A request and its last response (response 0, zero hash and an
            empty tag before the first response).
    @param requestHash The request.
    @return validatorAddress The validator.
    @return agentId The agent.
    @return response The last score.
    @return responseHash The last response hash.
    @return tag The last tag.
    @return lastUpdate When the request was made or last answered.
    """
    word: uint256 = self._status[requestHash]
    assert word != 0, "validation: unknown request"
    return (
        convert(word & _ADDRESS_MASK, address),
        self._agent_of[requestHash],
        convert((word >> _RESPONSE_SHIFT) & _BYTE, uint8),
        self._response_hash[requestHash],
        self._read_tag(requestHash, (word >> _TAG_SHIFT) & _BYTE),
        word >> _TIME_SHIFT,
    )


@external
@view
@reentrant
def getSummary(
    agentId: uint256, validatorAddresses: DynArray[address, VALIDATORS_MAX], tag: String[TAG_INPUT_MAX]
) -> (uint64, uint8):
    """
    @notice Count and average score (rounded down) of the answered requests
            of `agentId`, only those of `validatorAddresses` if not empty
            and only those whose last tag is `tag` if not empty.
    @dev Refuses an agent with more than READ_MAX requests ("validation:
         too many to read").
    @param agentId The agent.
    @param validatorAddresses The validators to count, or empty for all.
    @param tag The tag filter, or "" (longer than 64 bytes: matches nothing).
    @return count The number of answered requests counted.
    @return avgResponse Their average score (0 if none).
    """
    n: uint256 = self._agent_request_count[agentId]
    assert n <= READ_MAX, "validation: too many to read"
    total: uint256 = 0
    count: uint256 = 0
    for i: uint256 in range(n, bound=READ_MAX):
        request: bytes32 = self._agent_requests[agentId][i]
        word: uint256 = self._status[request]
        if word & _RESPONDED == 0:
            continue
        if len(validatorAddresses) != 0:
            validator: address = convert(word & _ADDRESS_MASK, address)
            if validator not in validatorAddresses:
                continue
        if len(tag) != 0:
            length: uint256 = (word >> _TAG_SHIFT) & _BYTE
            if length != len(tag) or keccak256(self._read_tag(request, length)) != keccak256(tag):
                continue
        # Cannot overflow: at most READ_MAX scores of at most 100.
        total = unsafe_add(total, (word >> _RESPONSE_SHIFT) & _BYTE)
        count = unsafe_add(count, 1)
    if count == 0:
        return (0, 0)
    # Cannot overflow: the average of scores <= 100 is <= 100.
    return (convert(count, uint64), convert(unsafe_div(total, count), uint8))


@external
@view
@reentrant
def getAgentValidations(agentId: uint256) -> DynArray[bytes32, LIST_MAX]:
    """
    @notice Every request made for `agentId`, in order.
    @dev Refuses more than LIST_MAX ("validation: too many requests"); page
         with `getAgentValidationCount` and `getAgentValidationsFrom`.
    @param agentId The agent.
    @return DynArray The request hashes.
    """
    n: uint256 = self._agent_request_count[agentId]
    assert n <= LIST_MAX, "validation: too many requests"
    return self._agent_page(agentId, 0, n)


@external
@view
@reentrant
def getValidatorRequests(validatorAddress: address) -> DynArray[bytes32, LIST_MAX]:
    """
    @notice Every request addressed to `validatorAddress`, in order.
    @dev Refuses more than LIST_MAX ("validation: too many requests"); page
         with `getValidatorRequestCount` and `getValidatorRequestsFrom`.
    @param validatorAddress The validator.
    @return DynArray The request hashes.
    """
    n: uint256 = self._validator_request_count[validatorAddress]
    assert n <= LIST_MAX, "validation: too many requests"
    return self._validator_page(validatorAddress, 0, n)


@external
@view
@reentrant
def getAgentValidationCount(agentId: uint256) -> uint256:
    """
    @notice How many requests were made for `agentId` (Charter extension).
    @param agentId The agent.
    @return uint256 The number of requests.
    """
    return self._agent_request_count[agentId]


@external
@view
@reentrant
def getAgentValidationsFrom(agentId: uint256, start: uint256) -> DynArray[bytes32, LIST_MAX]:
    """
    @notice Up to LIST_MAX requests of `agentId` from position `start` (0
            is the first), in order; empty past the end (Charter extension).
    @param agentId The agent.
    @param start The first position.
    @return DynArray The request hashes.
    """
    n: uint256 = self._agent_request_count[agentId]
    if start >= n:
        return []
    return self._agent_page(agentId, start, min(n - start, LIST_MAX))


@external
@view
@reentrant
def getValidatorRequestCount(validatorAddress: address) -> uint256:
    """
    @notice How many requests name `validatorAddress` (Charter extension).
    @param validatorAddress The validator.
    @return uint256 The number of requests.
    """
    return self._validator_request_count[validatorAddress]


@external
@view
@reentrant
def getValidatorRequestsFrom(validatorAddress: address, start: uint256) -> DynArray[bytes32, LIST_MAX]:
    """
    @notice Up to LIST_MAX requests naming `validatorAddress` from position
            `start` (0 is the first), in order; empty past the end (Charter
            extension).
    @param validatorAddress The validator.
    @param start The first position.
    @return DynArray The request hashes.
    """
    n: uint256 = self._validator_request_count[validatorAddress]
    if start >= n:
        return []
    return self._validator_page(validatorAddress, start, min(n - start, LIST_MAX))


# ---------------------------------------------------------------- internal

@internal
@view
def _read_tag(request: bytes32, length: uint256) -> String[TAG_MAX]:
    if length == 0:
        return ""
    buffer: bytes32[_TAG_WORDS] = empty(bytes32[_TAG_WORDS])
    # Cannot overflow: length <= TAG_MAX.
    words: uint256 = unsafe_div(unsafe_add(length, 31), 32)
    for i: uint256 in range(words, bound=_TAG_WORDS):
        buffer[i] = self._tag_words[request][i]
    return convert(slice(abi_encode(buffer), 0, length), String[TAG_MAX])


@internal
@view
def _agent_page(agent_id: uint256, start: uint256, n: uint256) -> DynArray[bytes32, LIST_MAX]:
    out: DynArray[bytes32, LIST_MAX] = []
    for i: uint256 in range(n, bound=LIST_MAX):
        # Cannot overflow: start + i < the agent's request count.
        out.append(self._agent_requests[agent_id][unsafe_add(start, i)])
    return out


@internal
@view
def _validator_page(validator: address, start: uint256, n: uint256) -> DynArray[bytes32, LIST_MAX]:
    out: DynArray[bytes32, LIST_MAX] = []
    for i: uint256 in range(n, bound=LIST_MAX):
        # Cannot overflow: start + i < the validator's request count.
        out.append(self._validator_requests[validator][unsafe_add(start, i)])
    return out

# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter AgentRegistry
@custom:contract-name AgentRegistry
@license MIT
@notice On-chain agent identity. Every agent is an ERC-721 token whose
        owner controls it. The registry implements the ERC-8004 Identity
        Registry interface (register overloads, agent URI, string-keyed
        metadata, a verified `agentWallet`, `isAuthorizedOrOwner` and the
        ERC-8004 events) and adds:
          - a lifecycle per agent: Active (0), Paused (1), Retired (2).
            Owners and operators pause and resume; retiring is final;
          - a unique reverse lookup from a verified wallet to its agent;
          - `isActive`, the one-read check other contracts make before
            honouring an agent.
        There is no admin and no upgrade path: the contract is immutable.
@dev Agent ids start at 1, so 0 means "no agent" in reverse lookups.
     Per agent, one storage word holds the owner (160 bits), the status
     (8 bits), flags (8 bits) and the URI length (16 bits); the URI
     itself is stored as raw 32-byte words. Registering with a short URI
     therefore writes the owner word, the balance and the URI words and
     nothing else.
"""


# ---------------------------------------------------------------- imports

from ethereum.ercs import IERC165

from snekmate.utils import eip712_domain_separator

from interfaces import IAgentRegistry

from .modules import erc721_packed
from .modules import signatures

implements: IERC165
implements: IAgentRegistry

initializes: erc721_packed
initializes: eip712_domain_separator


# ---------------------------------------------------------------- exports

exports: (
    erc721_packed.balanceOf,
    erc721_packed.ownerOf,
    erc721_packed.getApproved,
    erc721_packed.isApprovedForAll,
    erc721_packed.approve,
    erc721_packed.setApprovalForAll,
    eip712_domain_separator.eip712Domain,
)


# ---------------------------------------------------------------- constants

# The limits. A URI of URI_MAX bytes (a 16 KiB agent card as a base64
# `data:` URI, with room to spare) costs ~15M gas to register: within
# EIP-7825's 2**24 gas cap on one transaction.
URI_MAX: constant(uint256) = 20_480
KEY_MAX: constant(uint256) = 64
VALUE_MAX: constant(uint256) = 1_024
ENTRIES_MAX: constant(uint256) = 16

# What a call may carry. An input past a limit but within these bounds is
# refused with a reason ("registry: uri too long", ...); only an input past
# them is refused by the ABI decoder, without one. A call reserves memory
# for its arguments' bounds and pays for it once it touches memory past
# them, so `register`'s are tight: its metadata array reserves
# entries * (key + value), and its cost with a short URI stays in budget.
_URI_INPUT_MAX: constant(uint256) = 24_576
_ENTRIES_INPUT_MAX: constant(uint256) = 20
_ENTRY_KEY_INPUT_MAX: constant(uint256) = 128
_ENTRY_VALUE_INPUT_MAX: constant(uint256) = 1_280
# setMetadata / getMetadata take one key and one value: looser bounds.
_KEY_INPUT_MAX: constant(uint256) = 1_024
_VALUE_INPUT_MAX: constant(uint256) = 8_192

STATUS_ACTIVE: constant(uint8) = 0
STATUS_PAUSED: constant(uint8) = 1
STATUS_RETIRED: constant(uint8) = 2

# A wallet proof may not be valid for longer than this (as in ERC-8004).
MAX_DEADLINE_DELAY: constant(uint256) = 300

AGENT_WALLET_SET_TYPEHASH: constant(bytes32) = keccak256(
    "AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"
)
AGENT_WALLET_KEY: constant(String[11]) = "agentWallet"

_NAME: constant(String[22]) = "Charter Agent Identity"
_SYMBOL: constant(String[5]) = "AGENT"
_EIP712_NAME: constant(String[23]) = "ERC8004IdentityRegistry"
_EIP712_VERSION: constant(String[1]) = "1"

# Data bits next to the owner (see erc721_packed): status 8 | flags 8 |
# URI length 16 | transfers 32 | sequence 32.
_STATUS_MASK: constant(uint256) = 255
_ANY_STATUS: constant(uint256) = 256
_FLAG_OWNER_WALLET: constant(uint256) = 1 << 8
# The record mirrors an agent of another chain (`represent`).
_FLAG_REPRESENTED: constant(uint256) = 1 << 9
_URI_LEN_SHIFT: constant(uint256) = 16
_URI_LEN_MASK: constant(uint256) = (1 << 16) - 1
_TRANSFERS_SHIFT: constant(uint256) = 32
# Grows on every change another chain mirrors: status, owner, wallet.
_SEQUENCE_SHIFT: constant(uint256) = 64
_MASK_32: constant(uint256) = (1 << 32) - 1
_LOW_128: constant(uint256) = (1 << 128) - 1

_URI_WORDS_MAX: constant(uint256) = URI_MAX // 32
_IERC165_ID: constant(bytes4) = 0x01ffc9a7
_IERC721_ID: constant(bytes4) = 0x80ac58cd
_IERC721_METADATA_ID: constant(bytes4) = 0x5b5e139f


# ---------------------------------------------------------------- structs

# As `register` takes it (the bounds of a call; the limits are checked).
struct MetadataEntry:
    metadataKey: String[_ENTRY_KEY_INPUT_MAX]
    metadataValue: Bytes[_ENTRY_VALUE_INPUT_MAX]


# ---------------------------------------------------------------- storage

_next_id: uint256
_uri_words: HashMap[uint256, HashMap[uint256, bytes32]]
_metadata: HashMap[uint256, HashMap[String[KEY_MAX], Bytes[VALUE_MAX]]]
# agentId => wallet set with a proof (the owner-as-wallet default is a flag).
_wallets: HashMap[uint256, address]
# wallet => agentId (low 128 bits) | deadline of its last accepted proof (high 128 bits).
_wallet_index: HashMap[address, uint256]
# Represented agent => its inbox (low 160 bits) | its home chain id (high 96 bits).
_homes: HashMap[uint256, uint256]
# Represented agent => its id on its home chain.
_home_ids: HashMap[uint256, uint256]


# ---------------------------------------------------------------- events

event Registered:
    agentId: indexed(uint256)
    agentURI: String[URI_MAX]
    owner: indexed(address)


event MetadataSet:
    agentId: indexed(uint256)
    indexedMetadataKey: indexed(String[KEY_MAX])
    metadataKey: String[KEY_MAX]
    metadataValue: Bytes[VALUE_MAX]


event URIUpdated:
    agentId: indexed(uint256)
    newURI: String[URI_MAX]
    updatedBy: indexed(address)


event StatusChanged:
    agentId: indexed(uint256)
    status: uint8
    updatedBy: indexed(address)


# The mirror of an agent of another chain was written (`represent`).
event Represented:
    agentId: indexed(uint256)
    homeChainId: indexed(uint256)
    homeAgentId: uint256
    inbox: indexed(address)
    owner: address
    wallet: address
    status: uint8
    generation: uint256
    sequence: uint256


# ---------------------------------------------------------------- constructor

@deploy
def __init__():
    """
    @notice Deploy the registry. It takes no arguments so that the same
            init code (and so the same CREATE2 address) works on every chain.
    """
    erc721_packed.__init__()
    eip712_domain_separator.__init__(_EIP712_NAME, _EIP712_VERSION)
    self._next_id = 1


# ---------------------------------------------------------------- ERC-165 / ERC-721 metadata

@external
@view
@reentrant
def supportsInterface(interfaceId: bytes4) -> bool:
    """
    @notice ERC-165: ERC-165, ERC-721 and ERC-721 Metadata.
    @param interfaceId The interface identifier.
    @return bool True if supported.
    """
    return interfaceId in [_IERC165_ID, _IERC721_ID, _IERC721_METADATA_ID]


@external
@view
@reentrant
def name() -> String[22]:
    """
    @notice The collection name.
    @return String The name.
    """
    return _NAME


@external
@view
@reentrant
def symbol() -> String[5]:
    """
    @notice The collection symbol.
    @return String The symbol.
    """
    return _SYMBOL


@external
@view
@reentrant
def tokenURI(tokenId: uint256) -> String[URI_MAX]:
    """
    @notice The agent URI (its registration file / agent card).
    @param tokenId The agent id; must exist.
    @return String The URI, empty if none was set.
    """
    n: uint256 = (erc721_packed._data_in(self._existing(tokenId)) >> _URI_LEN_SHIFT) & _URI_LEN_MASK
    if n == 0:
        return ""
    # A dynamic array, not a zeroed fixed one: only the URI's own words are
    # written. The buffers below are still spaced by the bound, so a read
    # pays for ~60 KB of memory (~11,000 gas) whatever the URI's length.
    words: DynArray[bytes32, _URI_WORDS_MAX] = []
    # Cannot overflow: n <= URI_MAX.
    for i: uint256 in range(unsafe_div(unsafe_add(n, 31), 32), bound=_URI_WORDS_MAX):
        words.append(self._uri_words[tokenId][i])
    # abi_encode(words, ensure_tuple=False) is the word count, then the words.
    return convert(slice(abi_encode(words, ensure_tuple=False), 32, n), String[URI_MAX])


@external
@view
@reentrant
def totalSupply() -> uint256:
    """
    @notice Number of agents ever registered (agents are never burned;
            retired agents are counted).
    @return uint256 The count.
    """
    # Cannot underflow: `_next_id` starts at 1 and only grows.
    return unsafe_sub(self._next_id, 1)


# ---------------------------------------------------------------- ERC-721 transfers

@external
def transferFrom(owner: address, to: address, tokenId: uint256):
    """
    @notice Transfer an agent. Clears its agent wallet and the wallet's
            reverse entry; keeps its status, URI and metadata.
    @param owner The current owner.
    @param to The new owner.
    @param tokenId The agent id.
    """
    self._transfer_agent(owner, to, tokenId)


@external
def safeTransferFrom(owner: address, to: address, tokenId: uint256, data: Bytes[1_024] = b""):
    """
    @notice Transfer an agent, checking that a contract recipient accepts
            ERC-721 tokens. Clears its agent wallet like `transferFrom`.
    @param owner The current owner.
    @param to The new owner.
    @param tokenId The agent id.
    @param data Passed to the recipient's `onERC721Received`.
    """
    self._transfer_agent(owner, to, tokenId)
    erc721_packed._check_on_received(owner, to, tokenId, data)


# ---------------------------------------------------------------- ERC-8004: registration

@external
def register(
    agentURI: String[_URI_INPUT_MAX] = "", metadata: DynArray[MetadataEntry, _ENTRIES_INPUT_MAX] = []
) -> uint256:
    """
    @notice Register a new agent owned by the caller (ERC-8004: `register()`,
            `register(string)` and `register(string,(string,bytes)[])`).
    @dev The agent starts Active with the caller as its agent wallet,
         as ERC-8004 specifies; that default wallet is not entered in the
         reverse lookup (an owner may hold many agents).
    @param agentURI The agent URI, up to 20,480 bytes (may be empty and
           set later).
    @param metadata Up to 16 initial metadata entries (keys of 1 to 64
           bytes, values up to 1,024 bytes); the key `agentWallet` is
           reserved.
    @return uint256 The new agent id.
    """
    uri_len: uint256 = len(agentURI)
    assert uri_len <= URI_MAX, "registry: uri too long"
    assert len(metadata) <= ENTRIES_MAX, "registry: too many entries"
    agent_id: uint256 = self._next_id
    # Cannot overflow: one id per transaction, far below 2**256.
    self._next_id = unsafe_add(agent_id, 1)
    erc721_packed._mint(msg.sender, agent_id, (uri_len << _URI_LEN_SHIFT) | _FLAG_OWNER_WALLET)
    # The URI's words are written here rather than in a helper, which would
    # take a copy of the URI (and reserve memory for its bound) on every
    # call; `setAgentURI` does the same.
    if uri_len >= 32:
        last: uint256 = uri_len - 32
        # Cannot overflow: uri_len <= URI_MAX.
        for i: uint256 in range(unsafe_div(unsafe_add(uri_len, 31), 32), bound=_URI_WORDS_MAX):
            # A partial last word is read as the URI's last 32 bytes and
            # shifted so that its tail leads, zero-padded. i * 32 < uri_len
            # and start <= i * 32: no overflow, no underflow.
            start: uint256 = min(unsafe_mul(i, 32), last)
            self._uri_words[agent_id][i] = convert(
                convert(extract32(convert(agentURI, Bytes[_URI_INPUT_MAX]), start), uint256)
                << unsafe_mul(unsafe_sub(unsafe_mul(i, 32), start), 8),
                bytes32,
            )
    elif uri_len != 0:
        self._uri_words[agent_id][0] = convert(convert(agentURI, Bytes[32]), bytes32)
    log Registered(agentId=agent_id, agentURI=convert(agentURI, String[URI_MAX]), owner=msg.sender)
    log MetadataSet(
        agentId=agent_id,
        indexedMetadataKey=AGENT_WALLET_KEY,
        metadataKey=AGENT_WALLET_KEY,
        metadataValue=self._packed(msg.sender),
    )
    for entry: MetadataEntry in metadata:
        self._check_metadata(len(entry.metadataKey), len(entry.metadataValue), keccak256(entry.metadataKey))
        # Within the limits (checked above): the conversions copy nothing.
        self._write_metadata(
            agent_id, convert(entry.metadataKey, String[KEY_MAX]), convert(entry.metadataValue, Bytes[VALUE_MAX])
        )
    return agent_id


# ---------------------------------------------------------------- ERC-8004: URI and metadata

@external
def setAgentURI(agentId: uint256, newURI: String[_URI_INPUT_MAX]):
    """
    @notice Change an agent's URI (also its `tokenURI`).
    @param agentId The agent id.
    @param newURI The new URI, up to 20,480 bytes.
    @custom:security Owner, operator or approved address only.
    """
    uri_len: uint256 = len(newURI)
    assert uri_len <= URI_MAX, "registry: uri too long"
    record: uint256 = self._mutable(agentId)
    owner: address = erc721_packed._owner_in(record)
    self._require_authorized(owner, agentId)
    data: uint256 = erc721_packed._data_in(record)
    data = (data & ~(_URI_LEN_MASK << _URI_LEN_SHIFT)) | (uri_len << _URI_LEN_SHIFT)
    erc721_packed._set_data(agentId, owner, data)
    # As in `register`; words past the new end are left as they are.
    if uri_len >= 32:
        last: uint256 = uri_len - 32
        # Cannot overflow: uri_len <= URI_MAX.
        for i: uint256 in range(unsafe_div(unsafe_add(uri_len, 31), 32), bound=_URI_WORDS_MAX):
            # i * 32 < uri_len and start <= i * 32: no overflow, no underflow.
            start: uint256 = min(unsafe_mul(i, 32), last)
            self._uri_words[agentId][i] = convert(
                convert(extract32(convert(newURI, Bytes[_URI_INPUT_MAX]), start), uint256)
                << unsafe_mul(unsafe_sub(unsafe_mul(i, 32), start), 8),
                bytes32,
            )
    elif uri_len != 0:
        self._uri_words[agentId][0] = convert(convert(newURI, Bytes[32]), bytes32)
    log URIUpdated(agentId=agentId, newURI=convert(newURI, String[URI_MAX]), updatedBy=msg.sender)


@external
@view
@reentrant
def getMetadata(agentId: uint256, metadataKey: String[_KEY_INPUT_MAX]) -> Bytes[VALUE_MAX]:
    """
    @notice Read a metadata value. The reserved key `agentWallet` returns
            the agent wallet as 20 packed bytes (empty when unset).
    @param agentId The agent id (an unknown id reads as empty).
    @param metadataKey The key (a key longer than 64 bytes, which no
           value can have, reads as empty).
    @return Bytes The value, empty if unset.
    """
    if keccak256(metadataKey) == keccak256(AGENT_WALLET_KEY):
        wallet: address = self._agent_wallet(agentId, erc721_packed._record(agentId))
        if wallet == empty(address):
            return b""
        return self._packed(wallet)
    if len(metadataKey) > KEY_MAX:
        return b""
    return self._metadata[agentId][convert(metadataKey, String[KEY_MAX])]


@external
def setMetadata(
    agentId: uint256, metadataKey: String[_KEY_INPUT_MAX], metadataValue: Bytes[_VALUE_INPUT_MAX]
):
    """
    @notice Set a metadata value; the key `agentWallet` is reserved.
    @param agentId The agent id.
    @param metadataKey The key (1..64 bytes).
    @param metadataValue The value (up to 1,024 bytes; empty deletes).
    @custom:security Owner, operator or approved address only.
    """
    record: uint256 = self._mutable(agentId)
    self._require_authorized(erc721_packed._owner_in(record), agentId)
    self._check_metadata(len(metadataKey), len(metadataValue), keccak256(metadataKey))
    # Within the limits (checked above): the conversions copy nothing.
    self._write_metadata(agentId, convert(metadataKey, String[KEY_MAX]), convert(metadataValue, Bytes[VALUE_MAX]))


# ---------------------------------------------------------------- ERC-8004: agent wallet

@external
def setAgentWallet(agentId: uint256, newWallet: address, deadline: uint256, signature: Bytes[signatures.SIGNATURE_MAX]):
    """
    @notice Point an agent at a wallet that proved it consents: `signature`
            is the wallet's EIP-712 signature (or ERC-1271 approval) of
            `AgentWalletSet(agentId, newWallet, owner, deadline)` on this
            registry's domain.
    @dev A wallet backs at most one agent. A wallet's proofs are consumed
         in deadline order: once a proof is accepted, no proof of that
         wallet with the same or an earlier deadline is accepted again,
         so a proof cannot be replayed after an unset or a transfer.
    @param agentId The agent id.
    @param newWallet The wallet.
    @param deadline Unix time until which the proof is valid; at most
           five minutes ahead.
    @param signature The wallet's signature.
    @custom:security Owner, operator or approved address only; refused
                     for retired agents.
    """
    assert newWallet != empty(address), "registry: zero wallet"
    assert block.timestamp <= deadline, "registry: proof expired"
    assert deadline <= block.timestamp + MAX_DEADLINE_DELAY, "registry: deadline too far"
    record: uint256 = self._mutable(agentId)
    owner: address = erc721_packed._owner_in(record)
    self._require_authorized(owner, agentId)
    data: uint256 = erc721_packed._data_in(record)
    assert data & _STATUS_MASK != convert(STATUS_RETIRED, uint256), "registry: agent retired"

    index: uint256 = self._wallet_index[newWallet]
    bound: uint256 = index & _LOW_128
    assert bound == 0 or bound == agentId, "registry: wallet taken"
    assert deadline > index >> 128, "registry: proof used"

    digest: bytes32 = self._wallet_digest(agentId, newWallet, owner, deadline)
    assert signatures._is_valid_signature(newWallet, digest, signature), "registry: bad wallet proof"

    previous: address = self._wallets[agentId]
    if previous != empty(address) and previous != newWallet:
        self._wallet_index[previous] = self._wallet_index[previous] & ~_LOW_128
    self._wallets[agentId] = newWallet
    self._wallet_index[newWallet] = (deadline << 128) | agentId
    erc721_packed._set_data(agentId, owner, self._next_sequence(data & ~_FLAG_OWNER_WALLET))
    log MetadataSet(
        agentId=agentId,
        indexedMetadataKey=AGENT_WALLET_KEY,
        metadataKey=AGENT_WALLET_KEY,
        metadataValue=self._packed(newWallet),
    )


@external
@view
@reentrant
def hashAgentWalletSet(agentId: uint256, newWallet: address, owner: address, deadline: uint256) -> bytes32:
    """
    @notice The EIP-712 digest a wallet signs to consent to backing an
            agent: for wallets that sign raw digests and for checking
            off-chain encoders against the contract.
    @param agentId The agent id.
    @param newWallet The wallet.
    @param owner The agent's owner at the time the proof is used.
    @param deadline The proof's deadline.
    @return bytes32 The digest.
    """
    return self._wallet_digest(agentId, newWallet, owner, deadline)


@external
@view
@reentrant
def getAgentWallet(agentId: uint256) -> address:
    """
    @notice The agent's wallet: the one set with a proof, else the owner
            until the first transfer or unset, else the zero address.
    @param agentId The agent id; must exist.
    @return address The wallet.
    """
    return self._agent_wallet(agentId, self._existing(agentId))


@external
def unsetAgentWallet(agentId: uint256):
    """
    @notice Clear the agent's wallet (and its reverse entry).
    @param agentId The agent id.
    @custom:security Owner, operator or approved address only.
    """
    record: uint256 = self._mutable(agentId)
    owner: address = erc721_packed._owner_in(record)
    self._require_authorized(owner, agentId)
    data: uint256 = erc721_packed._data_in(record)
    had_wallet: bool = self._agent_wallet(agentId, record) != empty(address)
    cleared: uint256 = self._release_wallet(agentId, data)
    if had_wallet:
        erc721_packed._set_data(agentId, owner, self._next_sequence(cleared))


@external
@view
@reentrant
def isAuthorizedOrOwner(spender: address, agentId: uint256) -> bool:
    """
    @notice Whether `spender` is the agent's owner, an operator of the
            owner or the agent's approved address.
    @param spender The address to check.
    @param agentId The agent id; must exist.
    @return bool True if authorised.
    """
    owner: address = erc721_packed._owner_in(self._existing(agentId))
    # An agent without an approved address stores the zero address there,
    # so the zero address must be refused before the approval lookup.
    return spender != empty(address) and erc721_packed._is_approved_or_owner(
        spender, owner, agentId
    )


# ---------------------------------------------------------------- lifecycle

@external
def pause(agentId: uint256):
    """
    @notice Pause an Active agent: it stops being `isActive` at once, so
            every Charter contract stops honouring it.
    @param agentId The agent id.
    @custom:security Owner, operator or approved address only.
    """
    self._set_status(agentId, convert(STATUS_ACTIVE, uint256), STATUS_PAUSED, "registry: not active")


@external
def resume(agentId: uint256):
    """
    @notice Resume a Paused agent.
    @param agentId The agent id.
    @custom:security Owner, operator or approved address only.
    """
    self._set_status(agentId, convert(STATUS_PAUSED, uint256), STATUS_ACTIVE, "registry: not paused")


@external
def retire(agentId: uint256):
    """
    @notice Retire an agent, for good: it can never be resumed or pointed
            at a new wallet, and no Charter contract honours it again.
            Its URI and metadata stay editable (to say it is retired).
    @param agentId The agent id (Active or Paused).
    @custom:security Owner, operator or approved address only. Final.
    """
    self._set_status(agentId, _ANY_STATUS, STATUS_RETIRED, "")


@external
@view
@reentrant
def statusOf(agentId: uint256) -> uint8:
    """
    @notice The agent's lifecycle status: 0 Active, 1 Paused, 2 Retired.
    @param agentId The agent id; must exist.
    @return uint8 The status.
    """
    return convert(erc721_packed._data_in(self._existing(agentId)) & _STATUS_MASK, uint8)


@external
@view
@reentrant
def isActive(agentId: uint256) -> bool:
    """
    @notice Whether the agent exists and is Active: the check every
            Charter contract makes before honouring an agent.
    @param agentId The agent id (unknown ids are not active).
    @return bool True if Active.
    """
    record: uint256 = erc721_packed._record(agentId)
    return record != 0 and erc721_packed._data_in(record) & _STATUS_MASK == 0


@external
@view
@reentrant
def generationOf(agentId: uint256) -> uint256:
    """
    @notice The agent's generation: 1 when registered, one more on every
            transfer. A session grant names the generation it was made
            for and stops working when the agent changes hands.
    @param agentId The agent id (0 for an unknown id).
    @return uint256 The generation.
    """
    record: uint256 = erc721_packed._record(agentId)
    if record == 0:
        return 0
    return self._generation(record)


@external
@view
@reentrant
def activeGeneration(agentId: uint256) -> uint256:
    """
    @notice The agent's generation if it is Active, else 0: the one-read
            check the SessionManager makes on every session call.
    @param agentId The agent id (unknown ids return 0).
    @return uint256 The generation, or 0 if unknown, paused or retired.
    """
    record: uint256 = erc721_packed._record(agentId)
    if record == 0 or erc721_packed._data_in(record) & _STATUS_MASK != 0:
        return 0
    return self._generation(record)


@external
@view
@reentrant
def consentSigners(agentId: uint256) -> (address, address):
    """
    @notice Who may consent for the agent to a session key: its owner and
            its wallet (zero addresses for an unknown agent; a zero wallet
            if none is set).
    @param agentId The agent id.
    @return address The owner.
    @return address The wallet.
    """
    record: uint256 = erc721_packed._record(agentId)
    return erc721_packed._owner_in(record), self._agent_wallet(agentId, record)


@external
@view
@reentrant
def agentOfWallet(wallet: address) -> uint256:
    """
    @notice Reverse lookup: the agent whose verified wallet is `wallet`,
            or 0. Only wallets set with a proof are indexed, never the
            owner-as-wallet default.
    @param wallet The wallet.
    @return uint256 The agent id, or 0 if none.
    """
    return self._wallet_index[wallet] & _LOW_128


# ---------------------------------------------------------------- representation on other chains

@external
@view
@reentrant
def agentState(agentId: uint256) -> (address, address, uint8, uint256, uint256):
    """
    @notice What another chain mirrors of an agent: owner, wallet, status,
            generation and sequence. The sequence grows on every change of
            the other four, so a mirror keeps only the newest state it saw.
    @param agentId The agent id; must exist.
    @return address The owner.
    @return address The wallet (zero if none).
    @return uint8 The status: 0 Active, 1 Paused, 2 Retired.
    @return uint256 The generation (1 + transfers).
    @return uint256 The sequence.
    """
    record: uint256 = self._existing(agentId)
    data: uint256 = erc721_packed._data_in(record)
    return (
        erc721_packed._owner_in(record),
        self._agent_wallet(agentId, record),
        convert(data & _STATUS_MASK, uint8),
        self._generation(record),
        (data >> _SEQUENCE_SHIFT) & _MASK_32,
    )


@external
@view
@reentrant
def homeOf(agentId: uint256) -> (uint256, uint256, address):
    """
    @notice Where an agent lives: for an agent registered here, this chain,
            its id and no inbox; for one represented from another chain,
            its home chain, its id there and the inbox that writes it.
    @param agentId The agent id (an unknown id answers zeros).
    @return uint256 The home chain id.
    @return uint256 The agent's id on its home chain.
    @return address The inbox (zero for an agent registered here).
    """
    record: uint256 = erc721_packed._record(agentId)
    if record == 0:
        return 0, 0, empty(address)
    if erc721_packed._data_in(record) & _FLAG_REPRESENTED == 0:
        return chain.id, agentId, empty(address)
    home: uint256 = self._homes[agentId]
    return home >> 160, self._home_ids[agentId], convert(home & convert(max_value(uint160), uint256), address)


@external
@pure
def representedId(inbox: address, homeChainId: uint256, homeAgentId: uint256) -> uint256:
    """
    @notice The id under which `inbox`'s deliveries represent agent
            `homeAgentId` of chain `homeChainId`: the same on every chain
            where the inbox has the same address.
    @param inbox The contract that calls `represent`.
    @param homeChainId The agent's home chain.
    @param homeAgentId The agent's id there.
    @return uint256 The represented id.
    """
    return self._represented_id(inbox, homeChainId, homeAgentId)


@external
def represent(
    homeChainId: uint256,
    homeAgentId: uint256,
    owner: address,
    wallet: address,
    status: uint8,
    generation: uint256,
    sequence: uint256,
) -> uint256:
    """
    @notice Mirror an agent of another chain, as the caller (an inbox that
            verified the state came from the home chain's registry)
            reports it. The mirror's id is `representedId(msg.sender,
            homeChainId, homeAgentId)`: only this inbox ever writes it, and
            a principal who names the id in a grant trusts that inbox.
            Sessions and intents here treat the mirror like a local agent:
            same owner, wallet, status and generation. Its owner cannot
            change it here; it follows its home chain only.
    @dev A state is taken only if it is newer: a higher sequence, or the
         same sequence with a more final status (a kill wins a tie, so a
         state from an abandoned fork cannot revive a paused agent). Older
         states, replays and anything after Retired change nothing and do
         not revert, so a batch of deliveries never fails on a stale one.
    @param homeChainId The agent's home chain (not this one).
    @param homeAgentId The agent's id there.
    @param owner Its owner.
    @param wallet Its wallet (zero if none).
    @param status 0 Active, 1 Paused, 2 Retired.
    @param generation 1 + its transfers (grants bound to another stop).
    @param sequence Its home registry's change counter.
    @return uint256 The represented id.
    """
    assert homeChainId != chain.id and homeChainId != 0 and homeChainId >> 96 == 0, "registry: bad home chain"
    assert homeAgentId != 0, "registry: bad home agent"
    assert owner != empty(address), "registry: zero owner"
    assert status <= STATUS_RETIRED, "registry: bad status"
    assert generation != 0 and generation <= 1 << 32, "registry: bad generation"
    assert sequence <= _MASK_32, "registry: bad sequence"
    agent_id: uint256 = self._represented_id(msg.sender, homeChainId, homeAgentId)
    record: uint256 = erc721_packed._record(agent_id)
    if record == 0:
        self._homes[agent_id] = (homeChainId << 160) | convert(msg.sender, uint256)
        self._home_ids[agent_id] = homeAgentId
    else:
        held: uint256 = erc721_packed._data_in(record)
        # Only mirrors hash to such ids (local ids count up from 1).
        assert held & _FLAG_REPRESENTED != 0, "registry: not a represented agent"
        held_status: uint256 = held & _STATUS_MASK
        held_sequence: uint256 = (held >> _SEQUENCE_SHIFT) & _MASK_32
        if held_status == convert(STATUS_RETIRED, uint256) or sequence < held_sequence:
            return agent_id
        if sequence == held_sequence and convert(status, uint256) <= held_status:
            return agent_id
        # A new owner does not inherit approvals given here by the last one.
        if erc721_packed._owner_in(record) != owner and erc721_packed._token_approvals[agent_id] != empty(address):
            erc721_packed._token_approvals[agent_id] = empty(address)
    flags: uint256 = _FLAG_REPRESENTED
    if wallet == owner:
        flags |= _FLAG_OWNER_WALLET
    elif self._wallets[agent_id] != wallet:
        self._wallets[agent_id] = wallet
    # generation - 1 < 2**32 and sequence < 2**32 (checked above).
    data: uint256 = (
        convert(status, uint256) | flags | ((generation - 1) << _TRANSFERS_SHIFT) | (sequence << _SEQUENCE_SHIFT)
    )
    erc721_packed._set_data(agent_id, owner, data)
    log Represented(
        agentId=agent_id,
        homeChainId=homeChainId,
        homeAgentId=homeAgentId,
        inbox=msg.sender,
        owner=owner,
        wallet=wallet,
        status=status,
        generation=generation,
        sequence=sequence,
    )
    return agent_id


# ---------------------------------------------------------------- internal

@internal
@view
def _mutable(agent_id: uint256) -> uint256:
    """
    @dev The record of an agent registered here: a represented agent
         changes only through its home chain.
    """
    record: uint256 = self._existing(agent_id)
    assert erc721_packed._data_in(record) & _FLAG_REPRESENTED == 0, "registry: represented agent"
    return record


@internal
@pure
def _next_sequence(data: uint256) -> uint256:
    assert (data >> _SEQUENCE_SHIFT) & _MASK_32 < _MASK_32, "registry: too many changes"
    # Below 2**32 - 1 (checked above): no carry out of the field.
    return unsafe_add(data, 1 << _SEQUENCE_SHIFT)


@internal
@pure
def _represented_id(inbox: address, home_chain_id: uint256, home_agent_id: uint256) -> uint256:
    return convert(keccak256(abi_encode(inbox, home_chain_id, home_agent_id)), uint256)


@internal
@view
def _existing(agent_id: uint256) -> uint256:
    record: uint256 = erc721_packed._record(agent_id)
    assert record != 0, "registry: unknown agent"
    return record


@internal
@view
def _require_authorized(owner: address, agent_id: uint256):
    assert erc721_packed._is_approved_or_owner(msg.sender, owner, agent_id), (
        "registry: not authorized"
    )


@internal
@pure
def _generation(record: uint256) -> uint256:
    # At most 2**32 - 1 (the transfer count is 32 bits): no overflow.
    return unsafe_add((erc721_packed._data_in(record) >> _TRANSFERS_SHIFT) & _MASK_32, 1)


@internal
@view
def _agent_wallet(agent_id: uint256, record: uint256) -> address:
    if record == 0:
        return empty(address)
    # The owner-as-wallet flag and a proved wallet exclude each other
    # (`setAgentWallet` clears the flag): the flag saves the wallet read.
    if erc721_packed._data_in(record) & _FLAG_OWNER_WALLET != 0:
        return erc721_packed._owner_in(record)
    return self._wallets[agent_id]


@internal
def _release_wallet(agent_id: uint256, data: uint256) -> uint256:
    """
    @dev Remove the agent's proved wallet and its reverse entry (keeping
         the wallet's consumed-proof deadline) and return `data` without
         the owner-default flag, for the caller to store with its own
         record write. Emits the ERC-8004 `MetadataSet` for `agentWallet`
         only if a wallet (proved or default) was set.
    """
    wallet: address = self._wallets[agent_id]
    had_wallet: bool = data & _FLAG_OWNER_WALLET != 0
    if wallet != empty(address):
        self._wallets[agent_id] = empty(address)
        self._wallet_index[wallet] = self._wallet_index[wallet] & ~_LOW_128
        had_wallet = True
    if had_wallet:
        log MetadataSet(
            agentId=agent_id,
            indexedMetadataKey=AGENT_WALLET_KEY,
            metadataKey=AGENT_WALLET_KEY,
            metadataValue=b"",
        )
    return data & ~_FLAG_OWNER_WALLET


@internal
def _transfer_agent(owner: address, to: address, agent_id: uint256):
    record: uint256 = self._mutable(agent_id)
    current: address = erc721_packed._owner_in(record)
    assert current == owner, "erc721: transfer from incorrect owner"
    assert erc721_packed._is_approved_or_owner(msg.sender, owner, agent_id), (
        "erc721: caller is not token owner or approved"
    )
    data: uint256 = self._release_wallet(agent_id, erc721_packed._data_in(record))
    # A new generation: every session grant bound to the old one stops.
    assert (data >> _TRANSFERS_SHIFT) & _MASK_32 < _MASK_32, "registry: too many transfers"
    # The transfer count is below 2**32 - 1 (checked above): no carry.
    data = unsafe_add(data, 1 << _TRANSFERS_SHIFT)
    erc721_packed._transfer(owner, to, agent_id, self._next_sequence(data))


@internal
def _set_status(agent_id: uint256, expected: uint256, new_status: uint8, reason: String[24]):
    """
    @dev Move a non-retired agent from status `expected` (or from any
         status, for `_ANY_STATUS`) to `new_status`; `reason` is the revert
         reason when the agent is in another status.
    """
    record: uint256 = self._mutable(agent_id)
    owner: address = erc721_packed._owner_in(record)
    self._require_authorized(owner, agent_id)
    data: uint256 = erc721_packed._data_in(record)
    status: uint256 = data & _STATUS_MASK
    assert status != convert(STATUS_RETIRED, uint256), "registry: agent retired"
    assert expected == _ANY_STATUS or status == expected, reason
    erc721_packed._set_data(agent_id, owner, self._next_sequence((data & ~_STATUS_MASK) | convert(new_status, uint256)))
    log StatusChanged(agentId=agent_id, status=new_status, updatedBy=msg.sender)


@internal
@pure
def _check_metadata(key_len: uint256, value_len: uint256, key_hash: bytes32):
    """
    @dev The limits of one metadata entry, from its lengths and its key's
         hash, so that the entry itself is not copied to be checked.
    """
    assert key_len != 0, "registry: empty key"
    assert key_len <= KEY_MAX, "registry: key too long"
    assert value_len <= VALUE_MAX, "registry: value too long"
    assert key_hash != keccak256(AGENT_WALLET_KEY), "registry: reserved key"


@internal
def _write_metadata(agent_id: uint256, key: String[KEY_MAX], val: Bytes[VALUE_MAX]):
    self._metadata[agent_id][key] = val
    log MetadataSet(agentId=agent_id, indexedMetadataKey=key, metadataKey=key, metadataValue=val)


@internal
@view
def _wallet_digest(agent_id: uint256, wallet: address, owner: address, deadline: uint256) -> bytes32:
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(AGENT_WALLET_SET_TYPEHASH, agent_id, wallet, owner, deadline))
    )


@internal
@pure
def _packed(wallet: address) -> Bytes[20]:
    return slice(convert(wallet, bytes32), 12, 20)

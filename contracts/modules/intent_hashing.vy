# pragma version ~=0.4.3
"""
@title EIP-712 struct hashes of gasless orders, and fill record hashes
@custom:contract-name intent_hashing
@license MIT
@notice Stateless. A gasless order is signed as typed data whose
        `orderData` is the nested `CharterOrder` struct (not opaque bytes),
        so a wallet shows every field; arrays of structs hash to the keccak
        of their concatenated element hashes (EIP-712).
"""


from . import intent_types


# ---------------------------------------------------------------- constants

INPUT_TYPEHASH: constant(bytes32) = keccak256("Input(address token,uint256 amount)")
OUTPUT_TYPEHASH: constant(bytes32) = keccak256("Output(bytes32 token,uint256 amount,bytes32 recipient,uint256 chainId)")
# Also Charter's `orderDataType`.
CHARTER_ORDER_TYPEHASH: constant(bytes32) = keccak256(
    "CharterOrder(uint256 nonce,uint256 agentId,uint32 refundAfter,address oracle,address exclusiveFiller,"
    "uint32 exclusivityDeadline,uint256 destinationChainId,bytes32 destinationSettler,Input[] inputs,Output[] outputs)"
    "Input(address token,uint256 amount)"
    "Output(bytes32 token,uint256 amount,bytes32 recipient,uint256 chainId)"
)
GASLESS_ORDER_TYPEHASH: constant(bytes32) = keccak256(
    "GaslessCrossChainOrder(address originSettler,address user,uint256 nonce,uint256 originChainId,"
    "uint32 openDeadline,uint32 fillDeadline,bytes32 orderDataType,CharterOrder orderData)"
    "CharterOrder(uint256 nonce,uint256 agentId,uint32 refundAfter,address oracle,address exclusiveFiller,"
    "uint32 exclusivityDeadline,uint256 destinationChainId,bytes32 destinationSettler,Input[] inputs,Output[] outputs)"
    "Input(address token,uint256 amount)"
    "Output(bytes32 token,uint256 amount,bytes32 recipient,uint256 chainId)"
)
EIP712_NAME: constant(String[21]) = "Charter IntentSettler"
EIP712_VERSION: constant(String[1]) = "1"
# The domain's fields are constants but the chain id and the settler, so the
# separator is rebuilt on each use (one keccak) rather than cached in
# immutables (which would add 320 bytes to the deployed code).
_DOMAIN_TYPEHASH: constant(bytes32) = keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_HASHED_NAME: constant(bytes32) = keccak256(EIP712_NAME)
_HASHED_VERSION: constant(bytes32) = keccak256(EIP712_VERSION)


# ---------------------------------------------------------------- internal

@internal
@view
def _typed_digest(struct_hash: bytes32) -> bytes32:
    """
    @dev The EIP-712 digest of `struct_hash` in the domain (EIP712_NAME,
         EIP712_VERSION, this chain, this contract).
    """
    domain: bytes32 = keccak256(abi_encode(_DOMAIN_TYPEHASH, _HASHED_NAME, _HASHED_VERSION, chain.id, self))
    return keccak256(concat(b"\x19\x01", domain, struct_hash))


@internal
@pure
def _gasless_struct_hash(order: intent_types.GaslessCrossChainOrder, data: intent_types.CharterOrder) -> bytes32:
    """
    @dev EIP-712 struct hash of `order`, with its `orderData` decoded as
         `data`.
    """
    return keccak256(
        abi_encode(
            GASLESS_ORDER_TYPEHASH,
            order.originSettler,
            order.user,
            order.nonce,
            order.originChainId,
            order.openDeadline,
            order.fillDeadline,
            order.orderDataType,
            self._charter_order_hash(data),
        )
    )


@internal
@pure
def _charter_order_hash(data: intent_types.CharterOrder) -> bytes32:
    """
    @dev EIP-712 struct hash of Charter's order data.
    """
    words: bytes32[intent_types.MAX_INPUTS] = empty(bytes32[intent_types.MAX_INPUTS])
    for i: uint256 in range(len(data.inputs), bound=intent_types.MAX_INPUTS):
        words[i] = keccak256(abi_encode(INPUT_TYPEHASH, data.inputs[i].token, data.inputs[i].amount))
    inputs_hash: bytes32 = keccak256(slice(abi_encode(words), 0, 32 * len(data.inputs)))
    words = empty(bytes32[intent_types.MAX_OUTPUTS])
    for i: uint256 in range(len(data.outputs), bound=intent_types.MAX_OUTPUTS):
        item: intent_types.Output = data.outputs[i]
        words[i] = keccak256(abi_encode(OUTPUT_TYPEHASH, item.token, item.amount, item.recipient, item.chainId))
    outputs_hash: bytes32 = keccak256(slice(abi_encode(words), 0, 32 * len(data.outputs)))
    return keccak256(
        abi_encode(
            CHARTER_ORDER_TYPEHASH,
            data.nonce,
            data.agentId,
            data.refundAfter,
            data.oracle,
            data.exclusiveFiller,
            data.exclusivityDeadline,
            data.destinationChainId,
            data.destinationSettler,
            inputs_hash,
            outputs_hash,
        )
    )


@internal
@pure
def _receipt_word(
    order_id: bytes32,
    user: address,
    opener_agent_id: uint256,
    filler_agent_id: uint256,
    filler_chain_id: uint256,
    payout: address,
    inputs: DynArray[intent_types.Input, intent_types.MAX_INPUTS],
) -> uint256:
    """
    @dev A settled order's receipt, as the origin settler keeps it (in the
         order's status word, above the status byte): the top 248 bits of
         keccak256(abi.encode(orderId, user, openerAgentId, fillerAgentId,
         fillerChainId, payout, keccak256(abi.encode(inputs)))). Whoever
         shows the fields can prove what was settled between whom.
    """
    inputs_hash: bytes32 = keccak256(abi_encode(inputs))
    digest: bytes32 = keccak256(
        abi_encode(order_id, user, opener_agent_id, filler_agent_id, filler_chain_id, payout, inputs_hash)
    )
    return convert(digest, uint256) & ~convert(255, uint256)


@internal
@pure
def _record_hash(kind: uint256, payout: address, filler_agent_id: uint256) -> bytes32:
    """
    @dev What a destination settler records for an order:
         keccak256(abi.encode(kind, payout, fillerAgentId)), kind 1 for a
         fill (payout and agent named by the filler) and 2 for "not filled
         by the fill deadline" (zero payout and agent).
    """
    return keccak256(abi_encode(kind, payout, filler_agent_id))

# pragma version 0.4.3
# pragma optimize codesize
"""
@title Charter IntentView
@custom:contract-name IntentView
@license MIT
@notice The IntentSettler's read-only half: the ERC-7683 views `resolve`
        and `resolveFor`, and EIP-5267's `eip712Domain`. Users never call
        this contract: they call the settler, whose fallback runs this code
        as the settler (DELEGATECALL), so `self` is the settler and
        `msg.sender` the caller, and the answers are the settler's (the
        settler's shipped ABI lists these functions). Kept apart so that
        the settler stays well under EIP-170 with room for what comes next.
@dev No storage, no constructor arguments, and only view functions (the
     compiler keeps them from writing state): running this code as the
     settler can read and change nothing of the settler's. Direct calls
     are refused (they would answer for this contract as a settler).
"""


# ---------------------------------------------------------------- imports

from .modules import intent_hashing
from .modules import intent_orders
from .modules import intent_types


# ---------------------------------------------------------------- immutables

# This contract's own address: code running at it was not delegated to.
_SELF: immutable(address)


# ---------------------------------------------------------------- constructor

@deploy
def __init__():
    """
    @notice No configuration: the code answers for whichever settler runs it.
    """
    _SELF = self


# ---------------------------------------------------------------- views (run as the settler)

@external
@view
def resolve(order: intent_types.OnchainCrossChainOrder) -> intent_types.ResolvedCrossChainOrder:
    """
    @notice The order the settler's `open` would open for `msg.sender`
            (same checks of the order's own fields, including its
            canonical encoding; no balance or agent checks).
    @param order As for `open`.
    @return ResolvedCrossChainOrder As the settler emits it in `Open`.
    """
    self._as_settler()
    full: intent_types.Order = intent_orders._on_chain_order(order, msg.sender)
    intent_orders._validate(full)
    return intent_orders._resolved(full)


@external
@view
def resolveFor(
    order: intent_types.GaslessCrossChainOrder, originFillerData: Bytes[intent_types.FILLER_DATA_MAX]
) -> intent_types.ResolvedCrossChainOrder:
    """
    @notice The order the settler's `openFor` would open (no signature,
            nonce, balance or agent checks).
    @param order As for `openFor`.
    @param originFillerData Ignored.
    @return ResolvedCrossChainOrder As the settler emits it in `Open`.
    """
    self._as_settler()
    full: intent_types.Order = intent_orders._gasless_order(order)
    intent_orders._validate(full)
    return intent_orders._resolved(full)


@external
@view
def eip712Domain() -> (bytes1, String[21], String[1], uint256, address, bytes32, DynArray[uint256, 1]):
    """
    @notice The EIP-712 domain gasless orders are signed in (EIP-5267):
            name "Charter IntentSettler", version "1", this chain, the
            settler; no salt, no extensions.
    @return bytes1 0x0f: name, version, chainId and verifyingContract are set.
    @return String The domain's name.
    @return String The domain's version.
    @return uint256 This chain's id.
    @return address The settler.
    @return bytes32 No salt (zero).
    @return DynArray No extensions (empty).
    """
    self._as_settler()
    return (0x0f, intent_hashing.EIP712_NAME, intent_hashing.EIP712_VERSION, chain.id, self, empty(bytes32), [])


# ---------------------------------------------------------------- internal

@internal
@view
def _as_settler():
    if self == _SELF:
        intent_orders._fail("intents: call the settler")

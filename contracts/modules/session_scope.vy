# pragma version ~=0.4.3
"""
@title Session scope: what a grant allows
@custom:contract-name session_scope
@license MIT
@notice Stateless checks of session calls against a grant's permissions
        (`_check_call`), the recognition of calls that grant or use an
        allowance over a budgeted token (`_allowance_call`), the revert
        reasons they raise, and the account-execution selectors a grant
        may never allow (checked by the SessionManager at activation).
"""


from . import session_types


# ---------------------------------------------------------------- constants

_TRANSFER_FROM: constant(bytes4) = method_id("transferFrom(address,address,uint256)", output_type=bytes4)
_APPROVE: constant(bytes4) = method_id("approve(address,uint256)", output_type=bytes4)
_INCREASE_ALLOWANCE: constant(bytes4) = method_id("increaseAllowance(address,uint256)", output_type=bytes4)
_INCREASE_APPROVAL: constant(bytes4) = method_id("increaseApproval(address,uint256)", output_type=bytes4)
# Permit2's approve(token, spender, amount, expiration), on any target.
_PERMIT2_APPROVE: constant(bytes4) = method_id("approve(address,address,uint160,uint48)", output_type=bytes4)

_MASK_160: constant(uint256) = 2**160 - 1

# What `_allowance_call` recognised (see there).
KIND_NONE: constant(uint256) = 0
KIND_PULL: constant(uint256) = 1
KIND_APPROVE: constant(uint256) = 2
KIND_PERMIT2: constant(uint256) = 3

# Account-execution entry points (Charter's own and those of common smart
# accounts): a session may never call them, on any target.
FORBIDDEN_SELECTORS: constant(bytes4[11]) = [
    method_id("execute(address,uint256,bytes)", output_type=bytes4),
    method_id("executeBatch((address,uint256,bytes)[])", output_type=bytes4),
    method_id("executeFromManager(address,uint256,bytes)", output_type=bytes4),
    method_id("executeBatchFromManager((address,uint256,bytes)[])", output_type=bytes4),
    method_id("execute(bytes32,bytes)", output_type=bytes4),
    method_id("executeFromExecutor(bytes32,bytes)", output_type=bytes4),
    method_id("executeBatch(address[],uint256[],bytes[])", output_type=bytes4),
    method_id("execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)", output_type=bytes4),
    method_id("execTransactionFromModule(address,uint256,bytes,uint8)", output_type=bytes4),
    method_id("execTransactionFromModuleReturnData(address,uint256,bytes,uint8)", output_type=bytes4),
    method_id("redeemDelegations(bytes[],bytes32[],bytes[])", output_type=bytes4),
]


# ---------------------------------------------------------------- internal

@internal
@pure
def _check_call(
    i: uint256,
    target: address,
    call_value: uint256,
    data: Bytes[session_types.MAX_CALL_DATA],
    permissions: DynArray[session_types.Permission, session_types.MAX_PERMISSIONS],
    conditions: DynArray[session_types.Condition, session_types.MAX_CONDITIONS],
):
    """
    @dev Refuse call `i` unless a permission allows it. What the call moves
         out of the account is measured afterwards, not read from here.
    """
    size: uint256 = len(data)
    selector: bytes4 = empty(bytes4)
    if size != 0:
        if size < 4:
            self._refuse_call(i, "bad calldata")
        selector = convert(slice(data, 0, 4), bytes4)
        if selector == empty(bytes4):
            # The empty selector stands for plain ETH sends (no calldata) only:
            # calldata starting with four zero bytes would reach the target's
            # fallback with any payload.
            self._refuse_call(i, "not allowed")

    p: uint256 = session_types.MAX_PERMISSIONS
    for k: uint256 in range(len(permissions), bound=session_types.MAX_PERMISSIONS):
        if permissions[k].target == target and permissions[k].selector == selector:
            p = k
            break
    if p == session_types.MAX_PERMISSIONS:
        self._refuse_call(i, "not allowed")
    if call_value > permissions[p].maxValue:
        self._refuse_call(i, "value too high")

    for condition: session_types.Condition in conditions:
        if convert(condition.permission, uint256) != p:
            continue
        offset: uint256 = 4 + 32 * convert(condition.index, uint256)
        if size < offset + 32:
            self._refuse_argument(i, condition.index)
        arg: uint256 = extract32(data, offset, output_type=uint256)
        op: uint8 = condition.op
        ok: bool = arg == condition.value
        if op == session_types.OP_NE:
            ok = not ok
        elif op == session_types.OP_LE:
            ok = arg <= condition.value
        elif op == session_types.OP_GE:
            ok = arg >= condition.value
        elif op == session_types.OP_ONE_OF and not ok:
            # Alternatives: the ONE_OF conditions on the same argument of the
            # same permission; the argument must equal one of their values.
            for other: session_types.Condition in conditions:
                if other.op == session_types.OP_ONE_OF and other.permission == condition.permission and other.index == condition.index and other.value == arg:
                    ok = True
                    break
        if not ok:
            self._refuse_argument(i, condition.index)



@internal
@pure
def _may_use_allowance(data: Bytes[session_types.MAX_CALL_DATA]) -> bool:
    """
    @dev Whether `_allowance_call` could recognise the call (a cheap test on
         the selector, so plain transfers skip the rest).
    """
    if len(data) < 68:
        return False
    selector: bytes4 = convert(slice(data, 0, 4), bytes4)
    return selector in [_APPROVE, _INCREASE_ALLOWANCE, _INCREASE_APPROVAL, _PERMIT2_APPROVE, _TRANSFER_FROM]


@internal
@pure
def _allowance_call(
    target: address,
    data: Bytes[session_types.MAX_CALL_DATA],
    budgets: DynArray[session_types.TokenBudget, session_types.MAX_TOKENS],
) -> (uint256, uint256, uint256, address):
    """
    @dev Recognise a call that a balance measurement cannot see the whole
         cost of: an approval over a budgeted token (future outflow), on
         the token (approve, increaseAllowance, increaseApproval: KIND_APPROVE)
         or through Permit2's approve (KIND_PERMIT2), and a transferFrom on a
         budgeted token (KIND_PULL: the caller charges it unless it pulls
         from the account itself, which the measurement sees). Returns the
         1-based index of the budget (0: none), the kind, the amount and
         the spender (for KIND_PULL: the `from` address). Runs only on calls
         `_may_use_allowance` let through: at least 68 bytes of calldata.
    """
    size: uint256 = len(data)
    selector: bytes4 = convert(slice(data, 0, 4), bytes4)
    token: address = target
    kind: uint256 = KIND_APPROVE
    offset: uint256 = 4
    if selector == _PERMIT2_APPROVE:
        token = convert(convert(extract32(data, 4, output_type=uint256) & _MASK_160, uint160), address)
        kind = KIND_PERMIT2
        offset = 36
    elif selector == _TRANSFER_FROM:
        kind = KIND_PULL
    elif selector != _APPROVE and selector != _INCREASE_ALLOWANCE and selector != _INCREASE_APPROVAL:
        return 0, KIND_NONE, 0, empty(address)
    # The amount follows the spender (or `from` and `to` for transferFrom).
    amount_at: uint256 = offset + 32
    if kind == KIND_PULL:
        amount_at = 68
    for j: uint256 in range(len(budgets), bound=session_types.MAX_TOKENS):
        if budgets[j].token == token:
            if size < amount_at + 32:
                # Too short to be the call it claims: charge everything.
                return j + 1, kind, max_value(uint256), empty(address)
            # The address is the low 160 bits of its word, as ABI decoders read it.
            who: address = convert(convert(extract32(data, offset, output_type=uint256) & _MASK_160, uint160), address)
            return j + 1, kind, extract32(data, amount_at, output_type=uint256), who
    return 0, KIND_NONE, 0, empty(address)


@internal
@pure
def _refuse_call(i: uint256, why: String[16]):
    raw_revert(self._error(concat("sessions: call ", uint2str(convert(i, uint8)), " ", why)))


@internal
@pure
def _refuse_argument(i: uint256, index: uint16):
    raw_revert(self._error(concat("sessions: call ", uint2str(convert(i, uint8)), " argument ", uint2str(index))))


@internal
@pure
def _over_token_budget(j: uint256):
    raw_revert(self._error(concat("sessions: over token budget ", uint2str(convert(j, uint8)))))


@internal
@pure
def _error(reason: String[64]) -> Bytes[164]:
    return abi_encode(reason, method_id=method_id("Error(string)"))

# pragma version 0.4.3
"""
@title A 6-decimal USDC stand-in for the agent tests (mint for anyone: a test token)
@notice EIP-3009 ``transferWithAuthorization`` with USDC's EIP-712 domain
        (name "USD Coin", version "2"), so the stock x402 client signs for it
        and the stock x402 facilitator settles with it exactly as with USDC.
        The facilitator sends the (v, r, s) form for a 65-byte EOA signature;
        the bytes form (ERC-1271 payers) is not here: Vyper has no overloads.
        Revert reasons are USDC's (FiatTokenV2), which x402 maps to its errors.
"""

from ethereum.ercs import IERC20

implements: IERC20

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
totalSupply: public(uint256)

# EIP-3009: authorizer => nonce => used
authorizationState: public(HashMap[address, HashMap[bytes32, bool]])

event AuthorizationUsed:
    authorizer: indexed(address)
    nonce: indexed(bytes32)

EIP712_DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
TRANSFER_WITH_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
)
NAME_HASH: constant(bytes32) = keccak256("USD Coin")
VERSION_HASH: constant(bytes32) = keccak256("2")
# secp256k1n / 2: a signature with a larger s is the malleable twin of one with a smaller s
HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168

CACHED_CHAIN_ID: immutable(uint256)
CACHED_DOMAIN_SEPARATOR: immutable(bytes32)


@deploy
def __init__():
    CACHED_CHAIN_ID = chain.id
    CACHED_DOMAIN_SEPARATOR = keccak256(
        abi_encode(EIP712_DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chain.id, self)
    )


@external
@pure
def name() -> String[8]:
    return "USD Coin"


@external
@pure
def symbol() -> String[4]:
    return "USDC"


@external
@pure
def decimals() -> uint8:
    return 6


@external
@pure
def version() -> String[1]:
    return "2"


@internal
@view
def _domain_separator() -> bytes32:
    if chain.id == CACHED_CHAIN_ID:
        return CACHED_DOMAIN_SEPARATOR
    return keccak256(abi_encode(EIP712_DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chain.id, self))


@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    return self._domain_separator()


@internal
def _move(owner: address, to: address, amount: uint256):
    assert to != empty(address), "ERC20: transfer to the zero address"
    assert self.balanceOf[owner] >= amount, "ERC20: transfer amount exceeds balance"
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    log IERC20.Transfer(sender=owner, receiver=to, value=amount)


@external
def transfer(to: address, amount: uint256) -> bool:
    self._move(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    assert self.allowance[owner][msg.sender] >= amount, "ERC20: insufficient allowance"
    self.allowance[owner][msg.sender] -= amount
    self._move(owner, to, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log IERC20.Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def transferWithAuthorization(
    authorizer: address,
    to: address,
    amount: uint256,
    valid_after: uint256,
    valid_before: uint256,
    nonce: bytes32,
    v: uint8,
    r: bytes32,
    s: bytes32,
):
    """
    @notice EIP-3009: move `amount` from `authorizer` to `to`, as `authorizer` signed
            (EIP-712 TransferWithAuthorization), once per (authorizer, nonce), strictly
            inside (valid_after, valid_before). Anyone may submit it.
    """
    assert block.timestamp > valid_after, "FiatTokenV2: authorization is not yet valid"
    assert block.timestamp < valid_before, "FiatTokenV2: authorization is expired"
    assert not self.authorizationState[authorizer][nonce], "FiatTokenV2: authorization is used or canceled"
    assert convert(s, uint256) <= HALF_N, "ECRecover: invalid signature 's' value"
    assert v == 27 or v == 28, "ECRecover: invalid signature 'v' value"
    struct_hash: bytes32 = keccak256(
        abi_encode(TRANSFER_WITH_AUTHORIZATION_TYPEHASH, authorizer, to, amount, valid_after, valid_before, nonce)
    )
    digest: bytes32 = keccak256(concat(b"\x19\x01", self._domain_separator(), struct_hash))
    signer: address = ecrecover(digest, v, r, s)
    assert signer != empty(address), "ECRecover: invalid signature"
    assert signer == authorizer, "FiatTokenV2: invalid signature"
    self.authorizationState[authorizer][nonce] = True
    log AuthorizationUsed(authorizer=authorizer, nonce=nonce)
    self._move(authorizer, to, amount)


@external
def mint(to: address, amount: uint256):
    self.totalSupply += amount
    self.balanceOf[to] += amount
    log IERC20.Transfer(sender=empty(address), receiver=to, value=amount)

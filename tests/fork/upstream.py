"""The upstream the mainnet-fork tests fork, and what they expect to find there.

With ``$CHARTER_FORK_URL`` the upstream is that node (a real mainnet RPC, or
any node of another chain that has the token). Without it,
:func:`local_upstream` starts ``anvil --chain-id 1`` and seeds, before the fork
point, what the tests assume of mainnet:

- a 6-decimal ERC-20 (``FiatToken.vy``) at USDC's address, installed with
  ``anvil_setCode`` (no deployment transaction: it was "always there"), whose
  balances are written straight into its storage;
- a holder with :data:`HOLDER_SUPPLY` of it and some ether, whom the tests
  impersonate to hand out tokens;
- an EOA with history (:data:`VETERAN_KEY`): a few transactions sent
  (nonce > 0), ether and tokens received.

``tools/fork_upstream.py`` wraps a command (``ape test tests/fork ...``) in
this: it exports ``CHARTER_FORK_URL`` for the command and stops the upstream
when the command ends. The tests themselves read only the variables below and
the chain; they work against either upstream.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import keccak
from web3 import Web3

FORK_URL_ENV = "CHARTER_FORK_URL"
TOKEN_ENV = "CHARTER_FORK_TOKEN"
HOLDER_ENV = "CHARTER_FORK_HOLDER"
NETWORK = "ethereum:mainnet-fork:foundry"

# USDC (FiatTokenProxy) on Ethereum mainnet.
USDC = Web3.to_checksum_address("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
# A large USDC holder on mainnet (Binance 14, an EOA); the local upstream funds the same address.
DEFAULT_HOLDER = Web3.to_checksum_address("0x28C6c06298d514Db089934071355E5743bf21d60")
DECIMALS = 6
HOLDER_SUPPLY = 1_000_000_000 * 10**DECIMALS
HOLDER_ETHER = 1_000 * 10**18
# The EOA with history: a key of Charter's own (no real account uses it), so
# its history is the one the local upstream (or, on a real upstream, the
# tests on the fork) gave it.
VETERAN_KEY = "0x" + keccak(text="charter fork-test veteran EOA").hex()
VETERAN = Account.from_key(VETERAN_KEY).address
VETERAN_TOKENS = 5_000 * 10**DECIMALS
VETERAN_ETHER = 10 * 10**18
# A bystander the veteran dealt with before the fork.
COUNTERPARTY = Web3.to_checksum_address("0x" + keccak(text="charter fork-test counterparty").hex()[-40:])

TOKEN_SOURCE = Path(__file__).with_name("FiatToken.vy")


def token_address() -> str:
    """The pre-existing token the tests use: ``$CHARTER_FORK_TOKEN``, else USDC's address."""
    return _address_env(TOKEN_ENV, USDC)


def holder_address() -> str:
    """Whom the tests impersonate to get tokens: ``$CHARTER_FORK_HOLDER``, else :data:`DEFAULT_HOLDER`."""
    return _address_env(HOLDER_ENV, DEFAULT_HOLDER)


def _address_env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not Web3.is_address(value):
        raise ValueError(f"${name} must be an address (0x and 40 hex digits), got {value!r}")
    return Web3.to_checksum_address(value)


@dataclass(frozen=True)
class CompiledToken:
    runtime: bytes
    abi: list[dict[str, Any]]
    slots: dict[str, int]  # storage variable -> its slot


def compile_token() -> CompiledToken:
    """Compile ``FiatToken.vy`` with the vyper of this environment (the repository's 0.4.3)."""
    from vyper.compiler import compile_code

    out = compile_code(TOKEN_SOURCE.read_text(), output_formats=["bytecode_runtime", "abi", "layout"])
    layout = out["layout"]["storage_layout"]
    return CompiledToken(
        runtime=bytes.fromhex(out["bytecode_runtime"].removeprefix("0x")),
        abi=out["abi"],
        slots={name: int(entry["slot"]) for name, entry in layout.items()},
    )


def mapping_slot(slot: int, key: str) -> int:
    """The storage slot of ``map[key]`` for a vyper ``HashMap[address, ...]`` at `slot`
    (vyper hashes the map's slot first, then the key)."""
    return int.from_bytes(keccak(slot.to_bytes(32, "big") + bytes(12) + bytes.fromhex(key[2:])), "big")


def _rpc(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    if "error" in response:
        raise RuntimeError(f"{method} failed on the upstream: {response['error']}")
    return response.get("result")


def _send(w3: Web3, tx: dict[str, Any]) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))  # type: ignore[arg-type]
    if receipt["status"] != 1:
        raise RuntimeError(f"seeding transaction {tx} failed on the upstream")


def seed(w3: Web3, holder: str | None = None) -> dict[str, Any]:
    """Give the local upstream the token, the holder and the veteran EOA (see the module)."""
    holder = Web3.to_checksum_address(holder or holder_address())
    token = compile_token()
    _rpc(w3, "anvil_setCode", USDC, "0x" + token.runtime.hex())
    _rpc(w3, "anvil_setStorageAt", USDC, hex(mapping_slot(token.slots["balanceOf"], holder)),
         "0x" + HOLDER_SUPPLY.to_bytes(32, "big").hex())
    _rpc(w3, "anvil_setStorageAt", USDC, hex(token.slots["totalSupply"]),
         "0x" + HOLDER_SUPPLY.to_bytes(32, "big").hex())
    contract = w3.eth.contract(address=USDC, abi=token.abi)
    if contract.functions.balanceOf(holder).call() != HOLDER_SUPPLY or contract.functions.decimals().call() != 6:
        raise RuntimeError("the seeded token does not report the holder's balance: its storage layout changed")
    _rpc(w3, "anvil_setBalance", holder, hex(HOLDER_ETHER))

    # The veteran's past: ether in, three transactions of its own, tokens in.
    veteran = Account.from_key(VETERAN_KEY)
    _rpc(w3, "anvil_setBalance", veteran.address, hex(VETERAN_ETHER))
    _rpc(w3, "anvil_impersonateAccount", holder)
    try:
        _send(w3, {"from": holder, "to": USDC,
                   "data": contract.encode_abi("transfer", [veteran.address, VETERAN_TOKENS + 10**DECIMALS])})
    finally:
        _rpc(w3, "anvil_stopImpersonatingAccount", holder)
    own = [
        {"to": COUNTERPARTY, "value": 10**16},
        {"to": USDC, "data": contract.encode_abi("transfer", [COUNTERPARTY, 10**DECIMALS])},
        {"to": USDC, "data": contract.encode_abi("approve", [COUNTERPARTY, 0])},
    ]
    nonce = w3.eth.get_transaction_count(veteran.address)
    for i, fields in enumerate(own):
        tx = {"chainId": w3.eth.chain_id, "nonce": nonce + i, "gas": 100_000, "gasPrice": w3.eth.gas_price,
              "value": 0, "data": b"", **fields}
        signed = veteran.sign_transaction(tx)
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
        if receipt["status"] != 1:
            raise RuntimeError(f"the veteran's seeding transaction {i} failed on the upstream")
    _rpc(w3, "evm_mine")  # the fork point is a block after all of it
    return {
        "token": USDC,
        "holder": holder,
        "veteran": veteran.address,
        "veteran_nonce": w3.eth.get_transaction_count(veteran.address),
        "veteran_tokens": contract.functions.balanceOf(veteran.address).call(),
        "block": w3.eth.block_number,
    }


@contextmanager
def local_upstream() -> Iterator[tuple[str, dict[str, Any]]]:
    """A seeded ``anvil --chain-id 1`` on a free port: yields its URL and what was seeded;
    stopped on exit."""
    from charter.devchain import local_anvil

    with local_anvil(chain_id=1) as chain:
        yield chain.url, seed(chain.w3)

"""``charter mcp`` with a multi-chain grant file: the entry of each configured chain is loaded, and the first
tool call on that chain activates it; a file none of whose chains is configured is refused at start.

The other chain's entry is only signed here (no node of that chain is needed for the file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from charter._core.eip712 import sign_typed
from charter.exceptions import InvalidInput
from charter.sessions import ChainGrant, GrantStatus, MultiChainGrant, equals
from charter.sessions.describe import save_grant

from .conftest import USDC, World
from .test_mcp import data
from .test_mcp_refusals import one_usdc, service_for, session

ELSEWHERE = 8453


def multi_chain_file(world: World, key: object, path: Path, chains: tuple[int, ...]) -> MultiChainGrant:
    """USDC transfers to bob under alice's grant on this chain, with an entry for each of `chains`, signed once."""
    signed = world.grant(key, lambda b: b.allow(world.token.address, "transfer(address to,uint256 amount)",
                                                to=equals(world.bob.address))
                         .token_budget(world.token.address, cap=5 * USDC))
    entries = tuple(ChainGrant(grant=signed.grant, chain_id=c, manager=signed.manager) for c in chains)
    unsigned = MultiChainGrant(entries=entries)
    multi = MultiChainGrant(entries=entries, signature=sign_typed(world.alice, unsigned.typed_data()))
    save_grant(str(path), multi, ["transfer(address to,uint256 amount)"])
    return multi


def test_the_configured_chains_entry_is_activated_by_the_first_call(world: World, tmp_path: Path) -> None:
    key = world.session_key()
    here = int(world.w3.eth.chain_id)
    path = tmp_path / "multi.json"
    multi = multi_chain_file(world, key, path, (here, ELSEWHERE))
    service = service_for(world, tmp_path, key, [path])
    assert list(service.grants) == ["0x" + multi.entry(here).hash.hex()]
    before = world.balance(world.bob.address)

    async def body(client: Client) -> None:
        assert data(await client.call_tool("charter_call", one_usdc(world)))["done"]
        assert data(await client.call_tool("charter_call", one_usdc(world)))["done"]

    session(service, body)
    assert world.balance(world.bob.address) == before + 2 * USDC
    assert world.charter().sessions.state(multi.entry(here)).status is GrantStatus.ACTIVE


def test_a_file_for_other_chains_only_is_refused_at_start(world: World, tmp_path: Path) -> None:
    key = world.session_key(eth=0)
    path = tmp_path / "elsewhere.json"
    multi_chain_file(world, key, path, (1, ELSEWHERE))
    with pytest.raises(InvalidInput, match="none of which is one of the \\[\\[chains\\]\\]"):
        service_for(world, tmp_path, key, [path])

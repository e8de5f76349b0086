"""Hyperlane's incremental Merkle tree: the root after each insert equals the root of the full
depth-32 tree of those leaves (zero-padded), and its state round-trips."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.exceptions import InvalidInput
from charter.hyperlane.tree import DEPTH, ZERO_HASHES, MerkleTree


def naive_root(leaves: list[bytes]) -> bytes:
    """The root of the depth-32 tree whose first leaves are `leaves` and the rest zero."""
    if not leaves:
        return keccak(ZERO_HASHES[-1] * 2)
    level = list(leaves)
    for height in range(DEPTH):
        if len(level) % 2:
            level.append(ZERO_HASHES[height])
        level = [keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def test_empty_tree_root_is_the_zero_subtree_of_depth_32() -> None:
    assert MerkleTree().root == keccak(ZERO_HASHES[-1] * 2) == naive_root([])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40))
def test_incremental_root_matches_the_full_tree(leaves: list[bytes]) -> None:
    tree = MerkleTree()
    for i, leaf in enumerate(leaves):
        assert tree.insert(leaf) == i
        assert tree.root == naive_root(leaves[: i + 1])
    again = MerkleTree.decode(tree.encode(), tree.count)
    assert again.root == tree.root and again.count == len(leaves)


def test_bad_leaves_and_states_are_refused() -> None:
    with pytest.raises(InvalidInput, match="32 bytes"):
        MerkleTree().insert(b"\x01" * 31)
    with pytest.raises(InvalidInput, match="32 words"):
        MerkleTree.from_state([b"\x00" * 32] * 31, 0)

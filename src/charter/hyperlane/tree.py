"""Hyperlane's incremental Merkle tree (depth 32, keccak256), as its MerkleTreeHook keeps it.

A validator recomputes the tree from the hook's ``InsertedIntoTree`` events
and signs a checkpoint only when its root and count match what the hook
itself reports at the same block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_utils import keccak

from ..exceptions import InvalidInput

DEPTH = 32


def _zero_hashes() -> tuple[bytes, ...]:
    """The root of an empty subtree of each height."""
    zeros = [b"\x00" * 32]
    while len(zeros) < DEPTH:
        zeros.append(keccak(zeros[-1] + zeros[-1]))
    return tuple(zeros)


ZERO_HASHES = _zero_hashes()


@dataclass
class MerkleTree:
    """The branch and leaf count of an incremental Merkle tree."""

    branch: list[bytes] = field(default_factory=lambda: [b"\x00" * 32] * DEPTH)
    count: int = 0

    @classmethod
    def from_state(cls, branch: Sequence[bytes], count: int) -> MerkleTree:
        if len(branch) != DEPTH or any(len(bytes(b)) != 32 for b in branch):
            raise InvalidInput(f"a Merkle tree branch is {DEPTH} words of 32 bytes")
        return cls([bytes(b) for b in branch], int(count))

    def insert(self, leaf: bytes) -> int:
        """Insert `leaf`; its index."""
        if len(leaf) != 32:
            raise InvalidInput("a leaf is 32 bytes")
        if self.count >= 2**DEPTH - 1:
            raise InvalidInput("the Merkle tree is full")
        index = self.count
        self.count += 1
        size, node = self.count, bytes(leaf)
        for i in range(DEPTH):
            if size & 1:
                self.branch[i] = node
                return index
            node = keccak(self.branch[i] + node)
            size >>= 1
        raise AssertionError("unreachable: the tree is not full")

    @property
    def root(self) -> bytes:
        current = ZERO_HASHES[0]
        for i in range(DEPTH):
            if (self.count >> i) & 1:
                current = keccak(self.branch[i] + current)
            else:
                current = keccak(current + ZERO_HASHES[i])
        return current

    def encode(self) -> bytes:
        return b"".join(self.branch)

    @classmethod
    def decode(cls, data: bytes, count: int) -> MerkleTree:
        return cls.from_state([bytes(data[i : i + 32]) for i in range(0, DEPTH * 32, 32)], count)


__all__ = ["DEPTH", "MerkleTree", "ZERO_HASHES"]

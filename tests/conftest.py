"""Shared by every test package: a workaround for titanoboa 0.2.8.

When a call reverts, titanoboa builds its error message with the reverting
contract's ``repr``, which dumps the contract's storage from the keccak
preimages it has traced. For a contract with a transient HashMap (the
SessionManager's ``_acting``) that dump can walk a traced path deeper than
the variable's type once the process has traced enough preimages (after the
state machines, for instance) and raise ``AttributeError`` instead of
reporting the revert. The plain repr is used when the dump fails, so the
revert itself reaches the test.
"""

from __future__ import annotations

from boa.contracts.vyper.vyper_contract import VyperContract

_dumping_repr = VyperContract.__repr__


def _repr(self: VyperContract) -> str:
    try:
        return _dumping_repr(self)
    except (AttributeError, KeyError, TypeError):
        return f"<{type(self).__name__} at {self.address} (storage dump unavailable)>"


VyperContract.__repr__ = _repr  # type: ignore[method-assign]

"""Typed errors raised by the SDK.

Every error says what was wrong and what to do about it. Contract reverts are
mapped from their prefixed reason (``"registry: ..."``) to a subclass of
:class:`ContractRevert`; see :func:`charter.errors.map_revert`.
"""

from __future__ import annotations


class CharterError(Exception):
    """Base class of every error the SDK raises."""


class NotDeployed(CharterError):
    """The Charter contracts are not deployed on the connected chain."""

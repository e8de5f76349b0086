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


class InvalidInput(CharterError, ValueError):
    """An argument was refused by the SDK before anything was sent."""


class MissingSigner(CharterError):
    """A write was attempted on a client that has no signer."""


class NodeUnreachable(CharterError):
    """The JSON-RPC node did not answer."""


class TransactionFailed(CharterError):
    """A transaction was mined but reverted, and no revert reason was found."""


# ---------------------------------------------------------------- contract reverts


class ContractRevert(CharterError):
    """A contract refused a call or transaction.

    ``reason`` is the raw revert reason (``"registry: proof expired"``, or an
    empty string when the contract gave none). ``str(error)`` starts with the
    class name and says what was wrong and what to do.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        return f"{type(self).__name__}: {self.message}"


class Unauthorized(ContractRevert):
    """The sender is not the agent's owner, an operator or its approved address."""


class UnknownAgent(ContractRevert):
    """No agent has this id on the connected registry."""


class AgentRetired(ContractRevert):
    """The agent is retired (final); the action is refused."""


class AgentNotActive(ContractRevert):
    """The action needs an Active agent (pause)."""


class AgentNotPaused(ContractRevert):
    """The action needs a Paused agent (resume)."""


class WalletTaken(ContractRevert):
    """The wallet already backs another agent."""


class ZeroWallet(ContractRevert):
    """The zero address cannot be an agent wallet."""


class WalletProofExpired(ContractRevert):
    """The wallet proof's deadline has passed."""


class WalletProofDeadlineTooFar(ContractRevert):
    """The wallet proof's deadline is more than five minutes ahead."""


class WalletProofInvalid(ContractRevert):
    """The signature is not the wallet's proof for these exact fields."""


class WalletProofUsed(ContractRevert):
    """A proof of this wallet with the same or a later deadline was already accepted."""


class EmptyMetadataKey(ContractRevert):
    """Metadata keys must not be empty."""


class ReservedMetadataKey(ContractRevert):
    """The metadata key ``agentWallet`` is reserved."""


class WrongOwner(ContractRevert):
    """A transfer named an address that does not own the agent."""


class ZeroAddress(ContractRevert):
    """The zero address was given where a real address is needed."""


class InvalidApproval(ContractRevert):
    """An ERC-721 approval that cannot be made (to the owner, or to oneself)."""


class NotERC721Receiver(ContractRevert):
    """A safe transfer to a contract that does not accept ERC-721 tokens."""

"""Typed errors raised by the SDK.

Every error says what was wrong and what to do about it. Contract reverts are
mapped from their prefixed reason (``"registry: ..."``) to a subclass of
:class:`ContractRevert`; see :func:`charter._core.revert.map_revert`.
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


class NotACharterAccount(CharterError):
    """The account is not a Charter account bound to this suite's SessionManager
    (an EOA with no code or another EIP-7702 delegate, or a contract of another
    manager): an owner action sent to it would succeed and do nothing, so the
    SDK refuses it before anything is signed or sent."""


class NotConfirmed(CharterError):
    """A transaction was sent but its receipt did not arrive in time: it may still be
    mined, so look it up before sending it again."""


class EffectNotObserved(CharterError):
    """A transaction was mined but its receipt lacks the event the action promises:
    nothing (or not the expected thing) happened, so the SDK does not report success."""


class StandingAllowance(InvalidInput):
    """A grant was refused before anything was signed or sent: one of its allowed
    targets holds a standing allowance from the account (an ERC-20 ``approve``, or
    a Permit2 allowance) over a token the grant neither budgets nor guards, so the
    session could have that target pull the token past its caps.

    ``account``, ``token``, ``spender``, ``amount`` and ``via`` (``"ERC-20"`` or
    ``"Permit2"``) name the first allowance found, ``revoke`` is the ``charter``
    command that clears it, and ``found`` lists every one found. The ways out:
    revoke the allowance, or budget or guard the token in the grant."""

    def __init__(
        self,
        message: str,
        *,
        account: str,
        token: str,
        spender: str,
        amount: int,
        via: str,
        revoke: str,
        found: tuple[object, ...] = (),
    ) -> None:
        super().__init__(message)
        self.account = account
        self.token = token
        self.spender = spender
        self.amount = amount
        self.via = via
        self.revoke = revoke
        self.found = found


class PaymentRefused(CharterError):
    """A paid fetch (x402) was refused off-chain: the price is above the caller's
    ``max_price``, the resource offers no payment this payer can make (the ``exact``
    scheme by EIP-3009 on this chain, in this token), the server refused the signed
    payment (its facilitator found it invalid or could not settle it), or the
    resource answered 402 again after being paid.

    The message says which and what to do: raise ``max_price`` or skip the resource,
    configure the chain and token the resource asks for, or look at the server's
    reason. ``url`` is the resource, ``price`` the raw amount asked (when known),
    ``offered`` describes each payment option the server listed, and ``top_up`` is
    the top-up transaction already made for this fetch, if any (its tokens stay in
    the hot wallet for the next payment)."""

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        price: int | None = None,
        offered: tuple[str, ...] = (),
        top_up: object | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.price = price
        self.offered = offered
        self.top_up = top_up


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
    """The sender may not do this: not the agent's owner, an operator or its
    approved address; not the account's owner; not the grant's session key."""


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


class AgentURITooLong(ContractRevert):
    """The agent URI is longer than the registry stores (20,480 bytes)."""


class MetadataTooLarge(ContractRevert):
    """A metadata key or value is too long, or ``register`` was given too many entries."""


class WrongOwner(ContractRevert):
    """A transfer named an address that does not own the agent."""


class ZeroAddress(ContractRevert):
    """The zero address was given where a real address is needed."""


class InvalidApproval(ContractRevert):
    """An ERC-721 approval that cannot be made (to the owner, or to oneself)."""


class NotERC721Receiver(ContractRevert):
    """A safe transfer to a contract that does not accept ERC-721 tokens."""


class RepresentedAgent(ContractRevert):
    """The agent is a mirror of an agent of another chain: it changes only on its home chain."""


class AgentStateRefused(ContractRevert):
    """A delivery of an agent's state from its home chain was refused (not attested, not
    from the inbox's own contract on the home chain, malformed), or a report was."""


# ---------------------------------------------------------------- sessions


class SessionRefused(ContractRevert):
    """The SessionManager (or an account) refused a session action.

    Subclasses say why; ``reason`` keeps the raw revert reason.
    """


class GrantExpired(SessionRefused):
    """The grant's validity window has ended (``validUntil`` is inclusive)."""


class GrantNotYetValid(SessionRefused):
    """The grant's validity window has not started (``validAfter``)."""


class GrantRevoked(SessionRefused):
    """The grant was revoked: by hash, by the session key, or by revokeAll."""


class SessionAgentInactive(SessionRefused, AgentNotActive):
    """The grant's agent is not Active in the registry (paused or retired)."""


class OutOfScope(SessionRefused):
    """A call is outside the grant: target, selector, value or an argument.

    ``call`` is the index of the refused call in the batch (0 for a single
    call) and ``argument`` the refused ABI argument word, when known.
    """

    def __init__(
        self, message: str, reason: str = "", call: int | None = None, argument: int | None = None
    ) -> None:
        super().__init__(message, reason)
        self.call = call
        self.argument = argument


class OverBudget(SessionRefused):
    """A budget would be exceeded: native value, a token cap or the call limit.

    ``budget`` names it (``"native"``, ``"calls"`` or the token address) and
    ``left`` is what remains of it now, when it could be read.
    """

    def __init__(
        self, message: str, reason: str = "", budget: str | None = None, left: int | None = None
    ) -> None:
        super().__init__(message, reason)
        self.budget = budget
        self.left = left


class TooSoon(SessionRefused):
    """The grant's minimum interval between calls has not elapsed."""


class InvalidGrant(SessionRefused):
    """The grant itself is malformed or not allowed for its account."""


class GrantExists(SessionRefused):
    """The grant was already issued or used; it cannot be issued again."""


class GrantSignatureInvalid(SessionRefused):
    """The grant's signature is not the account's (EIP-712 / ERC-1271)."""


class RequestInvalid(SessionRefused):
    """A relayed request is expired, uses a wrong nonce or is not signed by the session key."""


class AccountNotDeployed(SessionRefused):
    """The grant's account has no code: deploy it or upgrade the EOA with EIP-7702."""


class AgentChangedHands(SessionRefused):
    """The grant's agent was transferred since the grant was made: every grant of its old generation is void."""


class AgentConsentMissing(SessionRefused):
    """The agent did not consent to the grant's session key (its owner or wallet must sign the grant)."""


# ---------------------------------------------------------------- intents


class IntentRefused(ContractRevert):
    """The IntentSettler (or a settlement oracle) refused an intent action.

    Subclasses say why; ``reason`` keeps the raw revert reason.
    """


class OrderInvalid(IntentRefused, InvalidInput):
    """The order's own fields are refused: deadlines, amounts, chains, addresses, oracle or order data type."""


class OrderExists(IntentRefused):
    """This exact order (same fields and nonce) was already opened: pick another nonce."""


class OrderSignatureInvalid(IntentRefused):
    """A gasless order's signature is not the user's for this chain and settler, or its deadline passed."""


class OrderNonceUsed(IntentRefused):
    """A gasless order's nonce was used or cancelled (``invalidateNonces``)."""


class IntentUnauthorized(IntentRefused, Unauthorized):
    """The sender may not act for the agent it names (not its owner, operator, wallet or session)."""


class IntentAgentInactive(IntentRefused, AgentNotActive):
    """The agent named on an order or a fill is not Active in the registry."""


class TokenRefused(IntentRefused):
    """A token or native transfer of the order failed, or did not move exactly the amount."""


class FillRefused(IntentRefused):
    """The destination refused a fill: wrong destination, order data not matching its id, bad payout."""


class FillDeadlinePassed(FillRefused):
    """The order's fill deadline has passed (or, for an unfilled record, not passed yet)."""


class AlreadyFilled(FillRefused):
    """The order was already filled (or recorded as not filled) on its destination."""


class NotExclusiveFiller(FillRefused):
    """Only the order's exclusive filler may fill it until its exclusivity deadline."""


class NotProven(IntentRefused):
    """The order's oracle did not prove the fill (or the non-fill) this settlement or refund needs."""


class OrderNotFillable(InvalidInput):
    """A fill refused before anything was sent, because it could not be paid: the order is not
    OPEN on its origin (never opened there or not visible yet, settled, refunded), or its
    destination already holds a record for it (filled, or recorded as not filled)."""


class OrderNotOpen(IntentRefused):
    """The order is not open on this settler: unknown, or nothing in the batch was left to settle or refund."""


class AlreadySettled(OrderNotOpen):
    """The order was already settled: its escrow went to the filler."""


class AlreadyRefunded(OrderNotOpen):
    """The order was already refunded to its user."""


class NoCredit(IntentRefused):
    """Nothing is credited to the caller in this token: there is nothing to withdraw."""


class OracleRefused(ContractRevert):
    """An AttesterOracle refused a committee or a hand-over to a successor."""


# ---------------------------------------------------------------- trust (ERC-8004 reputation and validation)


class TrustRefused(ContractRevert):
    """A ReputationRegistry or ValidationRegistry refused a feedback, a receipt, a response or a
    request (base class)."""


class FeedbackInvalid(TrustRefused, InvalidInput):
    """A feedback, response or validation argument is out of the registry's bounds: value, decimals,
    tag length, an empty response URI, an index that does not exist, a validator or score out of range."""


class SelfFeedback(TrustRefused, Unauthorized):
    """The sender is the agent's owner, an operator of its owner or its approved address: an agent
    may not review itself."""


class FeedbackAlreadyRevoked(TrustRefused):
    """That feedback was already revoked."""


class ReceiptMissing(TrustRefused):
    """Receipt-backed feedback cites no recorded settled order (its ``feedbackHash``), or a receipt
    does not match what the settler holds (not settled there, refunded, other fields)."""


class ReceiptUsed(TrustRefused):
    """The settled order already backs a feedback in this direction (each order backs one feedback
    on the filler's agent and one on the opener's agent), or its receipt was already recorded."""


class NotACounterparty(TrustRefused, Unauthorized):
    """The sender is not on the other side of the cited settled order from the reviewed agent, or
    the agent is not a party of that order."""


class TooMuchToRead(TrustRefused):
    """A view would read more entries than one call may (an agent with more than 1,024 clients or
    requests, more than 2,048 records to visit): page, or pass the clients or validators explicitly."""


class ValidationUnauthorized(TrustRefused, Unauthorized):
    """Only the agent's owner, an operator of its owner or its approved address may ask for a
    validation; only the named validator may answer it."""


class ValidationRequestExists(TrustRefused):
    """A validation request with that hash exists already (request hashes are global, first come)."""


class UnknownValidationRequest(TrustRefused):
    """No validation request has that hash."""

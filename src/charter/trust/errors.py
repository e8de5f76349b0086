"""ReputationRegistry and ValidationRegistry revert reasons (``"reputation: ..."``, ``"validation: ..."``)
as exceptions."""

from __future__ import annotations

from .._core.revert import Message, RevertContext, agent_label, detail, internal, register_reverts
from ..exceptions import (
    ContractRevert,
    FeedbackAlreadyRevoked,
    FeedbackInvalid,
    NotACounterparty,
    ReceiptMissing,
    ReceiptUsed,
    SelfFeedback,
    TooMuchToRead,
    UnknownValidationRequest,
    ValidationRequestExists,
    ValidationUnauthorized,
)


def _say(text: str, advice: str) -> Message:
    """`text` (``{agent}``, ``{order}`` and ``{sender}`` name what the client knows), the client's
    detail, then `advice`."""

    def message(ctx: RevertContext) -> str:
        order = f"order {ctx.order_id[:10]}…" if ctx.order_id else "the order"
        sender = ctx.sender or "the sender"
        return f"{text.format(agent=agent_label(ctx), order=order, sender=sender)}{detail(ctx)}; {advice}"

    return message


_PAGE = "page (getClientCount / getClientsFrom) and pass the clients explicitly"
REVERTS: dict[str, tuple[type[ContractRevert], Message]] = {
    # feedback
    "reputation: too many decimals": (FeedbackInvalid, _say(
        "a feedback value has at most 18 decimals", "give the value with fewer decimals")),
    "reputation: value too large": (FeedbackInvalid, _say(
        "a feedback value is at most 10**38 in absolute value", "give a smaller value")),
    "reputation: tag too long": (FeedbackInvalid, _say(
        "a tag is at most 64 bytes", "shorten the tag")),
    "reputation: self-feedback": (SelfFeedback, _say(
        "{sender} owns, operates or is approved for {agent}, and an agent may not review itself",
        "give feedback from an account that has no authority over the agent")),
    "reputation: index zero": (FeedbackInvalid, _say(
        "feedback indexes start at 1", "use the index NewFeedback gave (getLastIndex is the latest)")),
    "reputation: index out of bounds": (FeedbackInvalid, _say(
        "that client gave {agent} no feedback with this index",
        "read getLastIndex(agent, client) for the client's latest index")),
    "reputation: already revoked": (FeedbackAlreadyRevoked, _say(
        "that feedback is already revoked", "nothing to do: it is already left out of summaries")),
    "reputation: empty URI": (FeedbackInvalid, _say(
        "a response needs a URI", "give the response's URI (its hash is optional)")),
    "reputation: clients required": (FeedbackInvalid, _say(
        "a summary needs the clients whose feedback to count",
        "pass the clients you trust (getClients lists every client of the agent)")),
    "reputation: too many clients": (TooMuchToRead, _say(
        "{agent} has more than 1,024 clients, more than one view call reads", _PAGE)),
    "reputation: too many to read": (TooMuchToRead, _say(
        "the view would visit more than 2,048 feedback entries or response counters",
        "pass fewer clients or responders per call and combine the results")),
    "reputation: too many results": (TooMuchToRead, _say(
        "more than 1,024 feedback entries match", "filter by tag, or pass fewer clients per call")),
    "reputation: summary overflow": (TooMuchToRead, _say(
        "the summary does not fit in int128", "summarize fewer clients per call")),
    # receipt-backed feedback
    "reputation: not receipt-backed": (ReceiptMissing, _say(
        "this is the plain ERC-8004 registry: it keeps no settlement receipts",
        "record receipts in the receipt-backed registry (BackedReputationRegistry)")),
    "reputation: no such settlement": (ReceiptMissing, _say(
        "the settler holds no settled order with these fields for {order} (not settled there, refunded, "
        "or another payout, agent, chain or inputs)",
        "wait until the order is settled on its origin chain and give its fields as settled")),
    "reputation: receipt recorded": (ReceiptUsed, _say(
        "the receipt of {order} is already recorded", "nothing to do: give the feedback")),
    "reputation: no receipt": (ReceiptMissing, _say(
        "receipt-backed feedback must cite a settled order whose receipt is recorded, as feedbackHash, "
        "and {order} has none",
        "record its receipt first (recordReceipt: the SDK's Reputation.record_receipt), after the "
        "order is settled")),
    "reputation: agent not in the order": (NotACounterparty, _say(
        "{agent} is neither the opener's agent nor the filler's agent of {order}",
        "review the agent the order was opened for or filled by")),
    "reputation: not a counterparty": (NotACounterparty, _say(
        "{sender} is not on the other side of {order} from {agent}",
        "send from the order's user, or the opener agent's owner or wallet (feedback on the filler's "
        "agent), or from the fill's payout, or the filler agent's owner or wallet (on the opener's agent)")),
    "reputation: receipt used": (ReceiptUsed, _say(
        "{order} already backs a feedback on {agent}'s side (one per direction)",
        "each settled order backs one feedback each way: settle another order to give more")),
    "reputation: no inputs": (FeedbackInvalid, internal("reputation: no inputs")),
    "reputation: no identity registry": (ContractRevert, internal("reputation: no identity registry")),
    "reputation: no settler": (ContractRevert, internal("reputation: no settler")),
    # validation
    "validation: bad validator": (FeedbackInvalid, _say(
        "the validator is the zero address", "name the validator's address")),
    "validation: not authorized": (ValidationUnauthorized, _say(
        "{sender} may not ask for validations of {agent}: only its owner, an operator of its owner or "
        "its approved address may", "send from the agent's owner")),
    "validation: request exists": (ValidationRequestExists, _say(
        "a request with this hash exists already", "choose a hash that commits to this agent and work")),
    "validation: unknown request": (UnknownValidationRequest, _say(
        "no validation request has this hash", "check the hash (getAgentValidations lists an agent's)")),
    "validation: not validator": (ValidationUnauthorized, _say(
        "{sender} is not the validator this request names", "answer from the named validator's account")),
    "validation: response over 100": (FeedbackInvalid, _say(
        "a validation response is a score from 0 to 100", "give a score from 0 to 100")),
    "validation: tag too long": (FeedbackInvalid, _say(
        "a tag is at most 64 bytes", "shorten the tag")),
    "validation: too many requests": (TooMuchToRead, _say(
        "more than 1,024 requests", "page with getAgentValidationsFrom / getValidatorRequestsFrom")),
    "validation: too many to read": (TooMuchToRead, _say(
        "{agent} has more than 2,048 requests, more than getSummary reads",
        "read the requests page by page and summarize them yourself")),
    "validation: no identity registry": (ContractRevert, internal("validation: no identity registry")),
}

register_reverts("trust", REVERTS)

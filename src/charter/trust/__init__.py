"""The trust layer: ERC-8004 reputation and validation, and feedback backed by settled intents.

    client.py   Reputation (give, give_for_order, record_receipt, revoke, respond, feedback, feedbacks,
                summary, backed_summary, receipt, backing), Validation (request, respond, status, summary,
                agent_requests, validator_requests, requests_to), fill_request / parse_fill_request
    models.py   Feedback, Backing, Summary, BackedSummary, Receipt, ValidationStatus, ValidationSummary
    errors.py   "reputation: ..." and "validation: ..." reverts as exceptions

The suite deploys two ReputationRegistry instances: the ERC-8004 one (anyone
reviews anyone) and the receipt-backed one (``BackedReputationRegistry``:
each feedback cites a settled order of this chain's IntentSettler and comes
from its other side). See docs/trust.md.
"""

from .client import Reputation, Side, Validation, fill_request, parse_fill_request, request_hash_of
from .models import (
    FEEDBACK_TAG,
    BackedSummary,
    Backing,
    Feedback,
    Receipt,
    Summary,
    ValidationStatus,
    ValidationSummary,
)

__all__ = [
    "FEEDBACK_TAG",
    "BackedSummary",
    "Backing",
    "Feedback",
    "Receipt",
    "Reputation",
    "Side",
    "Summary",
    "Validation",
    "ValidationStatus",
    "ValidationSummary",
    "fill_request",
    "parse_fill_request",
    "request_hash_of",
]

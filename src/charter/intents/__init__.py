"""The coordination layer: ERC-7683 intents between agents, settled on proof.

    client.py      Intents: build, open (also as a session), openFor, fill, settle, refund, status, events,
                   batch outcomes, credits and withdraw
    models.py      Order, OrderData, Input, Output, FillRecord, OrderStatus, SkipReason, Credit,
                   BatchOutcome; the settler's limits
    typed_data.py  the EIP-712 GaslessCrossChainOrder, Attestation and Rotation
    oracle.py      AttesterOracle: the committee's attestations and proofs, deployment, hand-over
    errors.py      "intents: ..." and "oracle: ..." reverts as exceptions

The relayer (`charter relay`) and the solver (`charter solve`) that drive
this layer are processes: :mod:`charter.processes`.
"""

from .client import DEFAULT_FILL_WINDOW, FillEvent, Intents, OpenedOrder, UnfilledEvent, check_order
from .models import (
    MAX_INPUTS,
    MAX_OUTPUTS,
    MAX_SETTLE,
    MIN_REFUND_DELAY,
    NATIVE,
    ORDER_DATA_TYPE,
    UNFILLED_RECORD,
    BatchOutcome,
    Credit,
    FillRecord,
    Input,
    Order,
    OrderData,
    OrderStatus,
    Output,
    SkipReason,
)
from .oracle import AttesterOracle, attest, deploy_oracle, fill_attestation, oracle_address

__all__ = [
    "DEFAULT_FILL_WINDOW",
    "MAX_INPUTS",
    "MAX_OUTPUTS",
    "MAX_SETTLE",
    "MIN_REFUND_DELAY",
    "NATIVE",
    "ORDER_DATA_TYPE",
    "UNFILLED_RECORD",
    "AttesterOracle",
    "BatchOutcome",
    "Credit",
    "FillEvent",
    "FillRecord",
    "Input",
    "Intents",
    "OpenedOrder",
    "Order",
    "OrderData",
    "OrderStatus",
    "Output",
    "SkipReason",
    "UnfilledEvent",
    "attest",
    "check_order",
    "deploy_oracle",
    "fill_attestation",
    "oracle_address",
]

"""Execute-like selectors (multicall, aggregate, executeCall, routers' execute, ...):
refused by the builder and the text specs unless forced; the manager's own
forbidden list is refused even then. No chain needed."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from charter import InvalidInput
from charter.sessions import (
    EXECUTE_LIKE_SELECTORS,
    FORBIDDEN_SELECTORS,
    GrantBuilder,
    at_most,
    ensure_grant,
    ensure_signed_grant,
)
from charter.sessions.builder import apply_allow_spec, builder_from_specs
from charter.sessions.models import SignedGrant

ACCOUNT = "0x" + "11" * 20
KEY = "0x" + "22" * 20
TARGET = "0x" + "33" * 20

REQUIRED = (
    "multicall(bytes[])",
    "multicall(uint256,bytes[])",
    "multicall(bytes32,bytes[])",
    "aggregate((address,bytes)[])",
    "aggregate3((address,bool,bytes)[])",
    "aggregate3Value((address,bool,uint256,bytes)[])",
    "tryAggregate(bool,(address,bytes)[])",
    "blockAndAggregate((address,bytes)[])",
    "executeBatch(address[],bytes[])",
    "executeBatch(address[],uint256[],bytes[])",
    "executeCall(address,uint256,bytes)",
    "execute(address,uint256,bytes,uint8)",
    "execute(bytes,bytes[],uint256)",
    "execute(bytes,bytes[])",
    "delegatecall(address,bytes)",
    "performCreate(uint256,bytes)",
    "multiSend(bytes)",
    "execTransactionFromModule(address,uint256,bytes,uint8)",
)
EXECUTE_LIKE_ONLY = sorted(sig for sel, sig in EXECUTE_LIKE_SELECTORS.items() if sel not in FORBIDDEN_SELECTORS)


def _builder(**kwargs: bool) -> GrantBuilder:
    return GrantBuilder(ACCOUNT, 1, KEY, **kwargs)


def test_the_list_covers_the_common_standards_and_the_managers_own() -> None:
    for sig in REQUIRED:
        assert EXECUTE_LIKE_SELECTORS[keccak(text=sig)[:4]] == sig
    assert set(FORBIDDEN_SELECTORS) <= set(EXECUTE_LIKE_SELECTORS)
    assert any(sig.startswith("handleOps(") for sig in EXECUTE_LIKE_SELECTORS.values())
    assert all(keccak(text=sig)[:4] == sel for sel, sig in EXECUTE_LIKE_SELECTORS.items())


@pytest.mark.parametrize("signature", EXECUTE_LIKE_ONLY)
def test_refused_by_default_allowed_when_forced(signature: str) -> None:
    with pytest.raises(InvalidInput, match=r"execute-like.*allow_execute_like=True") as refused:
        _builder().allow(TARGET, signature)
    assert signature in str(refused.value)
    selector = "0x" + keccak(text=signature)[:4].hex()
    with pytest.raises(InvalidInput, match="execute-like"):
        _builder().allow(TARGET, selector)  # a bare selector is recognised too
    grant = _builder().allow(TARGET, signature, allow_execute_like=True).valid_for(60).build(now=0)
    assert grant.permissions[0].selector == keccak(text=signature)[:4]
    assert _builder(allow_execute_like=True).allow(TARGET, selector).valid_for(60).build(now=0).permissions


def test_a_per_call_choice_overrides_the_builders() -> None:
    with pytest.raises(InvalidInput, match="execute-like"):
        _builder(allow_execute_like=True).allow(TARGET, "multicall(bytes[])", allow_execute_like=False)
    # named parameters still work next to the flag
    grant = (
        _builder()
        .allow(TARGET, "multicall(uint256 deadline, bytes[] data)", allow_execute_like=True, deadline=at_most(5))
        .valid_for(60)
        .build(now=0)
    )
    assert [c.value for c in grant.conditions] == [5]


@pytest.mark.parametrize("signature", sorted(FORBIDDEN_SELECTORS.values()))
def test_the_managers_forbidden_selectors_are_refused_even_when_forced(signature: str) -> None:
    with pytest.raises(InvalidInput, match="account-execution function"):
        _builder(allow_execute_like=True).allow(TARGET, signature, allow_execute_like=True)


def test_text_specs_refuse_unless_forced() -> None:
    spec = f"{TARGET}:aggregate3((address,bool,bytes)[] calls)"
    with pytest.raises(InvalidInput, match="--force-execute-like"):
        apply_allow_spec(_builder(), spec)
    with pytest.raises(InvalidInput, match="execute-like"):
        builder_from_specs(ACCOUNT, 1, KEY, [spec], "1h")
    forced = builder_from_specs(ACCOUNT, 1, KEY, [spec], "1h", allow_execute_like=True).build(now=0)
    assert forced.permissions[0].selector == keccak(text="aggregate3((address,bool,bytes)[])")[:4]
    with pytest.raises(InvalidInput, match="account-execution"):
        builder_from_specs(ACCOUNT, 1, KEY, [f"{TARGET}:execTransactionFromModule(address,uint256,bytes,uint8)"],
                           "1h", allow_execute_like=True)


def test_ordinary_functions_are_untouched() -> None:
    grant = _builder().allow(TARGET, "transfer(address to, uint256 amount)").allow(TARGET, "").valid_for(60)
    assert len(grant.build(now=0).permissions) == 2


def test_ensure_grant_and_signed_grant() -> None:
    builder = _builder().allow(TARGET, "transfer(address,uint256)").valid_for(60)
    grant = builder.build(now=0)
    signed = SignedGrant(grant=grant, chain_id=1, manager=TARGET)
    assert ensure_grant(grant) is grant
    assert ensure_signed_grant(signed) is signed
    with pytest.raises(InvalidInput, match=r"call sessions\.prepare\(builder\) first"):
        ensure_grant(builder)
    with pytest.raises(InvalidInput, match=r"call sessions\.prepare\(builder\) first"):
        ensure_signed_grant(builder)
    with pytest.raises(InvalidInput, match="signed already"):
        ensure_grant(signed)
    with pytest.raises(InvalidInput, match="sign it"):
        ensure_signed_grant(grant)
    with pytest.raises(InvalidInput, match="expected a Grant, got dict"):
        ensure_grant({})


def test_a_parameter_named_like_an_option_cannot_force() -> None:
    spec = f"{TARGET}:multicall(uint256 allow_execute_like, bytes[] data):allow_execute_like=1"
    with pytest.raises(InvalidInput, match="execute-like"):
        apply_allow_spec(_builder(), spec)
    forced = apply_allow_spec(_builder(allow_execute_like=True), spec).valid_for(60).build(now=0)
    assert [(c.index, c.value) for c in forced.conditions] == [(0, 1)]
    with pytest.raises(InvalidInput, match="True or False"):
        _builder().allow(TARGET, "multicall(bytes[])", allow_execute_like=at_most(1))  # type: ignore[arg-type]

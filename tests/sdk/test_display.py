"""The SDK's models print readably: bytes as 0x-hex, enums by name; no v1 pydantic helpers in dir()."""

from __future__ import annotations

import json

from charter.registry.models import AgentInfo, AgentStatus
from charter.sessions import GrantBuilder, GrantState, GrantStatus, SignedGrant, one_of

ACCOUNT, KEY, TOKEN, BOB = ("0x" + c * 20 for c in ("11", "22", "33", "44"))


def _signed() -> SignedGrant:
    grant = (
        GrantBuilder(ACCOUNT, 1, KEY).allow(TOKEN, "transfer(address to, uint256 amount)", to=one_of(BOB))
        .salt(5).valid_for(60).build(now=0)
    )
    return SignedGrant(grant=grant, chain_id=1, manager=TOKEN, signature=b"\x01\xff")


def test_grants_print_hex_and_names() -> None:
    signed = _signed()
    text = repr(signed)
    assert "selector=0xa9059cbb" in text and "signature=0x01ff" in text and "agent_consent=0x," not in text
    assert "salt=0x" + "00" * 31 + "05" in text and "b'" not in text and "\\x" not in text
    assert f"op=Op.EQ, value={BOB.lower()}" in text  # an address condition in hex
    assert "selector=0xa9059cbb" in str(signed.grant)
    assert json.loads(signed.to_json())["grant"]["permissions"][0]["selector"] == "0xa9059cbb"  # JSON unchanged


def test_statuses_print_by_name_and_stay_numbers() -> None:
    state = GrantState(
        grant_hash="0x" + "ab" * 32, account=ACCOUNT, agent_id=1, session_key=KEY, status=GrantStatus.REVOKED,
        calls_used=0, calls_left=None, native_spent=0, native_left=0, last_call=None, valid_after=0,
        valid_until=1, nonce=0, block=3,
    )
    assert "status=GrantStatus.REVOKED" in repr(state) and f"{state.status}" == str(state.status) == "REVOKED"
    assert state.status == 2 and f"{state.status:d}" == "2" and state.model_dump(mode="json")["status"] == 2
    info = AgentInfo(agent_id=1, owner=ACCOUNT, status=AgentStatus.PAUSED, uri="", chain_id=1, registry=TOKEN)
    assert "status=AgentStatus.PAUSED" in repr(info) and str(info.status) == "PAUSED"


def test_no_deprecated_pydantic_helpers_in_dir() -> None:
    signed = _signed()
    for model in (signed, signed.grant, signed.grant.permissions[0]):
        names = dir(model)
        assert "model_dump" in names and "model_dump_json" in names
        assert not {"dict", "json", "parse_obj", "parse_raw", "copy", "construct"} & set(names)
    assert "to_json" in dir(signed)

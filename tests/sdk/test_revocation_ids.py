"""A signed revocation has one id wherever the relayer sees it (its content): what its echo ends on."""

from __future__ import annotations

from charter.processes.propagate import revocation_id

ACCOUNT = "0x" + "ab" * 20
GRANTS = [bytes([i]) * 32 for i in (1, 2, 3)]


def test_a_revocation_id_is_its_content() -> None:
    assert revocation_id("all", ACCOUNT, 7, None) == revocation_id("all", ACCOUNT.upper().replace("0X", "0x"), 7, None)
    assert revocation_id("all", ACCOUNT, 7, None) != revocation_id("all", ACCOUNT, 8, None)
    assert revocation_id("grants", ACCOUNT, None, GRANTS) != revocation_id("grants", ACCOUNT, None, GRANTS[:2])
    assert revocation_id("grants", ACCOUNT, None, GRANTS) == revocation_id("grants", ACCOUNT, None, tuple(GRANTS))
    assert revocation_id("all", ACCOUNT, 0, None) != revocation_id("grants", ACCOUNT, None, [])

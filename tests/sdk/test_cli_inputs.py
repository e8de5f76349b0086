"""Whatever a user types, the CLI answers with one line ``error: ...`` and exit 1, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_account import Account

from .conftest import dev_key
from .test_cli import Invoke, _ok, _refused, invoke, principal_key  # noqa: F401 - fixtures

GOOD_HASH = "0x" + "ab" * 32


def test_a_malformed_grant_hash_is_one_line(invoke: Invoke) -> None:  # noqa: F811
    for bad in ("zz", "0x12", "0x" + "zz" * 32, GOOD_HASH[:-1], ""):
        for command in (("session", "revoke"), ("revoke",)):
            _refused(invoke(*command, bad))
    assert "32 bytes" in _refused(invoke("revoke", "0x12"))


def test_a_malformed_address_is_one_line(invoke: Invoke, agent_id: int) -> None:  # noqa: F811
    for bad in ("0x12", "nothex", "0x" + "zz" * 20):
        assert "not a valid address" in _refused(invoke("agent", "show", "--wallet", bad))
        assert "not a valid address" in _refused(invoke("account", "show", bad))
        _refused(invoke("session", "revoke", GOOD_HASH, "--account", bad))
        _refused(invoke("session", "list", bad))
    _refused(invoke("agent", "set-wallet", str(agent_id), "--address", "0x" + "11" * 20,
                    "--signature", "zz", "--deadline", "1"))


def test_a_manifest_that_does_not_exist_is_an_error(invoke: Invoke, agent_id: int, tmp_path: Path) -> None:  # noqa: F811
    missing = tmp_path / "missing.json"
    line = _refused(invoke("--manifest", str(missing), "agent", "show", str(agent_id)))
    assert "does not exist" in line and str(missing) in line
    assert "does not exist" in _refused(invoke("agent", "show", str(agent_id), CHARTER_MANIFEST=str(missing)))
    directory = invoke("--manifest", str(tmp_path), "agent", "show", str(agent_id))  # click's usage error
    assert directory.exit_code == 2 and "is a directory" in directory.stderr and "Traceback" not in directory.stderr
    assert not missing.exists()


def test_execute_like_needs_force(invoke: Invoke, principal_key: str, tmp_path: Path) -> None:  # noqa: F811
    _ok(invoke("account", "upgrade", key=principal_key))
    agent = _ok(invoke("register", "--json", key=principal_key))
    agent_id = str(__import__("json").loads(agent)["agent_id"])
    target = "0x" + "77" * 20
    base: tuple[Any, ...] = ("grant", "--agent", agent_id, "--key", Account.create().address,
                             "--allow", f"{target}:multicall(bytes[])", "--valid-for", "1h")
    line = _refused(invoke(*base, key=principal_key))
    assert "multicall(bytes[])" in line and "execute-like" in line and "--force-execute-like" in line
    assert "signed off-chain" in _ok(invoke(*base, "--force-execute-like", key=principal_key))
    # the manager's own list stays refused
    forbidden = ("grant", "--agent", agent_id, "--key", Account.create().address, "--allow",
                 f"{target}:execute(bytes32,bytes)", "--valid-for", "1h", "--force-execute-like")
    assert "account-execution" in _refused(invoke(*forbidden, key=principal_key))
    # an --out path that cannot be written
    line = _refused(invoke(*base, "--force-execute-like", "--out", str(tmp_path / "no" / "g.json"), key=principal_key))
    assert "No such file or directory" in line


def test_grant_for_another_owners_agent_needs_its_consent(
    invoke: Invoke, principal_key: str, agent_id: int  # noqa: F811
) -> None:
    """`agent_id` belongs to alice (dev key 1), not to the principal: refused before signing
    without her consent, refused with a key that is not hers, signed with hers."""
    _ok(invoke("account", "upgrade", key=principal_key))
    base = ("grant", "--agent", str(agent_id), "--key", Account.create().address,
            "--allow", "0x" + "77" * 20, "--valid-for", "1h")
    assert "has not consented" in _refused(invoke(*base, key=principal_key), 3)
    stranger = Account.create().key.to_0x_hex()
    assert "cannot consent" in _refused(
        invoke(*base, "--agent-key-env", "AGENT_KEY", key=principal_key, AGENT_KEY=stranger)
    )
    assert "not set" in _refused(invoke(*base, "--agent-key-env", "AGENT_KEY", key=principal_key, AGENT_KEY=None))
    assert "signed off-chain" in _ok(
        invoke(*base, "--agent-key-env", "AGENT_KEY", key=principal_key, AGENT_KEY=dev_key(1))
    )

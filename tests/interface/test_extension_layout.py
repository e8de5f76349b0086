"""The SessionExtension runs on the SessionManager's storage (DELEGATECALL):
both must lay out storage, transient storage and the nonreentrancy lock
identically, and the manager must answer every extension function."""

from pathlib import Path

import boa

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def _layout(name: str) -> dict:
    return boa.load_partial(str(CONTRACTS / f"{name}.vy")).compiler_data.storage_layout


def test_manager_and_extension_share_one_layout():
    manager, extension = _layout("SessionManager"), _layout("SessionExtension")
    activator = _layout("SessionActivator")  # run on the manager's storage too (through the extension)
    for kind in ("storage_layout", "transient_storage_layout"):
        assert manager[kind] == extension[kind] == activator[kind], kind
    # The lock is in transient storage, where both have it.
    assert "$.nonreentrant_key" in manager["transient_storage_layout"]
    # The manager's state lives only in grant_store (nothing of its own that the extension lacks).
    assert set(manager["storage_layout"]) == {"grant_store"}


def test_manager_abi_lists_extension_functions():
    from charter._core.artifacts import load_artifact

    manager = {e.get("name") for e in load_artifact("SessionManager")["abi"] if e["type"] in ("function", "event")}
    extension = {e.get("name") for e in load_artifact("SessionExtension")["abi"] if e["type"] in ("function", "event")}
    assert {"executeBatch", "renounce", "setMaxSessionLength", "MaxSessionLengthSet"} <= extension <= manager
    activator = {e.get("name") for e in load_artifact("SessionActivator")["abi"] if e["type"] in ("function", "event")}
    assert {"activate", "revokeAllSigned", "revokeGrantsSigned", "RevokeAllSigned", "RevokeGrantsSigned"} <= activator
    assert activator <= manager

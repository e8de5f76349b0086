"""Every refusal reaches the user as its typed Charter exception, with a useful message."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from charter import (
    AgentNotActive,
    AgentNotPaused,
    AgentRetired,
    AgentURITooLong,
    CharterError,
    ContractRevert,
    EmptyMetadataKey,
    InvalidApproval,
    InvalidInput,
    LocalSigner,
    MetadataTooLarge,
    MissingSigner,
    NodeSigner,
    NodeUnreachable,
    OutOfScope,
    OverBudget,
    Registry,
    ReservedMetadataKey,
    Unauthorized,
    UnknownAgent,
    WalletProofDeadlineTooFar,
    WalletProofExpired,
    WalletProofInvalid,
    WalletProofUsed,
    WalletTaken,
    WrongOwner,
    ZeroAddress,
    ZeroWallet,
)
from charter._core.revert import REVERTS, RevertContext, map_revert, translate
from charter._core.tx import failure

ZERO = "0x0000000000000000000000000000000000000000"
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def _nonce(w3: Web3, address: str) -> int:
    return int(w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending"))


# ---------------------------------------------------------------- authorization and existence


def test_stranger_is_unauthorized(
    as_mallory: Registry, mallory: LocalSigner, alice: LocalSigner, agent_id: int
) -> None:
    for attempt in (
        lambda: as_mallory.pause(agent_id),
        lambda: as_mallory.set_uri(agent_id, "ipfs://hijack"),
        lambda: as_mallory.set_metadata(agent_id, "k", b"v"),
        lambda: as_mallory.unset_agent_wallet(agent_id),
        lambda: as_mallory.retire(agent_id),
    ):
        with pytest.raises(Unauthorized) as info:
            attempt()
        assert info.value.reason == "registry: not authorized"
        message = str(info.value)
        assert message.startswith("Unauthorized: ")
        assert mallory.address in message and alice.address in message
        assert f"agent {agent_id}" in message and "approve" in message


def test_stranger_cannot_transfer(as_mallory: Registry, mallory: LocalSigner, agent_id: int) -> None:
    with pytest.raises(Unauthorized) as info:
        as_mallory.transfer(agent_id, mallory.address)
    assert info.value.reason == "erc721: caller is not token owner or approved"


def test_unknown_agent_on_reads_and_writes(w3: Web3, registry: Registry) -> None:
    missing = 10**12
    for attempt in (
        lambda: registry.agent(missing),
        lambda: registry.owner_of(missing),
        lambda: registry.status(missing),
        lambda: registry.uri(missing),
        lambda: registry.agent_wallet(missing),
        lambda: registry.pause(missing),
        lambda: registry.set_uri(missing, "x"),
        lambda: registry.is_authorized(registry.address, missing),
    ):
        with pytest.raises(UnknownAgent) as info:
            attempt()
        assert f"agent {missing} does not exist" in str(info.value)
        assert f"chain {w3.eth.chain_id}" in str(info.value)


# ---------------------------------------------------------------- lifecycle


def test_pause_twice_is_not_active(registry: Registry, agent_id: int) -> None:
    registry.pause(agent_id)
    with pytest.raises(AgentNotActive) as info:
        registry.pause(agent_id)
    assert "not Active" in str(info.value) and "resume" in str(info.value)


def test_resume_an_active_agent_is_not_paused(registry: Registry, agent_id: int) -> None:
    with pytest.raises(AgentNotPaused) as info:
        registry.resume(agent_id)
    assert "not Paused" in str(info.value)


def test_retired_is_final(registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]) -> None:
    registry.retire(agent_id)
    for attempt in (
        lambda: registry.resume(agent_id),
        lambda: registry.pause(agent_id),
        lambda: registry.retire(agent_id),
        lambda: registry.set_agent_wallet(agent_id, new_wallet()),
    ):
        with pytest.raises(AgentRetired) as info:
            attempt()
        assert "final" in str(info.value) and "register a new agent" in str(info.value)
    # URI and metadata stay editable, to say it is retired.
    registry.set_uri(agent_id, "ipfs://retired")
    assert registry.uri(agent_id) == "ipfs://retired"


# ---------------------------------------------------------------- wallet proofs


def test_wallet_taken(registry: Registry, new_wallet: Callable[[], LocalAccount]) -> None:
    first, second = registry.register(), registry.register()
    wallet = new_wallet()
    registry.set_agent_wallet(first, wallet)
    with pytest.raises(WalletTaken) as info:
        registry.set_agent_wallet(second, wallet)
    assert wallet.address in str(info.value) and f"agent {first}" in str(info.value)


def test_expired_proof(registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]) -> None:
    deadline = registry.chain_time() - 60
    with pytest.raises(WalletProofExpired) as info:
        registry.set_agent_wallet(agent_id, new_wallet(), deadline=deadline)
    assert "expired at" in str(info.value) and "UTC" in str(info.value)
    assert "5 minutes" in str(info.value)


def test_deadline_too_far(registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]) -> None:
    with pytest.raises(WalletProofDeadlineTooFar) as info:
        registry.set_agent_wallet(agent_id, new_wallet(), deadline=registry.chain_time() + 3_600)
    assert "more than 5 minutes" in str(info.value)


def test_proof_signed_by_another_key_is_invalid(
    registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]
) -> None:
    wallet, impostor = new_wallet(), new_wallet()
    signature, deadline = registry.sign_wallet_proof(impostor, agent_id)
    with pytest.raises(WalletProofInvalid) as info:
        registry.set_agent_wallet(agent_id, wallet.address, signature=signature, deadline=deadline)
    assert wallet.address in str(info.value) and "AgentWalletSet" in str(info.value)


def test_proof_for_another_owner_is_invalid(
    registry: Registry, agent_id: int, bob: NodeSigner, new_wallet: Callable[[], LocalAccount]
) -> None:
    wallet = new_wallet()
    signature, deadline = registry.sign_wallet_proof(wallet, agent_id, owner=bob.address)
    with pytest.raises(WalletProofInvalid):
        registry.set_agent_wallet(agent_id, wallet.address, signature=signature, deadline=deadline)


def test_garbage_signature_is_invalid(
    registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]
) -> None:
    deadline = registry.default_deadline()
    with pytest.raises(WalletProofInvalid):
        registry.set_agent_wallet(agent_id, new_wallet().address, signature=b"\x00" * 65, deadline=deadline)


def test_proof_cannot_be_replayed(registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]) -> None:
    wallet = new_wallet()
    signature, deadline = registry.sign_wallet_proof(wallet, agent_id)
    registry.set_agent_wallet(agent_id, wallet.address, signature=signature, deadline=deadline)
    registry.unset_agent_wallet(agent_id)
    with pytest.raises(WalletProofUsed) as info:
        registry.set_agent_wallet(agent_id, wallet.address, signature=signature, deadline=deadline)
    assert wallet.address in str(info.value) and "later deadline" in str(info.value)
    # An older proof is refused too; a later one is accepted.
    with pytest.raises(WalletProofUsed):
        registry.set_agent_wallet(agent_id, wallet, deadline=deadline - 1)
    registry.set_agent_wallet(agent_id, wallet, deadline=deadline + 1)
    assert registry.agent_id_of_wallet(wallet.address) == agent_id


def test_zero_wallet(registry: Registry, agent_id: int) -> None:
    with pytest.raises(ZeroWallet):
        registry.set_agent_wallet(agent_id, ZERO, signature=b"\x00" * 65, deadline=registry.default_deadline())


def test_transfer_to_zero_address(registry: Registry, agent_id: int) -> None:
    with pytest.raises(ZeroAddress):
        registry.transfer(agent_id, ZERO)


# ---------------------------------------------------------------- metadata


def test_reserved_metadata_key(registry: Registry, agent_id: int) -> None:
    with pytest.raises(ReservedMetadataKey) as info:
        registry.set_metadata(agent_id, "agentWallet", b"\x00" * 20)
    assert "set_agent_wallet" in str(info.value)
    with pytest.raises(ReservedMetadataKey):
        registry.register(metadata={"agentWallet": b"\x01" * 20})


def test_empty_key_refused_by_the_contract_maps_to_its_exception(
    w3: Web3, registry: Registry, alice: LocalSigner, agent_id: int
) -> None:
    # The SDK refuses empty keys itself; a raw call shows the contract's refusal is mapped too.
    call = registry.contract.functions.setMetadata(agent_id, "", b"v")
    with pytest.raises(EmptyMetadataKey), translate(w3):
        call.call({"from": alice.address})


def test_size_limits_refused_by_the_contract_map_to_their_exceptions(
    w3: Web3, registry: Registry, alice: LocalSigner, agent_id: int
) -> None:
    # The SDK checks the limits itself; raw calls show the contract's reasons are mapped too.
    fns = registry.contract.functions
    refusals = [
        (fns.register("x" * 20_481), AgentURITooLong, "20,480 bytes"),
        (fns.setAgentURI(agent_id, "x" * 20_481), AgentURITooLong, "20,480 bytes"),
        (fns.setMetadata(agent_id, "k" * 65, b"v"), MetadataTooLarge, "1 to 64 bytes"),
        (fns.setMetadata(agent_id, "k", b"v" * 1_025), MetadataTooLarge, "1,024 bytes"),
        (fns.register("", [("k", b"v" * 1_025)]), MetadataTooLarge, "1,024 bytes"),
        (fns.register("", [(f"k{i}", b"v") for i in range(17)]), MetadataTooLarge, "at most 16"),
    ]
    for call, cls, fragment in refusals:
        with pytest.raises(cls) as info, translate(w3):
            call.call({"from": alice.address})
        assert fragment in str(info.value)


def test_erc721_refusals_through_raw_calls(
    w3: Web3, registry: Registry, alice: LocalSigner, bob: NodeSigner, agent_id: int
) -> None:
    fns = registry.contract.functions
    with pytest.raises(WrongOwner), translate(w3):
        fns.transferFrom(bob.address, alice.address, agent_id).call({"from": alice.address})
    with pytest.raises(InvalidApproval), translate(w3):
        fns.approve(alice.address, agent_id).call({"from": alice.address})
    with pytest.raises(InvalidApproval), translate(w3):
        fns.setApprovalForAll(alice.address, True).call({"from": alice.address})
    with pytest.raises(Unauthorized), translate(w3):
        fns.approve(bob.address, agent_id).call({"from": bob.address})


# ---------------------------------------------------------------- client-side validation


@pytest.mark.parametrize(
    ("attempt", "fragment"),
    [
        (lambda r, a: r.register("x" * 20_481), "20,481 bytes"),
        (lambda r, a: r.register("é" * 10_241), "20,482 bytes"),
        (lambda r, a: r.set_uri(a, "x" * 20_481), "at most 20,480"),
        (lambda r, a: r.set_metadata(a, "", b"v"), "1 to 64 bytes"),
        (lambda r, a: r.set_metadata(a, "k" * 65, b"v"), "65 bytes"),
        (lambda r, a: r.set_metadata(a, "k", b"v" * 1_025), "1,025 bytes"),
        (lambda r, a: r.set_metadata(a, "k", 5), "bytes or text"),
        (lambda r, a: r.register(metadata={f"k{i}": b"" for i in range(17)}), "at most 16"),
        (lambda r, a: r.register(metadata=[("only-a-key",)]), "not a (key, value) pair"),
        (lambda r, a: r.register(metadata="k=v"), "mapping"),
        (lambda r, a: r.pause(0), "ids start at 1"),
        (lambda r, a: r.pause(-1), "ids start at 1"),
        (lambda r, a: r.pause(True), "must be an integer"),
        (lambda r, a: r.pause("1"), "must be an integer"),
        (lambda r, a: r.transfer(a, "0x1234"), "not a valid address"),
        (lambda r, a: r.transfer(a, "0x70997970c51812dc3a010c7d01b50e0d17dc79C8"), "checksum"),
        (lambda r, a: r.set_agent_wallet(a, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), "signature"),
        (
            lambda r, a: r.set_agent_wallet(a, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", b"\x00" * 65, -5),
            "unix time",
        ),
        (lambda r, a: r.set_agent_wallet(a, object()), "not a signer"),
    ],
)
def test_invalid_input_is_refused_before_sending(
    w3: Web3,
    registry: Registry,
    alice: LocalSigner,
    agent_id: int,
    attempt: Callable[[Registry, int], object],
    fragment: str,
) -> None:
    nonce = _nonce(w3, alice.address)
    with pytest.raises(InvalidInput) as info:
        attempt(registry, agent_id)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, CharterError)
    assert _nonce(w3, alice.address) == nonce


def test_a_signer_cannot_sign_another_wallets_proof(
    registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]
) -> None:
    from charter.registry.typed_data import sign_agent_wallet_set

    signer, other = new_wallet(), new_wallet()
    with pytest.raises(InvalidInput, match="must be signed by that wallet"):
        sign_agent_wallet_set(signer, registry.chain_id, registry.address, agent_id, other.address, signer.address, 1)


def test_writes_without_signer(w3: Web3, registry: Registry, agent_id: int) -> None:
    reader = Registry(w3, registry.address)
    with pytest.raises(MissingSigner, match="cannot pause without a signer"):
        reader.pause(agent_id)


def test_unreachable_node(registry: Registry) -> None:
    offline = Registry(Web3(Web3.HTTPProvider("http://127.0.0.1:1")), registry.address)
    with pytest.raises(NodeUnreachable) as info:
        offline.agent(1)
    assert "http://127.0.0.1:1" in str(info.value) and "anvil" in str(info.value)


# ---------------------------------------------------------------- the mapping itself


LAYER_PREFIXES = (
    r'"((?:registry|erc721|sessions|account|intents|oracle|hyperlane|reputation|validation): [^"\n]+)"'
)


def test_every_revert_reason_in_the_contracts_is_mapped() -> None:
    reasons: set[str] = set()
    for source in CONTRACTS.rglob("*.vy"):
        text = source.read_text()
        reasons |= set(re.findall(LAYER_PREFIXES, text))
    assert len(reasons) >= 65
    # Numbered reasons are built at run time from these prefixes.
    numbered = {"sessions: call ", "sessions: over token budget "}
    assert numbered <= reasons
    missing = reasons - set(REVERTS) - numbered
    assert not missing, f"revert reasons without an exception: {sorted(missing)}"


@pytest.mark.parametrize(
    ("reason", "cls", "call", "argument"),
    [
        ("sessions: call 0 not allowed", OutOfScope, 0, None),
        ("sessions: call 3 value too high", OutOfScope, 3, None),
        ("sessions: call 15 bad calldata", OutOfScope, 15, None),
        ("sessions: call 2 argument 1", OutOfScope, 2, 1),
    ],
)
def test_numbered_call_reasons(reason: str, cls: type, call: int, argument: int | None) -> None:
    error = map_revert(reason, RevertContext(account="0xA", grant_hash="0x" + "ab" * 32, detail="transfer on 0xT"))
    assert type(error) is cls and error.reason == reason
    assert error.call == call and error.argument == argument
    assert f"call {call}" in str(error) and "transfer on 0xT" in str(error) and ";" in error.message
    if argument is not None:
        assert f"argument {argument}" in str(error)


def test_token_budget_reason_names_the_token_and_what_is_left() -> None:
    error = map_revert("sessions: over token budget 1", RevertContext(budget="0xToken", left=40))
    assert isinstance(error, OverBudget)
    assert error.budget == "0xToken" and error.left == 40
    assert "0xToken" in str(error) and "40 left" in str(error)
    bare = map_revert("sessions: over token budget 1")
    assert isinstance(bare, OverBudget) and "token budget 1" in str(bare) and bare.left is None


def test_native_and_call_budgets_say_which() -> None:
    native = map_revert("sessions: over native budget", RevertContext(left=5))
    calls = map_revert("sessions: over call limit")
    assert isinstance(native, OverBudget) and native.budget == "native" and "5 left" in str(native)
    assert isinstance(calls, OverBudget) and calls.budget == "calls"


@pytest.mark.parametrize("reason", sorted(REVERTS))
def test_map_revert_messages_say_what_and_what_to_do(reason: str) -> None:
    bare = map_revert(reason)
    rich = map_revert(
        reason,
        RevertContext(
            action="pause", agent_id=7, sender="0xS", owner="0xO", wallet="0xW", deadline=1_800_000_000,
            to="0xT", other_agent=3, chain_id=1, registry="0xR", account="0xA", session_key="0xK",
            grant_hash="0x" + "cd" * 32, valid_after=1_800_000_000, valid_until=1_800_003_600,
        ),
    )
    for error in (bare, rich):
        assert type(error) is REVERTS[reason][0]
        assert error.reason == reason
        assert str(error).startswith(f"{type(error).__name__}: ")
        assert ";" in error.message  # what was wrong; what to do
        assert "Traceback" not in str(error)


def test_map_revert_uses_the_context() -> None:
    error = map_revert("registry: proof expired", RevertContext(agent_id=3, deadline=1_795_341_600))
    assert isinstance(error, WalletProofExpired)
    assert str(error) == (
        "WalletProofExpired: the wallet proof for agent 3 expired at 2026-11-22 10:00:00 UTC; "
        "ask the wallet to sign a new proof with a deadline at most 5 minutes ahead"
    )


def test_unknown_and_empty_reasons() -> None:
    unknown = map_revert("sessions: something new", RevertContext(action="pause", agent_id=2))
    assert type(unknown) is ContractRevert
    assert unknown.reason == "sessions: something new"
    assert "sessions: something new" in str(unknown) and "pause agent 2" in str(unknown)
    empty = map_revert("")
    assert type(empty) is ContractRevert and empty.reason == ""
    assert "without giving a reason" in str(empty)


# ---------------------------------------------------------------- mined, then reverted


def test_a_mined_revert_is_explained_by_replaying_it(
    w3: Web3, registry: Registry, alice: LocalSigner, bob: NodeSigner, agent_id: int
) -> None:
    # Sent with a fixed gas limit, so nothing simulates it first: it is mined and reverts.
    data = registry.contract.encode_abi("pause", args=[agent_id])
    call = {"from": bob.address, "to": registry.address, "data": data}
    tx_hash = w3.eth.send_transaction({**call, "gas": 100_000})  # type: ignore[typeddict-item]
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 0
    error = failure(w3, receipt, call, RevertContext())  # type: ignore[arg-type]
    assert isinstance(error, Unauthorized)


def test_a_mined_revert_without_reason_is_transaction_failed(w3: Web3, registry: Registry, alice: LocalSigner) -> None:
    from charter import TransactionFailed

    data = registry.contract.encode_abi("register()", args=[])
    call = {"from": alice.address, "to": registry.address, "data": data}
    tx_hash = alice.send_transaction(w3, {"to": registry.address, "data": data, "gas": 30_000})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 0  # out of gas
    error = failure(w3, receipt, call, RevertContext())  # type: ignore[arg-type]
    assert isinstance(error, TransactionFailed)
    assert tx_hash.to_0x_hex() in str(error) and "out of gas" in str(error)

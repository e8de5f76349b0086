"""The SDK's pure encodings match the deployed contracts, and `charter relay` / `charter solve` run from their files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from charter.cli import cli
from charter.intents import ORDER_DATA_TYPE, UNFILLED_RECORD, AttesterOracle, OrderStatus, fill_attestation
from charter.intents.models import word
from charter.intents.typed_data import attestation_digest

from .conftest import CHAIN_A, CHAIN_B, COMMITTEE, World, until


def test_sdk_constants_and_hashes_match_the_contracts(world: World) -> None:
    intents = world.a.user.intents
    assert bytes(intents.contract.functions.ORDER_DATA_TYPE().call()) == ORDER_DATA_TYPE
    assert bytes(intents.contract.functions.UNFILLED_RECORD().call()) == UNFILLED_RECORD
    order = world.order()
    resolved = intents.resolve(order)
    assert bytes(resolved["orderId"]) == order.order_id
    assert bytes(resolved["fillInstructions"][0][2]) == order.origin_data
    assert resolved["fillInstructions"][0][0] == CHAIN_B


def test_sdk_attestation_digest_matches_the_oracle(world: World) -> None:
    order = world.order()
    message = fill_attestation(order, b"\x07" * 32)
    oracle = AttesterOracle(world.a.w3, world.oracle)
    on_chain = oracle.contract.functions.attestationDigest(
        CHAIN_A, order.origin_settler, CHAIN_B, word(order.data.destination_settler), order.order_id, b"\x07" * 32
    ).call()
    assert bytes(on_chain) == attestation_digest(world.oracle, message)
    assert oracle.threshold() == 2 and set(oracle.members()) == {m.address for m in COMMITTEE}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_cli_solve_and_relay_from_their_files(world: World, start: tuple[int, int], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for i, member in enumerate(COMMITTEE):
        monkeypatch.setenv(f"TEST_ATTESTER_{i}", member.key.hex())
    monkeypatch.setenv("TEST_RELAYER_KEY", world.relayer_key)
    from charter.devchain import DEV_KEYS

    monkeypatch.setenv("TEST_SOLVER_KEY", DEV_KEYS[2])
    chains = "".join(
        f'\n[[chains]]\nchain_id = {cid}\nrpc = "{side.chain.url}"\nconfirmations = 2\nstart_block = {block}\n'
        + (f'oracle = "{world.oracle}"\n' if cid == CHAIN_A else "")
        for cid, side, block in ((CHAIN_A, world.a, start[0]), (CHAIN_B, world.b, start[1]))
    )
    relay_toml = _write(tmp_path / "relay.toml", (
        f'db = "{tmp_path / "relay.sqlite"}"\nsender_key_env = "TEST_RELAYER_KEY"\n'
        'attester_keys_env = ["TEST_ATTESTER_0", "TEST_ATTESTER_1", "TEST_ATTESTER_2"]\npoll_interval = 0.2\n'
        + chains))
    solve_toml = _write(tmp_path / "solve.toml", (
        f'db = "{tmp_path / "solver.sqlite"}"\nkey_env = "TEST_SOLVER_KEY"\nagent_id = {world.filler_agent}\n'
        + chains
        + f'\n[[routes]]\norigin_chain = {CHAIN_A}\ninput_token = "{world.a.token.address}"\n'
        f'dest_chain = {CHAIN_B}\noutput_token = "{world.b.token.address}"\n'))
    order = world.order()
    world.a.user.intents.open(order)
    runner = CliRunner()

    def solve() -> None:
        result = runner.invoke(cli, ["solve", "--config", str(solve_toml), "--once", "--json", "--quiet"])
        assert result.exit_code == 0, result.output

    until(lambda: any(world.b.user.intents.record_of(order.order_id)), solve)

    def relay() -> None:
        result = runner.invoke(cli, ["relay", "--config", str(relay_toml), "--once", "--json", "--quiet"])
        assert result.exit_code == 0, result.output
        assert "orders" in json.loads(result.output.strip().splitlines()[-1])

    until(lambda: world.a.user.intents.origin_status(order.order_id) == OrderStatus.SETTLED, relay)


def test_cli_relay_refuses_a_bad_file_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["relay", "--config", str(tmp_path / "none.toml")])
    assert missing.exit_code == 1 and "does not exist" in missing.output and "Traceback" not in missing.output
    bad = _write(tmp_path / "bad.toml", 'attester_keys_env = ["NOPE"]\n[[chains]]\nchain_id = 1\nrpc = "x"\n')
    result = runner.invoke(cli, ["relay", "--config", str(bad)])
    assert result.exit_code == 1 and "rpc" in result.output
    unset = _write(tmp_path / "unset.toml", (
        'attester_keys_env = ["CHARTER_TEST_UNSET_KEY"]\n[[chains]]\nchain_id = 1\nrpc = "http://127.0.0.1:1"\n'
        'oracle = "0x' + "11" * 20 + '"\n'))
    monkeypatch.delenv("CHARTER_TEST_UNSET_KEY", raising=False)
    result = runner.invoke(cli, ["relay", "--config", str(unset)])
    assert result.exit_code == 1 and "$CHARTER_TEST_UNSET_KEY" in result.output
    assert "Traceback" not in result.output

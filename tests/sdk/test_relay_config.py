"""relay.toml and solve.toml with Hyperlane tables: what each --oracle keeps, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from charter.exceptions import InvalidInput
from charter.processes.config import load_relay_config, load_solver_config

KEY = "0x" + "11" * 32
MAILBOX_A, ORACLE_A, COMMITTEE_A = "0x" + "a1" * 20, "0x" + "a2" * 20, "0x" + "a3" * 20
MAILBOX_B, REPORTER_B = "0x" + "b1" * 20, "0x" + "b2" * 20


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("T_SENDER", "T_ATTESTER", "T_VALIDATOR", "T_SOLVER"):
        monkeypatch.setenv(name, KEY)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "file.toml"
    path.write_text(text)
    return path


BOTH = f'''sender_key_env = "T_SENDER"
attester_keys_env = ["T_ATTESTER"]
validator_keys_env = ["T_VALIDATOR"]

[[chains]]
chain_id = 1
rpc = "http://127.0.0.1:1"
oracle = "{COMMITTEE_A}"
[chains.hyperlane]
mailbox = "{MAILBOX_A}"
oracle = "{ORACLE_A}"

[[chains]]
chain_id = 2
rpc = "http://127.0.0.1:2"
[chains.hyperlane]
mailbox = "{MAILBOX_B}"
reporter = "{REPORTER_B}"
'''


def test_all_keeps_both_parts(env, tmp_path: Path) -> None:
    config = load_relay_config(write(tmp_path, BOTH))
    assert {k: v.lower() for k, v in config.oracles.items()} == {1: COMMITTEE_A} and config.attester_keys == [KEY]
    a, b = config.chains
    assert a.hyperlane is not None and a.hyperlane.oracle is not None and a.hyperlane.oracle.lower() == ORACLE_A
    assert b.hyperlane is not None and b.hyperlane.reporter is not None and b.hyperlane.reporter.lower() == REPORTER_B
    assert b.hyperlane.oracle is None and b.hyperlane.merkle_tree_hook is None
    assert config.validator_keys == [KEY]


def test_hyperlane_drops_the_committee_and_committee_drops_hyperlane(env, tmp_path: Path) -> None:
    path = write(tmp_path, BOTH)
    hyperlane = load_relay_config(path, "hyperlane")
    assert hyperlane.oracles == {} and hyperlane.attester_keys == [] and hyperlane.validator_keys == [KEY]
    committee = load_relay_config(path, "committee")
    assert all(c.hyperlane is None for c in committee.chains) and committee.validator_keys == []
    assert list(committee.oracles) == [1]


@pytest.mark.parametrize(("text", "oracle", "message"), [
    (BOTH.replace('validator_keys_env = ["T_VALIDATOR"]\n', ""), "all", "validator_keys_env"),
    (BOTH.replace(f'mailbox = "{MAILBOX_B}"\n', ""), "all", "names at least the chain's `mailbox`"),
    (BOTH.replace(f'reporter = "{REPORTER_B}"', 'reporter = "0x12"'), "all", "reporter"),
    (BOTH.replace(f'reporter = "{REPORTER_B}"', f'reporterr = "{REPORTER_B}"'), "all", "unknown keys reporterr"),
    (BOTH.split("[chains.hyperlane]")[0] + '\n[[chains]]\nchain_id = 2\nrpc = "http://127.0.0.1:2"\n', "hyperlane",
     "[chains.hyperlane]"),
])
def test_bad_files_say_what_is_wrong(env, tmp_path: Path, text: str, oracle: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_relay_config(write(tmp_path, text), oracle)


def test_unknown_oracle_kind(env, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="one of all, committee, hyperlane"):
        load_relay_config(write(tmp_path, BOTH), "committe")


def test_a_solver_trusts_the_committee_and_the_hyperlane_oracle(env, tmp_path: Path) -> None:
    text = BOTH.replace('sender_key_env = "T_SENDER"', 'key_env = "T_SOLVER"') + (
        f'\n[[routes]]\norigin_chain = 1\ninput_token = "{MAILBOX_A}"\ndest_chain = 2\noutput_token = "{MAILBOX_B}"\n')
    config = load_solver_config(write(tmp_path, text))
    trusted = config.policy.oracles[1]
    assert isinstance(trusted, list) and [t.lower() for t in trusted] == [COMMITTEE_A, ORACLE_A]
    assert 2 not in config.policy.oracles

"""relay.toml and solve.toml: what each --oracle keeps of Hyperlane tables, and every key's check (a misspelled,
misplaced or mistyped key is refused in one line naming it, where it is and the fix)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3

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
    (BOTH.replace(f'reporter = "{REPORTER_B}"', f'reporterr = "{REPORTER_B}"'), "all", "unknown key `reporterr`"),
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
    relay_only = ('sender_key_env = "T_SENDER"\nattester_keys_env = ["T_ATTESTER"]\n'
                  'validator_keys_env = ["T_VALIDATOR"]\n')
    text = BOTH.replace(relay_only, 'key_env = "T_SOLVER"\n') + (
        f'\n[[routes]]\norigin_chain = 1\ninput_token = "{MAILBOX_A}"\ndest_chain = 2\noutput_token = "{MAILBOX_B}"\n')
    config = load_solver_config(write(tmp_path, text))
    trusted = config.policy.oracles[1]
    assert isinstance(trusted, list) and [t.lower() for t in trusted] == [COMMITTEE_A, ORACLE_A]
    assert 2 not in config.policy.oracles


# ---------------------------------------------------------------- strict files (issue 18, finding 6)

TIMEOUT = "chains[0]: `rpc_timeout` is a number of seconds, above 0 and at most 300"
TOKEN_A, TOKEN_B = "0x" + "c1" * 20, "0x" + "c2" * 20

RELAY = f'''sender_key_env = "T_SENDER"
attester_keys_env = ["T_ATTESTER"]
poll_interval = 1.0

[[chains]]
chain_id = 1
rpc = "http://127.0.0.1:1"
confirmations = 2
oracle = "{COMMITTEE_A}"

[[chains]]
chain_id = 2
rpc = "http://127.0.0.1:2"
'''

SOLVE = f'''key_env = "T_SOLVER"
agent_id = 2
poll_interval = 1.0

[[chains]]
chain_id = 1
rpc = "http://127.0.0.1:1"
oracle = "{COMMITTEE_A}"

[[chains]]
chain_id = 2
rpc = "http://127.0.0.1:2"

[[routes]]
origin_chain = 1
input_token = "{TOKEN_A}"
dest_chain = 2
output_token = "{TOKEN_B}"
'''


def refused(load, tmp_path: Path, text: str) -> str:
    """The one-line message `load` refuses `text` with."""
    with pytest.raises(InvalidInput) as caught:
        load(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message, message
    return message


def test_the_plain_files_load(env, tmp_path: Path) -> None:
    relay = load_relay_config(write(tmp_path, RELAY))
    assert relay.poll_interval == 1.0 and relay.batch == 10 and relay.record_unfilled is True
    assert [(c.chain_id, c.confirmations, c.rpc_timeout, c.min_inputs) for c in relay.chains] == [
        (1, 2, 10.0, None), (2, 2, 10.0, None)]
    solve = load_solver_config(write(tmp_path, SOLVE))
    assert solve.agent_id == 2 and solve.max_pending == 50 and solve.payout is None


@pytest.mark.parametrize(("text", "message"), [
    (RELAY.replace("confirmations = 2", "confirmation = 0"),
     "chains[0]: unknown key `confirmation`; did you mean `confirmations`?"),
    (RELAY.replace("poll_interval", "pol_interval"), "unknown key `pol_interval` at the top level; did you mean "
                                                     "`poll_interval`?"),
    (RELAY.replace("poll_interval = 1.0", "record_unfiled = false"), "did you mean `record_unfilled`?"),
    (BOTH.replace(f'reporter = "{REPORTER_B}"', f'reporterr = "{REPORTER_B}"'),
     "chains[1].hyperlane: unknown key `reporterr`; did you mean `reporter`?"),
    (RELAY.replace("confirmations = 2", "flavour = 1"), "chains[0]: unknown key `flavour` (the keys are chain_id"),
    # a key in the wrong place: TOML puts keys after a table header into that table
    (RELAY.replace("poll_interval = 1.0\n", "") + "poll_interval = 1.0\n",
     "chains[1]: `poll_interval` is a top-level key: write it above the first [[chains]]"),
    (RELAY.replace("poll_interval = 1.0", "confirmations = 2"),
     "`confirmations` is a key of each [[chains]] table, not of the top level"),
    # a key of the other process's file
    (RELAY.replace("poll_interval = 1.0", "agent_id = 2"), "`agent_id` is a key of charter solve's file"),
])
def test_relay_files_refuse_unknown_keys(env, tmp_path: Path, text: str, message: str) -> None:
    assert message in refused(load_relay_config, tmp_path, text)


@pytest.mark.parametrize(("text", "message"), [
    (SOLVE + "max_amout = 5\n", "routes[0]: unknown key `max_amout`; did you mean `max_amount`?"),
    (SOLVE.replace("agent_id = 2", "agentid = 2"), "did you mean `agent_id`?"),
    (SOLVE + "max_pending = 5\n", "routes[0]: `max_pending` is a top-level key"),
    (SOLVE.replace("agent_id = 2", 'sender_key_env = "T_SENDER"'),
     "`sender_key_env` is a key of charter relay's file"),
    (SOLVE.replace("oracle = ", 'min_inputs = {native = 1}\noracle = '), "`min_inputs` is a key of charter relay's"),
])
def test_solver_files_refuse_unknown_keys(env, tmp_path: Path, text: str, message: str) -> None:
    assert message in refused(load_solver_config, tmp_path, text)


@pytest.mark.parametrize("value", ["-1", "0", "0.01", '"1"', "true", "nan", "inf"])
def test_poll_interval_is_seconds_not_a_busy_loop(env, tmp_path: Path, value: str) -> None:
    for load, text in ((load_relay_config, RELAY), (load_solver_config, SOLVE)):
        message = refused(load, tmp_path, text.replace("poll_interval = 1.0", f"poll_interval = {value}"))
        assert "`poll_interval` is a number of seconds, at least 0.05" in message, message


def test_poll_interval_takes_integers_and_small_floats(env, tmp_path: Path) -> None:
    assert load_relay_config(write(tmp_path, RELAY.replace("1.0", "3"))).poll_interval == 3.0
    assert load_solver_config(write(tmp_path, SOLVE.replace("1.0", "0.05"))).poll_interval == 0.05


@pytest.mark.parametrize(("text", "message"), [
    ('sender_key_env = "T_SENDER"\nattester_keys_env = ["T_ATTESTER"]\nchains = [1, 2]\n',
     "`chains` is a list of [[chains]] tables (chain_id, rpc, …), got [1, 2]"),
    ('sender_key_env = "T_SENDER"\nattester_keys_env = ["T_ATTESTER"]\n[chains]\nchain_id = 1\n',
     "`chains` is a list of [[chains]] tables"),
    ('sender_key_env = "T_SENDER"\nattester_keys_env = ["T_ATTESTER"]\n', "list the chains as [[chains]] tables"),
    (RELAY + "[chains.hyperlane]\nmailbox = 5\n", "chains[1].hyperlane: `mailbox` is an address"),
    (RELAY.replace("[[chains]]\nchain_id = 2", "[[chains]]\nhyperlane = 3\nchain_id = 2"),
     "chains[1]: `hyperlane` is a [chains.hyperlane] table"),
])
def test_chains_must_be_tables(env, tmp_path: Path, text: str, message: str) -> None:
    assert message in refused(load_relay_config, tmp_path, text)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("poll_interval = 1.0", 'record_unfilled = "yes"', "`record_unfilled` is true or false, got 'yes'"),
    ("poll_interval = 1.0", "batch = 0", "`batch` is an integer from 1 to 10, got 0"),
    ("poll_interval = 1.0", "batch = 11", "`batch` is an integer from 1 to 10, got 11"),
    ("poll_interval = 1.0", "batch = true", "`batch` is an integer from 1 to 10, got True"),
    ("poll_interval = 1.0", "db = 3", "`db` is the path of an SQLite file"),
    ("confirmations = 2", "confirmations = 1.5", "chains[0]: `confirmations` is an integer ≥ 0, got 1.5"),
    ("confirmations = 2", "start_block = -3", "chains[0]: `start_block` is an integer ≥ 0, got -3"),
    ("chain_id = 1", 'chain_id = "1"', "chains[0]: `chain_id` is an integer ≥ 1, got '1'"),
    ("chain_id = 1", "chain_id = 0", "chains[0]: `chain_id` is an integer ≥ 1, got 0"),
    ("chain_id = 2", "chain_id = 1", "chains[1]: `chain_id` 1 appears twice"),
    ('rpc = "http://127.0.0.1:2"', "rpc = 5", "chains[1]: `rpc` is an http(s) URL, got 5"),
    ('rpc = "http://127.0.0.1:2"', 'rpc = "http://127.0.0.1:1"', "chains[1]: `rpc` is also chains[0]'s"),
    (f'oracle = "{COMMITTEE_A}"', 'oracle = "0x12"', "chains[0]: `oracle`"),
    (f'oracle = "{COMMITTEE_A}"', f'oracle = "0x{"00" * 20}"', "chains[0]: `oracle` is the zero address"),
    (f'oracle = "{COMMITTEE_A}"', f'settler = "0x{"00" * 20}"', "chains[0]: `settler` is the zero address"),
    ('attester_keys_env = ["T_ATTESTER"]', 'attester_keys_env = "T_ATTESTER"',
     "`attester_keys_env` lists the environment variables"),
    ('attester_keys_env = ["T_ATTESTER"]', 'attester_keys_env = ["T_ATTESTER", "T_VALIDATOR"]',
     "`attester_keys_env`: $T_ATTESTER and $T_VALIDATOR hold the same key"),
    ('sender_key_env = "T_SENDER"', "sender_key_env = 1", "`sender_key_env` must name an environment variable"),
    ("confirmations = 2", "rpc_timeout = 0", TIMEOUT),
    ("confirmations = 2", 'rpc_timeout = "5"', TIMEOUT),
    ("confirmations = 2", "rpc_timeout = 3000", TIMEOUT),
    ("confirmations = 2", "min_inputs = 5", "chains[0]: `min_inputs` is a table"),
    ("confirmations = 2", "min_inputs = {}", "chains[0]: `min_inputs` lists no token"),
    ("confirmations = 2", 'min_inputs = {"0x12" = 5}', "chains[0]: `min_inputs`: 0x12 is neither"),
    ("confirmations = 2", "min_inputs = {native = -1}", "chains[0]: `min_inputs`: the minimum of native is an "
                                                        "integer ≥ 0 (base units), got -1"),
    ("confirmations = 2", "min_inputs = {native = 1.5}", "got 1.5"),
    ("confirmations = 2", f'min_inputs = {{native = 1, "0x{"00" * 20}" = 2}}', "native appears twice"),
])
def test_every_relay_key_is_type_checked(env, tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in RELAY
    assert message in refused(load_relay_config, tmp_path, RELAY.replace(old, new, 1))


def test_rpc_timeout_and_min_inputs(env, tmp_path: Path) -> None:
    checksummed = "0x" + "C1" * 20
    text = RELAY.replace("confirmations = 2", f'rpc_timeout = 2.5\nmin_inputs = {{native = 10, "{TOKEN_A}" = 0}}')
    a, b = load_relay_config(write(tmp_path, text)).chains
    assert a.rpc_timeout == 2.5 and b.rpc_timeout == 10.0 and b.min_inputs is None
    assert a.min_inputs == {"0x" + "00" * 20: 10, Web3.to_checksum_address(checksummed): 0}


@pytest.mark.parametrize(("old", "new", "message"), [
    ("agent_id = 2", "agent_id = -1", "`agent_id` is the solver's registered agent (an integer ≥ 1), or 0"),
    ("agent_id = 2", 'agent_id = "2"', "`agent_id` is the solver's registered agent"),
    ("agent_id = 2", "agent_id = true", "`agent_id` is the solver's registered agent"),
    ("agent_id = 2", f'payout = "0x{"00" * 20}"', "`payout` is the zero address"),
    ("agent_id = 2", 'payout = "0x1234"', "`payout`"),
    ("agent_id = 2", "max_pending = 0", "`max_pending` is an integer from 1 to 500, got 0"),
    ("agent_id = 2", "max_pending = 501", "`max_pending` is an integer from 1 to 500, got 501"),
    ("agent_id = 2", "min_reward_bps = -5", "`min_reward_bps` is an integer ≥ 0"),
    ("agent_id = 2", "min_time_left = 1.5", "`min_time_left` is an integer ≥ 0"),
    ("agent_id = 2", 'min_proof_window = "1d"', "`min_proof_window` is an integer ≥ 0"),
    ("agent_id = 2", "min_opener_orders = -1", "`min_opener_orders` is an integer ≥ 0"),
    ("agent_id = 2", 'min_opener_score = "high"', "`min_opener_score` is the least average backed score"),
    ("agent_id = 2", "min_opener_score = true", "`min_opener_score` is the least average backed score"),
    ("agent_id = 2", "min_backing_value = 0.5", "`min_backing_value` is an integer ≥ 0"),
    ("agent_id = 2", "rate_openers = 101", "`rate_openers` is an integer from 0 to 100, got 101"),
    ('key_env = "T_SOLVER"', 'key_env = ["T_SOLVER"]', "`key_env` must name an environment variable"),
    ("dest_chain = 2", "dest_chain = 3", "routes[0]: `dest_chain` 3 is not one of the [[chains]] (1, 2)"),
    (f'input_token = "{TOKEN_A}"', "input_token = 7", "routes[0]: `input_token`"),
    ("output_token", "max_amount = 0\noutput_token", "routes[0]: `max_amount` is an integer ≥ 1"),
    ("[[routes]]", "[routes]", "`routes` is a list of [[routes]] tables"),
])
def test_every_solver_key_is_type_checked(env, tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SOLVE
    assert message in refused(load_solver_config, tmp_path, SOLVE.replace(old, new, 1))


def test_solver_keys_and_native_routes(env, tmp_path: Path) -> None:
    text = SOLVE.replace("agent_id = 2", f'agent_id = 0\nmax_pending = 500\npayout = "{TOKEN_B}"').replace(
        f'input_token = "{TOKEN_A}"', 'input_token = "native"')
    config = load_solver_config(write(tmp_path, text))
    assert config.agent_id == 0 and config.max_pending == 500 and config.payout == Web3.to_checksum_address(TOKEN_B)
    assert config.policy.routes[0].input_token == "0x" + "00" * 20
    assert not config.policy.checks_openers and config.policy.rate_openers is None


def test_solver_trust_keys(env, tmp_path: Path) -> None:
    text = SOLVE.replace("agent_id = 2", "agent_id = 2\nmin_opener_orders = 3\nmin_opener_score = 92.5\n"
                         "min_backing_value = 1000000\nrate_openers = 100")
    policy = load_solver_config(write(tmp_path, text)).policy
    assert (policy.min_opener_orders, policy.min_opener_score, policy.min_backing_value, policy.rate_openers) == (
        3, Decimal("92.5"), 10**6, 100)
    assert policy.checks_openers


# ---------------------------------------------------------------- docs/intents.md documents every key

DOCS = Path(__file__).resolve().parents[2] / "docs" / "intents.md"


def _running_section() -> str:
    text = DOCS.read_text()
    return text[text.index("## Running the relayer, attesters and a solver"):text.index("\n## Costs")]


def test_the_docs_list_every_key_in_a_table() -> None:
    from charter.processes import config

    section = _running_section()
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))
    keys = {*config.RELAY_KEYS, *config.SOLVER_KEYS, *config.RELAY_CHAIN_KEYS, *config.HYPERLANE_KEYS,
            *config.ROUTE_KEYS, *config.AGENT_KEYS} - {"chains", "routes", "hyperlane"}
    assert keys - rows == set()
    assert "### What each process does on each fault" in section


def test_the_docs_example_files_load(env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = re.findall(r"```toml\n(# (relay|solve)\.toml[^\n]*)\n(.*?)```", _running_section(), re.DOTALL)
    assert len(examples) == 4
    for first, kind, body in examples:
        for i, name in enumerate(re.findall(r'"([A-Z][A-Z_0-9]+)"', body)):
            monkeypatch.setenv(name, f"0x{i + 1:064x}")  # a key each
        for i in range(body.count('"0x…"')):
            body = body.replace('"0x…"', f'"0x{i + 1:040x}"', 1)
        for i in range(body.count('"https://…"')):
            body = body.replace('"https://…"', f'"http://127.0.0.1:{i + 1}"', 1)
        text = body
        path = write(tmp_path, text)
        if kind == "solve":
            assert load_solver_config(path).chains
        else:
            assert load_relay_config(path, "hyperlane" if "--oracle hyperlane" in first else "all").chains


# ---------------------------------------------------------------- carrying kills (issue 20, part 3)

AGENTS_B, HL_AGENTS = "0x" + "d1" * 20, "0x" + "d2" * 20
KILLS = f'''sender_key_env = "T_SENDER"
attester_keys_env = ["T_ATTESTER"]
validator_keys_env = ["T_VALIDATOR"]
forward_revocations = true
discover_agents = true

[[chains]]
chain_id = 1
rpc = "http://127.0.0.1:1"
[chains.hyperlane]
mailbox = "{MAILBOX_A}"
agents = "{HL_AGENTS}"

[[chains]]
chain_id = 2
rpc = "http://127.0.0.1:2"
agents_oracle = "{AGENTS_B}"
[chains.hyperlane]
mailbox = "{MAILBOX_B}"
agents = "{HL_AGENTS}"

[[agents]]
home_chain = 1
agent_id = 5
to = [2]
via = ["committee", "hyperlane"]

[[agents]]
home_chain = 1
agent_id = 6
'''


def test_a_file_that_only_carries_kills_loads(env, tmp_path: Path) -> None:
    from charter.processes.propagate import AgentRoute

    config = load_relay_config(write(tmp_path, KILLS))
    assert config.forward_revocations and config.discover_agents and config.oracles == {}
    assert config.agents == [AgentRoute(1, 5, (2,), ("committee", "hyperlane")), AgentRoute(1, 6, (), ("committee",))]
    a, b = config.chains
    assert a.agents_oracle is None and b.agents_oracle == Web3.to_checksum_address(AGENTS_B)
    assert a.hyperlane is not None and a.hyperlane.agents == Web3.to_checksum_address(HL_AGENTS)
    assert config.attester_keys == [KEY] and config.validator_keys == [KEY]
    # each --oracle keeps its own way
    committee = load_relay_config(write(tmp_path, KILLS), "committee")
    assert [a.via for a in committee.agents] == [("committee",), ("committee",)] and committee.validator_keys == []
    hyperlane = load_relay_config(write(tmp_path, KILLS), "hyperlane")
    assert [(a.agent_id, a.via) for a in hyperlane.agents] == [(5, ("hyperlane",))]
    assert hyperlane.chains[1].agents_oracle is None and hyperlane.attester_keys == []


def test_existing_files_carry_nothing_new(env, tmp_path: Path) -> None:
    config = load_relay_config(write(tmp_path, RELAY))
    assert config.agents == [] and not config.forward_revocations and not config.discover_agents
    assert all(c.agents_oracle is None and c.session_manager is None and c.registry is None for c in config.chains)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("agent_id = 6", "agent_id = 0", "agents[1]: `agent_id` is an integer ≥ 1, got 0"),
    ("home_chain = 1\nagent_id = 6", "home_chain = 3\nagent_id = 6", "agents[1]: `home_chain` 3 is not one of"),
    ("to = [2]", "to = [3]", "agents[0]: `to` names chain 3, not one of the [[chains]]"),
    ("to = [2]", "to = 2", "agents[0]: `to` is a list of chain ids"),
    ("to = [2]", "to = [2, 2]", "agents[0]: `to` names a chain twice"),
    ("to = [2]", "to = [1]", "`to` names its home chain 1"),
    ('via = ["committee", "hyperlane"]', 'via = "carrier pigeon"', 'agents[0]: `via` is "committee", "hyperlane"'),
    ('via = ["committee", "hyperlane"]', "via = []", "agents[0]: `via` is"),
    ("agent_id = 6", "agent_id = 6\nvia = \"hyperlane\"\nto = [2]\nfrom = 1", "agents[1]: unknown key `from`"),
    ("agent_id = 6", "agentid = 6", "agents[1]: unknown key `agentid`; did you mean `agent_id`?"),
    (f'agents_oracle = "{AGENTS_B}"\n', "", "chain 2 has no `agents_oracle`"),
    (f'agents_oracle = "{AGENTS_B}"', f'agents_oracle = "0x{"00" * 20}"', "chains[1]: `agents_oracle` is the zero"),
    ("forward_revocations = true", 'forward_revocations = "yes"', "`forward_revocations` is true or false"),
    ("discover_agents = true", "discover_agents = 1", "`discover_agents` is true or false"),
    # a HyperlaneAgents key written above its [chains.hyperlane] header
    ('chain_id = 2\nrpc = "http://127.0.0.1:2"\n',
     f'chain_id = 2\nrpc = "http://127.0.0.1:2"\nagents = "{HL_AGENTS}"\n',
     "chains[1]: `agents` is a key of a chain's [chains.hyperlane] table: write it below"),
])
def test_kill_keys_are_checked(env, tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in KILLS
    assert message in refused(load_relay_config, tmp_path, KILLS.replace(old, new, 1))


def test_a_hyperlane_route_needs_the_same_agents_contract_everywhere(env, tmp_path: Path) -> None:
    text = KILLS.replace(f'mailbox = "{MAILBOX_B}"\nagents = "{HL_AGENTS}"', f'mailbox = "{MAILBOX_B}"\nagents = '
                                                                           f'"{AGENTS_B}"')
    assert "chain 2's HyperlaneAgents is not at the home chain's address" in refused(load_relay_config, tmp_path, text)


# ---------------------------------------------------------------- trust work (issue 21)

REGISTRY_A = "0x" + "e1" * 20


def test_trust_work_is_on_by_default_and_each_part_turns_off(env, tmp_path: Path) -> None:
    config = load_relay_config(write(tmp_path, RELAY))
    assert config.record_receipts and config.answer_validations
    assert all(c.backed_reputation is None and c.validation_registry is None for c in config.chains)
    off = "poll_interval = 1.0\nrecord_receipts = false\nanswer_validations = false"
    named = f'confirmations = 2\nbacked_reputation = "{REGISTRY_A}"\nvalidation_registry = false'
    text = RELAY.replace("poll_interval = 1.0", off).replace("confirmations = 2", named)
    config = load_relay_config(write(tmp_path, text))
    assert not config.record_receipts and not config.answer_validations
    a, b = config.chains
    assert (a.backed_reputation, a.validation_registry) == (Web3.to_checksum_address(REGISTRY_A), False)
    assert (b.backed_reputation, b.validation_registry) == (None, None)
    text = RELAY.replace("confirmations = 2", "confirmations = 2\nbacked_reputation = true")
    assert load_relay_config(write(tmp_path, text)).chains[0].backed_reputation is True  # the suite's, as absent
    # --oracle hyperlane keeps no attester keys: nothing to answer from
    assert not load_relay_config(write(tmp_path, BOTH), "hyperlane").answer_validations
    assert load_relay_config(write(tmp_path, BOTH)).answer_validations


@pytest.mark.parametrize(("old", "new", "message"), [
    ("poll_interval = 1.0", 'record_receipts = "yes"', "`record_receipts` is true or false, got 'yes'"),
    ("poll_interval = 1.0", "answer_validations = 1", "`answer_validations` is true or false, got 1"),
    ("confirmations = 2", 'backed_reputation = "no"',
     "chains[0]: `backed_reputation` is the chain's receipt-backed ReputationRegistry (settled orders' receipts are "
     "recorded there): an address, or false to use none on this chain (leave the key out for the suite's), got 'no'"),
    ("confirmations = 2", "validation_registry = 0",
     "chains[0]: `validation_registry` is the chain's ValidationRegistry (fill requests to the attesters are "
     "answered there): an address, or false"),
    ("confirmations = 2", 'validation_registry = "0x12"', "chains[0]: `validation_registry` is the chain's"),
    ("confirmations = 2", f'backed_reputation = "0x{"00" * 20}"',
     "chains[0]: `backed_reputation` is the zero address: write false to use none on this chain"),
    # misplaced and misspelled
    ("confirmations = 2", "record_receipts = false", "chains[0]: `record_receipts` is a top-level key"),
    ("poll_interval = 1.0", "backed_reputation = false",
     "`backed_reputation` is a key of each [[chains]] table, not of the top level"),
    ("poll_interval = 1.0", "record_receipt = false", "unknown key `record_receipt` at the top level; did you mean "
                                                      "`record_receipts`?"),
    ("confirmations = 2", "validation_regsitry = false", "chains[0]: unknown key `validation_regsitry`; did you "
                                                        "mean `validation_registry`?"),
])
def test_trust_keys_are_checked(env, tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in RELAY
    assert message in refused(load_relay_config, tmp_path, RELAY.replace(old, new, 1))


def test_answering_validations_needs_attester_keys(env, tmp_path: Path) -> None:
    revocations_only = ('sender_key_env = "T_SENDER"\nforward_revocations = true\n\n[[chains]]\nchain_id = 1\n'
                        'rpc = "http://127.0.0.1:1"\n')
    assert not load_relay_config(write(tmp_path, revocations_only)).attester_keys  # no committee: none to answer
    text = revocations_only.replace("forward_revocations = true", "forward_revocations = true\n"
                                    "answer_validations = true")
    assert "`answer_validations` answers from the attester keys" in refused(load_relay_config, tmp_path, text)


def test_a_solver_file_refuses_the_relayers_trust_keys(env, tmp_path: Path) -> None:
    assert "`record_receipts` is a key of charter relay's file" in refused(
        load_solver_config, tmp_path, SOLVE.replace("agent_id = 2", "record_receipts = true"))
    assert "`backed_reputation` is a key of charter relay's" in refused(
        load_solver_config, tmp_path, SOLVE.replace('oracle = ', 'backed_reputation = false\noracle = '))

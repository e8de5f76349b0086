"""Start-up checks against the live chains (issue 18, finding 6): each misconfiguration that used to be silent
(an EOA as oracle, a mistyped chain id, swapped RPCs, attester keys outside the committee, a settler or token
without code, an agent the solver cannot name) is one line naming the key; the right configuration is []."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from eth_account import Account
from web3 import Web3

from charter.devchain import DEV_KEYS
from charter.intents import AttesterOracle, deploy_oracle
from charter.processes.hyperlane import HyperlaneConfig
from charter.processes.preflight import check_relay_chain, check_solver_chain
from charter.processes.relayer import ChainConfig, RelayConfig
from charter.processes.solver import Policy, Route, SolverConfig

from .conftest import CHAIN_A, CHAIN_B, COMMITTEE, World

NOBODY = Account.from_key(b"\x77" * 32).address  # an EOA: no code on either chain
OUTSIDERS = [Account.from_key(bytes([0x61 + i]) * 32) for i in range(2)]


def rotation_signatures(old: AttesterOracle, successor: str, members: list[Any]) -> dict[str, bytes]:
    typed = old.rotation_typed_data(successor)
    return {m.address: bytes(Account.sign_typed_data(m.key, full_message=typed).signature) for m in members}


def relay(world: World, tmp_path: Path, chains: list[ChainConfig] | None = None, **kw: Any) -> RelayConfig:
    kw.setdefault("oracles", {CHAIN_A: world.oracle})
    kw.setdefault("attester_keys", [m.key.hex() for m in COMMITTEE])
    return RelayConfig(chains=chains or world.chains((0, 0)), sender_key=world.relayer_key,
                       db=str(tmp_path / "relay.sqlite"), **kw)


def solve(world: World, tmp_path: Path, chains: list[ChainConfig] | None = None, routes: list[Route] | None = None,
          oracles: dict[int, str | list[str]] | None = None, **kw: Any) -> SolverConfig:
    policy = Policy(routes=routes or [Route(CHAIN_A, world.a.token.address, CHAIN_B, world.b.token.address)],
                    oracles=oracles or {CHAIN_A: [world.oracle, world.route.oracle]})
    kw.setdefault("agent_id", world.filler_agent)
    return SolverConfig(chains=chains or world.chains((0, 0)), key=DEV_KEYS[2], policy=policy,
                        db=str(tmp_path / "solver.sqlite"), **kw)


def relay_problems(world: World, config: RelayConfig) -> list[str]:
    return [p for i, (w3, chain) in enumerate(zip((world.a.w3, world.b.w3), config.chains, strict=True))
            for p in check_relay_chain(w3, chain, config, f"chains[{i}]")]


def solver_problems(world: World, config: SolverConfig) -> list[str]:
    return [p for i, (w3, chain) in enumerate(zip((world.a.w3, world.b.w3), config.chains, strict=True))
            for p in check_solver_chain(w3, chain, config, f"chains[{i}]")]


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    assert "\n" not in problems[0]
    return problems[0]


# ---------------------------------------------------------------- what is right passes


def test_the_right_configurations_pass(world: World, tmp_path: Path) -> None:
    assert relay_problems(world, relay(world, tmp_path)) == []
    hyperlane = world.route.configs()
    chains = [ChainConfig(c.chain_id, c.rpc, hyperlane=hyperlane[c.chain_id], min_inputs={
        "0x" + "00" * 20: 1, world.a.token.address: 10} if c.chain_id == CHAIN_A else None)
        for c in world.chains((0, 0))]
    assert relay_problems(world, relay(world, tmp_path, chains)) == []
    assert solver_problems(world, solve(world, tmp_path)) == []
    # native routes, and no agent at all
    native = [Route(CHAIN_A, "0x" + "00" * 20, CHAIN_B, "0x" + "00" * 20)]
    assert solver_problems(world, solve(world, tmp_path, routes=native, agent_id=0)) == []


def test_an_unreachable_rpc_raises_and_is_no_configuration_problem(world: World, tmp_path: Path) -> None:
    down = Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2},
                                  exception_retry_configuration=None))
    config = relay(world, tmp_path)
    with pytest.raises(requests.exceptions.ConnectionError):
        check_relay_chain(down, config.chains[0], config, "chains[0]")
    with pytest.raises(requests.exceptions.ConnectionError):
        check_solver_chain(down, config.chains[1], solve(world, tmp_path), "chains[1]")


# ---------------------------------------------------------------- the chain


def test_a_chain_id_the_rpc_does_not_answer(world: World, tmp_path: Path) -> None:
    chains = world.chains((0, 0))
    chains[0].chain_id = 99
    config = relay(world, tmp_path, chains, oracles={99: world.oracle})
    problem = only(check_relay_chain(world.a.w3, chains[0], config, "chains[0]"))
    assert problem == (f"chains[0]: `rpc` {chains[0].rpc} answers chain {CHAIN_A}, not `chain_id` 99: swapped or "
                       "mistyped rpc?")


def test_swapped_rpcs(world: World, tmp_path: Path) -> None:
    a, b = world.chains((0, 0))
    a.rpc, b.rpc = b.rpc, a.rpc
    config = relay(world, tmp_path, [a, b])
    problem = only(check_relay_chain(world.b.w3, a, config, "chains[0]"))
    assert f"answers chain {CHAIN_B}, not `chain_id` {CHAIN_A}: swapped or mistyped rpc? (chains[1] is chain " \
           f"{CHAIN_B}: are their `rpc` swapped?)" in problem
    assert "chains[1]: `rpc`" in only(check_solver_chain(world.a.w3, b, solve(world, tmp_path, [a, b]), "chains[1]"))


def test_a_settler_without_code_or_that_is_not_one(world: World, tmp_path: Path) -> None:
    chains = world.chains((0, 0))
    chains[1].settler = NOBODY
    assert only(check_relay_chain(world.b.w3, chains[1], relay(world, tmp_path, chains), "chains[1]")) == (
        f"chains[1]: `settler` {NOBODY} has no code on chain {CHAIN_B}: check the address")
    chains[1].settler = world.b.token.address
    assert f"chains[1]: `settler` {world.b.token.address} on chain {CHAIN_B} is not an IntentSettler" in only(
        check_solver_chain(world.b.w3, chains[1], solve(world, tmp_path, chains), "chains[1]"))


# ---------------------------------------------------------------- the relayer's committee


def test_an_eoa_oracle(world: World, tmp_path: Path) -> None:
    problem = only(relay_problems(world, relay(world, tmp_path, oracles={CHAIN_A: NOBODY})))
    assert problem == (f"chains[0]: `oracle` {NOBODY} has no code on chain {CHAIN_A}: name the chain's "
                       "AttesterOracle (an address without code never has orders)")


@pytest.mark.parametrize("which", ["token", "hyperlane oracle"])
def test_an_oracle_that_is_not_an_attester_oracle(world: World, tmp_path: Path, which: str) -> None:
    address = world.a.token.address if which == "token" else world.route.oracle
    problem = only(relay_problems(world, relay(world, tmp_path, oracles={CHAIN_A: address})))
    assert f"chains[0]: `oracle` {address} on chain {CHAIN_A} is not an AttesterOracle" in problem


def test_attester_keys_that_are_not_members(world: World, tmp_path: Path) -> None:
    keys = [COMMITTEE[0].key.hex(), *(o.key.hex() for o in OUTSIDERS)]
    problem = only(relay_problems(world, relay(world, tmp_path, attester_keys=keys)))
    assert problem == (f"chains[0]: `oracle` {world.oracle} needs 2 signatures and 1 of the 3 attester keys are "
                       f"members of its committee (not members: {OUTSIDERS[0].address}, {OUTSIDERS[1].address}): "
                       "list members' keys in `attester_keys_env`")
    # keys of another committee are fine as long as this one's threshold is met
    assert relay_problems(world, relay(world, tmp_path, attester_keys=[*keys, COMMITTEE[2].key.hex()])) == []


def test_a_handed_over_oracle_is_answered_for_by_its_successor(world: World, tmp_path: Path) -> None:
    old_address = deploy_oracle(world.a.w3, world.deployer, [o.address for o in OUTSIDERS], 2)
    old = AttesterOracle(world.a.w3, old_address, world.deployer)
    outsiders = [o.key.hex() for o in OUTSIDERS]
    assert relay_problems(world, relay(world, tmp_path, oracles={CHAIN_A: old_address}, attester_keys=outsiders)) == []
    new_address = deploy_oracle(world.a.w3, world.deployer, [m.address for m in COMMITTEE], 2,
                                predecessor=old_address)
    old.rotate(new_address, rotation_signatures(old, new_address, OUTSIDERS))
    problem = only(relay_problems(world, relay(world, tmp_path, oracles={CHAIN_A: old_address},
                                               attester_keys=outsiders)))
    assert f"`oracle` {old_address} (handed over to {new_address}) needs 2 signatures and 0 of the 2" in problem
    assert relay_problems(world, relay(world, tmp_path, oracles={CHAIN_A: old_address})) == []


# ---------------------------------------------------------------- Hyperlane and min_inputs


def test_hyperlane_contracts_without_code_or_bound_elsewhere(world: World, tmp_path: Path) -> None:
    route = world.route
    chains = world.chains((0, 0))
    chains[0].hyperlane = HyperlaneConfig(mailbox=NOBODY, oracle=route.oracle)
    chains[1].hyperlane = HyperlaneConfig(mailbox=route.b.mailbox.address, reporter=NOBODY,
                                          merkle_tree_hook=NOBODY)
    a, b = (check_relay_chain(w3, c, relay(world, tmp_path, chains), f"chains[{i}]")
            for i, (w3, c) in enumerate(zip((world.a.w3, world.b.w3), chains, strict=True)))
    assert a == [f"chains[0].hyperlane: `mailbox` {NOBODY} has no code on chain {CHAIN_A}: name the chain's Mailbox",
                 f"chains[0].hyperlane: `oracle` {route.oracle} on chain {CHAIN_A} is bound to the Mailbox "
                 f"{route.a.mailbox.address}, not `mailbox` {NOBODY}: fix one of them"]
    assert [p.split(":")[1] for p in b] == [" `merkle_tree_hook` " + NOBODY + " has no code on chain " + str(CHAIN_B),
                                            " `reporter` " + NOBODY + " has no code on chain " + str(CHAIN_B)]


def test_a_min_inputs_token_without_code(world: World, tmp_path: Path) -> None:
    chains = world.chains((0, 0))
    chains[0].min_inputs = {NOBODY: 5}
    assert only(relay_problems(world, relay(world, tmp_path, chains))) == (
        f"chains[0]: `min_inputs`: token {NOBODY} has no code on chain {CHAIN_A}: no order can escrow it; "
        "check the address")


# ---------------------------------------------------------------- the solver


def test_a_route_token_without_code(world: World, tmp_path: Path) -> None:
    routes = [Route(CHAIN_A, world.a.token.address, CHAIN_B, world.b.token.address),
              Route(CHAIN_A, NOBODY, CHAIN_B, world.b.token.address)]
    assert only(solver_problems(world, solve(world, tmp_path, routes=routes))) == (
        f"chains[0]: routes[1].input_token {NOBODY} has no code on chain {CHAIN_A}: check the token address (or "
        "write \"native\")")
    routes = [Route(CHAIN_A, world.a.token.address, CHAIN_B, NOBODY)]
    assert "chains[1]: routes[0].output_token" in only(solver_problems(world, solve(world, tmp_path, routes=routes)))


def test_a_trusted_oracle_without_code(world: World, tmp_path: Path) -> None:
    problem = only(solver_problems(world, solve(world, tmp_path, oracles={CHAIN_A: [world.oracle, NOBODY]})))
    assert problem.startswith(f"chains[0]: `oracle` {NOBODY} has no code on chain {CHAIN_A}")


def test_an_unregistered_agent(world: World, tmp_path: Path) -> None:
    problem = only(solver_problems(world, solve(world, tmp_path, agent_id=999_999)))
    assert problem.startswith("chains[1]: `agent_id` 999999 is not registered in the AgentRegistry ")
    assert f"on chain {CHAIN_B} (where the solver fills)" in problem


def test_an_agent_the_solver_may_not_name(world: World, tmp_path: Path) -> None:
    theirs = world.b.user.registry.register("ipfs://charter-test/someone-else.json")
    problem = only(solver_problems(world, solve(world, tmp_path, agent_id=theirs)))
    assert f"`agent_id` {theirs} on chain {CHAIN_B} (where the solver fills) belongs to {world.user.address}, and " \
           f"the solver's address {world.filler.address} (`key_env`) is neither" in problem
    paused = world.b.filler.registry.register("ipfs://charter-test/paused.json")
    world.b.filler.registry.pause(paused)
    assert f"`agent_id` {paused} is paused on chain {CHAIN_B}" in only(
        solver_problems(world, solve(world, tmp_path, agent_id=paused)))

"""`ape run intent open|status|fill` and `ape run relay` across two anvils (chain ids 31337 and
31338): open on A, fill on B, the relayer's committee proves the fill and settles on A.
Each command is its own process, attached to its chain through APE_FOUNDRY_HOST."""

from __future__ import annotations

import json

import pytest
from ape_helpers import ape_runner, ok, refused
from eth_account import Account
from web3 import Web3

from charter import Charter, LocalSigner
from charter.devchain import DEV_KEYS, local_anvils
from charter.intents import deploy_oracle

AMOUNT = 10**15


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("intents")
    with local_anvils(31337, 31338) as (a, b):
        deployer = LocalSigner.from_key(DEV_KEYS[0])
        for chain in (a, b):
            Charter.deploy(chain.w3, deployer)
        committee = [Account.create() for _ in range(3)]
        oracle = deploy_oracle(a.w3, deployer, [m.address for m in committee], 2)
        keys = {f"T_ATTESTER_{i}": m.key.hex() for i, m in enumerate(committee)}
        config = tmp / "relay.toml"
        config.write_text(
            f'db = "{tmp / "relay.sqlite"}"\nsender_key_env = "T_RELAYER"\n'
            f"attester_keys_env = {json.dumps(sorted(keys))}\npoll_interval = 0.1\n\n"
            f'[[chains]]\nchain_id = 31337\nrpc = "{a.url}"\nconfirmations = 0\noracle = "{oracle}"\n\n'
            f'[[chains]]\nchain_id = 31338\nrpc = "{b.url}"\nconfirmations = 0\n'
        )
        env = {**keys, "T_RELAYER": DEV_KEYS[3]}
        yield {"a": a, "b": b, "oracle": oracle, "config": config, "tmp": tmp,
               "on_a": ape_runner(a.url, **env), "on_b": ape_runner(b.url, **env)}


def test_open_fill_relay_settle(world):
    a, b, on_a, on_b = world["a"], world["b"], world["on_a"], world["on_b"]
    bob = Web3.to_checksum_address(b.w3.eth.accounts[2])
    payout = Account.create().address
    order_file = world["tmp"] / "order.json"

    opened = ok(on_a("intent", "open", "--input", f"native:{AMOUNT}", "--output", f"native:{AMOUNT}:{bob}",
                     "--dest-chain", "31338", "--oracle", world["oracle"], "--fill-within", "10m",
                     "--out", str(order_file)))
    saved = json.loads(order_file.read_text())
    assert saved["origin_chain_id"] == 31337 and saved["destination_chain_id"] == 31338
    assert f"order {saved['order_id']} by {a.w3.eth.accounts[0]}" in opened
    assert "opened on chain 31337" in opened

    assert "status on chain 31337 (origin): OPEN" in ok(on_a("intent", "status", str(order_file)))
    by_id = json.loads(ok(on_a("intent", "status", saved["order_id"], "--json")).splitlines()[-1])
    assert by_id == {"order_id": saved["order_id"], "chain_id": 31337, "as": "origin", "status": "OPEN"}
    assert "status on chain 31338 (destination): NOT_FILLED" in ok(on_b("intent", "status", str(order_file)))

    before = b.w3.eth.get_balance(bob)
    unchecked = refused(on_b("intent", "fill", str(order_file), "--sender", "TEST::1", "--payout", payout))
    assert "pass --origin-rpc URL" in unchecked and "nothing was sent" in unchecked
    assert b.w3.eth.get_balance(bob) == before
    filled = ok(on_b("intent", "fill", str(order_file), "--sender", "TEST::1", "--payout", payout,
                     "--origin-rpc", a.url))
    assert f"order {saved['order_id']} filled on chain 31338, payout {payout}" in filled
    assert b.w3.eth.get_balance(bob) - before == AMOUNT
    assert "(destination): FILLED" in ok(on_b("intent", "status", str(order_file)))
    assert "(origin): OPEN" in ok(on_a("intent", "status", str(order_file)))  # not proven yet

    relayed = ok(on_a("relay", "--config", str(world["config"]), "--rounds", "6", network=False))
    assert relayed.splitlines()[-1].startswith("relayer:")
    assert "(origin): SETTLED" in ok(on_a("intent", "status", str(order_file)))
    assert a.w3.eth.get_balance(payout) == AMOUNT  # the escrow went to the filler's payout on A

    again = ok(on_a("relay", "--config", str(world["config"]), "--once", "--json", network=False))
    assert json.loads(again.splitlines()[-1])["orders"]


def test_intent_and_relay_refusals(world):
    on_a, on_b, tmp = world["on_a"], world["on_b"], world["tmp"]
    assert "write TOKEN:AMOUNT" in refused(on_a("intent", "open", "--input", "native", "--output", "native:1"))
    assert "not a token address" in refused(on_a("intent", "open", "--input", "0x12:5", "--output", "native:1"))
    assert "must be positive" in refused(on_a("intent", "open", "--input", "native:0", "--output", "native:1"))
    assert "needs an oracle" in refused(on_a("intent", "open", "--input", "native:5", "--output", "native:5",
                                             "--dest-chain", "31338"))
    assert "not a duration" in refused(on_a("intent", "open", "--input", "native:5", "--output", "native:5",
                                            "--fill-within", "soon"))
    assert "neither a file nor an order id" in refused(on_a("intent", "status", "nonsense"))
    assert "no order 0x" in refused(on_a("intent", "status", "0x" + "ab" * 32))
    bad = tmp / "bad-order.json"
    bad.write_text("{}")
    assert "not an order file" in refused(on_b("intent", "fill", str(bad)))

    order_file = tmp / "refused-order.json"
    ok(on_a("intent", "open", "--input", "native:5", "--output", "native:5", "--dest-chain", "31338",
            "--oracle", world["oracle"], "--out", str(order_file)))
    line = refused(on_a("intent", "fill", str(order_file)))  # A is its origin, not its destination
    assert "destined for settler" in line and "chain 31338" in line

    config = str(world["config"])
    assert "does not exist" in refused(on_a("relay", "--config", str(tmp / "none.toml"), "--once", network=False))
    assert "T_RELAYER" in refused(on_a("relay", "--config", config, "--once", network=False,
                                       env_extra={"T_RELAYER": ""}))
    assert "--once or --rounds" in refused(on_a("relay", "--config", config, "--once", "--rounds", "2",
                                                network=False), status=2)

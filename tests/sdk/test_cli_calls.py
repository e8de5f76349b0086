"""`--call TARGET[:SIGNATURE[:ARGS]][:value=WEI]` as the CLI reads it (pure: no node)."""

from __future__ import annotations

import pytest
from eth_abi import decode as abi_decode

from charter import Call
from charter.accounts.spec import parse_call, split_args
from charter.exceptions import InvalidInput
from charter.sessions.builder import GrantBuilder, apply_allow_spec

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def test_split_args_respects_brackets_and_quotes() -> None:
    assert split_args('1,[2,3],(4,[5]),"a,b",x') == ["1", "[2,3]", "(4,[5])", '"a,b"', "x"]
    assert split_args("") == []
    assert split_args("a,") == ["a", ""]
    for bad in ("[1,2", "(1", '"open', "1)"):
        with pytest.raises(InvalidInput):
            split_args(bad)


def test_a_call_is_encoded_as_the_sdk_encodes_it() -> None:
    call = parse_call(f"{TOKEN.lower()}:transfer(address to,uint256 amount):{BOB.lower()},1_000")
    assert call == Call.to(TOKEN, "transfer(address,uint256)", BOB, 1_000)
    assert call.target == TOKEN  # checksummed
    eth = parse_call(f"{BOB}:value=5_000")
    assert eth == Call(target=BOB, value=5_000) and eth.data == b""
    paid = parse_call(f"{TOKEN}:deposit():value=7")
    assert paid.value == 7 and paid.data == Call.to(TOKEN, "deposit()").data


def test_every_argument_kind() -> None:
    call = parse_call(
        f'{TOKEN}:f(uint256[] a,bool b,bytes c,bytes4 d,string e,(address,int8) t,string s):'
        f'[1,0x02],true,0xdead,0x01020304,"x, y",({BOB},-3),plain text'
    )
    types = ["uint256[]", "bool", "bytes", "bytes4", "string", "(address,int8)", "string"]
    assert list(abi_decode(types, call.data[4:])) == [
        (1, 2), True, b"\xde\xad", b"\x01\x02\x03\x04", "x, y", (BOB.lower(), -3), "plain text",
    ]


@pytest.mark.parametrize(("spec", "words"), [
    ("0x12", "not a valid address"),
    (f"{TOKEN}:transfer", "a signature like"),
    (f"{TOKEN}:transfer(address,uint256):{BOB}", "takes 2 argument(s), got 1"),
    (f"{TOKEN}:transfer(address,uint256):{BOB},-1", "cannot encode"),
    (f"{TOKEN}:transfer(address,uint256):{BOB},x", "is not an integer"),
    (f"{TOKEN}:f(bool):yes", "write true or false"),
    (f"{TOKEN}:f(bytes):dead", "0x-hex"),
    (f"{TOKEN}:f(uint256[2]):[1]", "takes 2 items"),
    (f"{TOKEN}:f(uint256[]):1", "write it as [a,b"),
    (f"{TOKEN}:f((uint256,bool)):(1)", "a tuple of 2"),
    (f"{TOKEN}:f(uint256)1", "put a ':'"),
    (f"{TOKEN}:f(uint256:1", "unbalanced"),
])
def test_malformed_calls_are_one_clear_error(spec: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_call(spec)
    assert words in str(info.value), str(info.value)


def test_plain_eth_sends_with_a_most_per_call_in_an_allow_spec() -> None:
    builder = GrantBuilder("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 1, BOB)
    apply_allow_spec(builder, f"{TOKEN}::value<=5000")
    grant = builder.valid_for(hours=1).build(now=1_000)
    (permission,) = grant.permissions
    assert permission.target == TOKEN and permission.selector == b"\x00" * 4 and permission.max_value == 5_000
    with pytest.raises(InvalidInput, match="only a maximum"):
        apply_allow_spec(GrantBuilder("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 1, BOB), f"{TOKEN}::value>=1")

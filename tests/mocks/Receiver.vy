# pragma version 0.4.3
"""
@title ERC-721 receiver (test mock)
@notice `onERC721Received` behaves according to `mode`:
          0 MODE_ACCEPT   records its arguments and accepts;
          1 MODE_WRONG    answers a wrong selector;
          2 MODE_REVERT   reverts;
          3 MODE_PROBE    calls the registry back with every calldata in
                          `probes` (low-level, never reverting), records
                          which calls succeeded, then accepts;
          4 MODE_STRICT   calls `registry.isActive(tokenId)` the ordinary
                          way (a revert propagates), then accepts.
"""

interface IRegistry:
    def isActive(agentId: uint256) -> bool: view

MODE_ACCEPT: constant(uint8) = 0
MODE_WRONG: constant(uint8) = 1
MODE_REVERT: constant(uint8) = 2
MODE_PROBE: constant(uint8) = 3
MODE_STRICT: constant(uint8) = 4

_ON_RECEIVED: constant(bytes4) = method_id(
    "onERC721Received(address,address,uint256,bytes)", output_type=bytes4
)

registry: public(address)
mode: public(uint8)

last_operator: public(address)
last_from: public(address)
last_token_id: public(uint256)
last_data: public(Bytes[1_024])
received: public(uint256)

probes: public(DynArray[Bytes[512], 32])
probe_ok: public(DynArray[bool, 32])
strict_active: public(bool)


@deploy
def __init__(registry: address):
    self.registry = registry


@external
def set_mode(mode: uint8):
    self.mode = mode


@external
def add_probe(calldata: Bytes[512]):
    self.probes.append(calldata)


@external
def probe_results() -> DynArray[bool, 32]:
    return self.probe_ok


@external
def onERC721Received(
    operator: address, sender: address, tokenId: uint256, data: Bytes[1_024]
) -> bytes4:
    if self.mode == MODE_WRONG:
        return 0x12345678
    if self.mode == MODE_REVERT:
        raise "receiver: no"
    if self.mode == MODE_PROBE:
        self.probe_ok = []
        for c: Bytes[512] in self.probes:
            ok: bool = False
            out: Bytes[32] = b""
            ok, out = raw_call(self.registry, c, max_outsize=32, revert_on_failure=False)
            self.probe_ok.append(ok)
    if self.mode == MODE_STRICT:
        self.strict_active = staticcall IRegistry(self.registry).isActive(tokenId)
    self.last_operator = operator
    self.last_from = sender
    self.last_token_id = tokenId
    self.last_data = data
    self.received += 1
    return _ON_RECEIVED

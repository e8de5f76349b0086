# pragma version 0.4.3
"""
@title Reentrant call target and token (test mock)
@notice Once armed with `(victim, payload)`, every call that a session can
        make to it (`poke`, the ERC-20 `transfer` / `approve`, a plain ETH
        transfer) first sends `payload` to `victim` with a low-level CALL,
        then does its own work. It records how many callbacks it tried, the
        last one's success and its return or revert data. In strict mode a
        failed callback makes the whole call revert with the callback's
        revert data. `disarm()` stops the callbacks; `fire()` sends the
        payload at any time (the positive control, outside any session).
"""

victim: public(address)
payload: public(Bytes[4_096])
strict: public(bool)
armed: public(bool)

attempts: public(uint256)
last_ok: public(bool)
last_output: public(Bytes[256])
pokes: public(uint256)

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@external
def arm(victim: address, payload: Bytes[4_096], strict: bool):
    self.victim = victim
    self.payload = payload
    self.strict = strict
    self.armed = True


@external
def disarm():
    self.armed = False


@external
def fire() -> bool:
    return self._fire()


@external
@payable
def poke(a: uint256, b: address, c: uint256) -> uint256:
    self._maybe_fire()
    self.pokes += 1
    return self.pokes


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount


@external
def transfer(to: address, amount: uint256) -> bool:
    self._maybe_fire()
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self._maybe_fire()
    self.allowance[msg.sender][spender] = amount
    return True


@external
@payable
def __default__():
    self._maybe_fire()


@internal
def _maybe_fire():
    if self.armed:
        self._fire()


@internal
def _fire() -> bool:
    ok: bool = False
    out: Bytes[256] = b""
    ok, out = raw_call(self.victim, self.payload, max_outsize=256, revert_on_failure=False)
    self.attempts += 1
    self.last_ok = ok
    self.last_output = out
    if not ok and self.strict:
        raw_revert(out)
    return ok

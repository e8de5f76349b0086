# pragma version 0.4.3
"""
@title ERC-20 that calls back before it moves tokens (test mock)
@notice Once armed with `(victim, payload)`, `transfer` and `transferFrom`
        first send `payload` to `victim` with a low-level CALL and record
        whether it succeeded, then move the tokens as usual.
"""

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
victim: public(address)
payload: public(Bytes[2_048])
attempts: public(uint256)
last_ok: public(bool)


@external
def arm(victim: address, payload: Bytes[2_048]):
    self.victim = victim
    self.payload = payload


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True


@external
def transfer(to: address, amount: uint256) -> bool:
    self._hook()
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self._hook()
    self.allowance[owner][msg.sender] -= amount
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    return True


@internal
def _hook():
    if self.victim == empty(address):
        return
    self.attempts += 1
    self.last_ok = raw_call(self.victim, self.payload, revert_on_failure=False)

# pragma version 0.4.3
"""
@title A contract that asks a HyperlaneReporter for reports and refuses ETH (test mock)
@notice No `__default__`: the reporter cannot send it the excess fee back, so
        it is credited; `withdraw` collects the credit to another address.
"""

interface IReporter:
    def report(originDomain: uint32, orders: DynArray[Bytes[1376], 10]) -> bytes32: payable
    def withdraw(to: address): nonpayable


@external
@payable
def report(reporter: address, originDomain: uint32, orders: DynArray[Bytes[1376], 10]):
    extcall IReporter(reporter).report(originDomain, orders, value=msg.value)


@external
def withdraw(reporter: address, to: address):
    extcall IReporter(reporter).withdraw(to)

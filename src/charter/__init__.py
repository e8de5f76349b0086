"""Charter: bounded authority for autonomous agents on EVM chains."""

__version__ = "0.1.0"

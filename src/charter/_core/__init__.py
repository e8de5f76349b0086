"""Plumbing shared by every layer of the SDK (private: import from :mod:`charter`).

    artifacts    ABI and init code shipped as package data (``charter/abi/*.json``)
    deployments  CREATE2 addresses, idempotent deployment, the manifest per chain id
    signers      who sends transactions and signs EIP-712 messages
    eip712       the domain type, digests and signing of full EIP-712 messages
    abi_types    function signatures parsed into ABI types, selectors and head words
    checks       input checks and the pydantic field types built on them
    revert       revert reasons decoded and mapped to exceptions (the layers' tables)
    tx           simulate, send, wait; the TxResult of a mined transaction
    chain        ChainClient, the base of every layer's client
"""

"""Where the Charter contracts live: CREATE2 addresses, deployment and the manifest.

The implementation is :mod:`charter._core.deployments`; this package holds the
shipped manifest (``manifest.json``, public networks) and the names a user or
a deploy script needs:

    from charter.deployments import create2_address, account_address, Manifest
"""

from .._core.deployments import (
    CONTRACTS,
    CREATE2_DEPLOYER,
    MANIFEST_ENV,
    SALT,
    DeployResult,
    Manifest,
    account_address,
    account_deploy_calldata,
    create2_address,
    deploy_calldata,
    ensure_deployed,
    resolve_address,
)

__all__ = [
    "CONTRACTS",
    "CREATE2_DEPLOYER",
    "MANIFEST_ENV",
    "SALT",
    "DeployResult",
    "Manifest",
    "account_address",
    "account_deploy_calldata",
    "create2_address",
    "deploy_calldata",
    "ensure_deployed",
    "resolve_address",
]

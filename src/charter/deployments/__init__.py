"""Where the Charter contracts live: CREATE2 addresses, deployment and the manifest.

The implementation is :mod:`charter._core.deployments`; this package holds the
shipped manifest (``manifest.json``, public networks) and the names a user or
a deploy script needs:

    from charter.deployments import create2_address, account_address, Manifest
    create2_address("AgentRegistry", evm_version="cancun")   # the address of the cancun build
"""

from .._core.deployments import (
    CONTRACT_OF,
    CONTRACTS,
    CREATE2_DEPLOYER,
    DEFAULT_EVM_VERSION,
    EVM_VERSIONS,
    MANIFEST_ENV,
    SALT,
    DeployResult,
    Manifest,
    PlannedDeployment,
    account_address,
    account_deploy_calldata,
    build_details,
    check_evm_version,
    check_recordable,
    constructor_args,
    contract_init_code,
    create2_address,
    deploy_calldata,
    deployment_code,
    ensure_deployed,
    init_code_hash,
    packaged_manifest_path,
    plan_deployment,
    resolve_address,
)

__all__ = [
    "CONTRACTS",
    "CONTRACT_OF",
    "CREATE2_DEPLOYER",
    "DEFAULT_EVM_VERSION",
    "EVM_VERSIONS",
    "MANIFEST_ENV",
    "SALT",
    "DeployResult",
    "Manifest",
    "PlannedDeployment",
    "account_address",
    "account_deploy_calldata",
    "build_details",
    "check_evm_version",
    "check_recordable",
    "constructor_args",
    "contract_init_code",
    "create2_address",
    "deploy_calldata",
    "deployment_code",
    "ensure_deployed",
    "init_code_hash",
    "packaged_manifest_path",
    "plan_deployment",
    "resolve_address",
]

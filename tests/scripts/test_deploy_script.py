"""`ape run deploy` as a user runs it: dry run, confirmation, per-chain manifest, EVM versions and
the standard-JSON input an explorer verifies from.

Two kinds of chain: a development anvil (chain 31337, `ethereum:local:foundry` through
APE_FOUNDRY_HOST), and a stand-in for Sepolia: an anvil with chain id 11155111 reached as
`ethereum:sepolia:node` from a scratch ape project whose ape-config.yaml points that network's
URI at it (and sets `charter: evm_versions:`). The script is the repository's, linked into
the scratch project's scripts/; a manifest is always named, so the packaged one is never written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ape_helpers import ROOT, ape_env, ok, refused
from eth_account import Account
from eth_utils import keccak
from web3 import Web3

from charter.deployments import (
    CONTRACT_OF,
    CONTRACTS,
    EVM_VERSIONS,
    constructor_args,
    contract_init_code,
    create2_address,
    deployment_code,
    init_code_hash,
)
from charter.devchain import DEV_KEYS, LocalChain, local_anvil

APE = str(Path(sys.executable).parent / "ape")
VYPER_JSON = str(Path(sys.executable).parent / "vyper-json")
SEPOLIA = 11155111
Run = Callable[..., subprocess.CompletedProcess[str]]


DEPLOYER = Account.from_key(DEV_KEYS[0]).address  # ape's test account 0
PACKAGED_MANIFEST = ROOT / "src" / "charter" / "deployments" / "manifest.json"


@pytest.fixture(scope="module", autouse=True)
def packaged_manifest_untouched() -> Iterator[None]:
    before = PACKAGED_MANIFEST.read_text()
    yield
    after = PACKAGED_MANIFEST.read_text()
    if after != before:
        PACKAGED_MANIFEST.write_text(before)  # put it back, then fail
    assert after == before, "a test run wrote the packaged manifest"


def _state(w3: Web3, evm_version: str | None = None) -> tuple[int, int, list[bytes]]:
    """Nonce of the deployer (test account 0), block number, code at every suite address."""
    codes = [bytes(w3.eth.get_code(create2_address(n, evm_version=evm_version))) for n in CONTRACTS]
    return w3.eth.get_transaction_count(DEPLOYER), w3.eth.block_number, codes


def _runner(cwd: Path, network: str, env: dict[str, str]) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [APE, "run", "deploy", *args, "--network", network], check=False, cwd=cwd, env=env,
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
        )

    return run


def _clean_env(url: str, manifest: Path) -> dict[str, str]:
    env = ape_env(url, CHARTER_MANIFEST=str(manifest))
    env.pop("ETHERSCAN_API_KEY", None)
    return env


def _sepolia_project(root: Path, url: str, evm_versions: dict[str, str]) -> Path:
    """A scratch ape project whose `ethereum:sepolia:node` is the anvil at `url`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "scripts").mkdir(exist_ok=True)
    link = root / "scripts" / "deploy.py"
    if not link.exists():
        link.symlink_to(ROOT / "scripts" / "deploy.py")
    lines = [
        "name: charter-deploy-test",
        "node:", "  ethereum:", "    sepolia:", f"      uri: {url}",
        "ethereum:", "  sepolia:", "    required_confirmations: 0",  # anvil mines one block per transaction
        "charter:", "  evm_versions:",
        *(f'    "{key}": {value}' for key, value in evm_versions.items()),
    ]
    (root / "ape-config.yaml").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="module")
def dev() -> Iterator[LocalChain]:
    with local_anvil() as chain:
        yield chain


@pytest.fixture(scope="module")
def dev_run(dev: LocalChain, tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("dev")
    return _runner(ROOT, "ethereum:local:foundry", _clean_env(dev.url, base / "manifest.json"))


def test_dry_run_prints_the_plan_and_sends_nothing(dev: LocalChain, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    run = _runner(ROOT, "ethereum:local:foundry", _clean_env(dev.url, manifest))
    before = _state(dev.w3)
    assert not any(before[2]), "the suite must not be on the fresh chain yet"
    out = ok(run("--dry-run", "--verify-dir", str(tmp_path / "verify")))
    for name in CONTRACTS:
        (row,) = [line for line in out.splitlines() if line.strip().startswith(f"{name}:")]
        assert create2_address(name) in row and "to deploy" in row
        assert init_code_hash(name).to_0x_hex() in row and "evm prague" in row
        assert "estimated gas" in row
    registry_row = next(line for line in out.splitlines() if line.strip().startswith("AgentRegistry:"))
    assert "n/a" not in registry_row  # no dependency: the node estimates it
    assert "its constructor reads SessionManager" in out  # SessionView reads the manager at construction
    assert f"would deploy {len(CONTRACTS)} of {len(CONTRACTS)}" in out and "nothing sent" in out
    assert _state(dev.w3) == before
    assert not manifest.exists() and not (tmp_path / "verify").exists()


def test_deploy_records_build_per_chain_then_is_a_no_op(dev: LocalChain, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    verify = tmp_path / "verify"
    run = _runner(ROOT, "ethereum:local:foundry", _clean_env(dev.url, manifest))
    out = ok(run("--verify-dir", str(verify)))
    assert "evm version prague (default)" in out
    recorded = json.loads(manifest.read_text())["chains"][str(dev.chain_id)]
    for name in CONTRACTS:
        entry = recorded[name]
        address = create2_address(name)
        assert entry["address"] == address and f"{name}: deployed at {address}" in out
        assert entry["evm_version"] == "prague" and entry["compiler"] == "vyper-0.4.3"
        assert entry["init_code_hash"] == "0x" + keccak(bytes(deployment_code(name))).hex()
        receipt = dev.w3.eth.get_transaction_receipt(entry["transaction"])
        assert receipt["status"] == 1 and receipt["blockNumber"] == entry["block"]
        assert len(dev.w3.eth.get_code(address)) > 0
    index = json.loads((verify / "verify.json").read_text())
    assert index["chain_id"] == dev.chain_id and set(index["contracts"]) == set(CONTRACTS)

    before = _state(dev.w3)
    again = ok(run())
    assert f"0 deployed, {len(CONTRACTS)} already there" in again
    assert "verification input" not in again  # a development chain: only into a named --verify-dir
    assert _state(dev.w3) == before
    assert json.loads(manifest.read_text())["chains"][str(dev.chain_id)] == recorded  # block/tx kept


def _compile(standard_json: Path, workdir: Path) -> dict[str, str]:
    """source id -> init code, compiled by vyper-json from `standard_json` alone (an empty directory)."""
    out = subprocess.run([VYPER_JSON, str(standard_json)], cwd=workdir, check=True, capture_output=True,
                         text=True, timeout=300).stdout
    result = json.loads(out)
    assert not [e for e in result.get("errors", []) if e.get("severity") == "error"], result["errors"]
    return {f"{src}:{name}": "0x" + body["evm"]["bytecode"]["object"].removeprefix("0x")
            for src, contracts in result["contracts"].items() for name, body in contracts.items()}


def _check_verification_input(verify: Path, evm_version: str, names: tuple[str, ...], workdir: Path) -> None:
    index = json.loads((verify / "verify.json").read_text())["contracts"]
    for name in names:
        entry = index[name]
        assert entry["evm_version"] == evm_version and entry["compiler"] == "vyper:0.4.3"
        standard = json.loads((verify / entry["standard_json"]).read_text())
        assert standard["settings"]["evmVersion"] == evm_version
        assert not any(key.startswith(("/", ".venv")) for key in standard["sources"])  # portable source ids
        args = (verify / f"{name}.constructor-args.txt").read_text().strip()
        assert args == entry["constructor_args"] == constructor_args(name, evm_version).hex()
        compiled = _compile(verify / entry["standard_json"], workdir)[entry["contract"]]
        assert compiled == contract_init_code(CONTRACT_OF[name], evm_version).to_0x_hex()
        # what the explorer recomputes: compiled code + constructor arguments is what went on chain
        assert keccak(bytes.fromhex(compiled[2:] + args)) == init_code_hash(name, evm_version)


def test_standard_json_compiles_to_the_shipped_bytecode(dev: LocalChain, tmp_path: Path) -> None:
    verify = tmp_path / "verify"
    run = _runner(ROOT, "ethereum:local:foundry", _clean_env(dev.url, tmp_path / "manifest.json"))
    ok(run("--verify-dir", str(verify)))  # already deployed: records and writes the input
    session_manager = json.loads((verify / "SessionManager.json").read_text())
    assert any(key.startswith("snekmate/") for key in session_manager["sources"])
    assert any(key.startswith("contracts/modules/") for key in session_manager["sources"])
    workdir = tmp_path / "empty"
    workdir.mkdir()
    # every distinct contract of the suite (AccountDelegate is an AgentAccount)
    _check_verification_input(verify, "prague", ("AgentRegistry", "SessionManager", "SessionView",
                                                 "AccountDelegate", "IntentView", "IntentSettler",
                                                 "ReputationRegistry", "ValidationRegistry"), workdir)


def test_bad_evm_version_is_refused_in_one_line(dev: LocalChain, dev_run: Run) -> None:
    before = _state(dev.w3)
    line = refused(dev_run("--evm-version", "shanghai"))
    assert "unknown EVM version 'shanghai'" in line and "cancun, prague" in line
    assert _state(dev.w3) == before


@pytest.fixture()
def sepolia(tmp_path: Path) -> Iterator[tuple[LocalChain, Path]]:
    """A fresh anvil with Sepolia's chain id and a scratch project that reaches it as ethereum:sepolia:node
    (configured to build for cancun)."""
    with local_anvil(chain_id=SEPOLIA) as chain:
        yield chain, _sepolia_project(tmp_path / "project", chain.url, {"ethereum:sepolia": "cancun"})


def test_real_network_without_yes_or_terminal_is_refused(sepolia: tuple[LocalChain, Path], tmp_path: Path) -> None:
    chain, project = sepolia
    manifest = tmp_path / "manifest.json"
    run = _runner(project, "ethereum:sepolia:node", _clean_env(chain.url, manifest))
    before = _state(chain.w3, "cancun")
    line = refused(run("--sender", "TEST::0"))
    assert f"not deploying to chain {SEPOLIA} without confirmation" in line and "--yes" in line
    assert _state(chain.w3, "cancun") == before and not manifest.exists()

    no_sender = refused(run())
    assert "--sender" in no_sender
    # a dry run needs neither a sender nor a terminal
    out = ok(run("--dry-run"))
    assert "deployer (none: dry run)" in out and create2_address("AgentRegistry", evm_version="cancun") in out
    assert _state(chain.w3, "cancun") == before


def test_configured_cancun_build_deploys_at_its_address_and_is_recorded(
    sepolia: tuple[LocalChain, Path], tmp_path: Path
) -> None:
    chain, project = sepolia
    manifest = tmp_path / "manifest.json"
    verify = tmp_path / "verify"
    run = _runner(project, "ethereum:sepolia:node", _clean_env(chain.url, manifest))
    out = ok(run("--sender", "TEST::0", "--yes", "--verify-dir", str(verify)))
    assert "evm version cancun (ape-config.yaml charter.evm_versions['ethereum:sepolia'])" in out
    recorded = json.loads(manifest.read_text())["chains"][str(SEPOLIA)]
    for name in CONTRACTS:
        address = create2_address(name, evm_version="cancun")
        entry = recorded[name]
        assert entry["address"] == address and entry["evm_version"] == "cancun"
        assert entry["init_code_hash"] == init_code_hash(name, "cancun").to_0x_hex()
        assert len(chain.w3.eth.get_code(address)) > 0
        prague = create2_address(name, evm_version="prague")
        if prague != address:  # a build that differs has its own address: the prague one stays empty
            assert len(chain.w3.eth.get_code(prague)) == 0
    # explorer verification: without ape-etherscan (or its key) the script says what to install or set
    import importlib.util

    reason = ("ape-etherscan plugin is not installed" if importlib.util.find_spec("ape_etherscan") is None
              else "$ETHERSCAN_API_KEY is not set")
    assert f"explorer verification skipped: the {reason}" in out or f"explorer verification skipped: {reason}" in out
    workdir = tmp_path / "empty"
    workdir.mkdir()
    _check_verification_input(verify, "cancun", ("SessionView",), workdir)

    # --evm-version overrides the configuration; with identical builds the suite is already there
    again = ok(run("--sender", "TEST::0", "--evm-version", "prague", "--no-verify"))
    assert "evm version prague (--evm-version)" in again
    identical = all(create2_address(n, evm_version="prague") == create2_address(n, evm_version="cancun")
                    for n in CONTRACTS)
    if identical:
        assert f"0 deployed, {len(CONTRACTS)} already there" in again
        # the chain keeps the record of the build it got
        assert json.loads(manifest.read_text())["chains"][str(SEPOLIA)] == recorded


def test_bad_configured_evm_version_is_refused_in_one_line(tmp_path: Path) -> None:
    with local_anvil(chain_id=SEPOLIA) as chain:
        project = _sepolia_project(tmp_path / "project", chain.url, {"ethereum:sepolia": "london"})
        run = _runner(project, "ethereum:sepolia:node", _clean_env(chain.url, tmp_path / "m.json"))
        line = refused(run("--dry-run"))
    assert "charter.evm_versions.ethereum:sepolia is 'london'" in line
    assert all(v in line for v in EVM_VERSIONS)


def test_named_keyfile_account_deploys_with_yes_and_its_passphrase(
    sepolia: tuple[LocalChain, Path], tmp_path: Path
) -> None:
    """CI: an ape keyfile account (named with --sender) signs without a terminal when --yes is
    given and $APE_ACCOUNTS_<ALIAS>_PASSPHRASE is set; without --yes it is refused first."""
    chain, project = sepolia
    deployer = Account.create()
    data = tmp_path / "ape-data"
    (data / "accounts").mkdir(parents=True)
    (data / "accounts" / "deployer.json").write_text(json.dumps(Account.encrypt(deployer.key, "s3cret")))
    chain.w3.provider.make_request("anvil_setBalance", [deployer.address, hex(10**19)])  # type: ignore[operator]
    manifest = tmp_path / "manifest.json"
    env = {**_clean_env(chain.url, manifest), "APE_DATA_FOLDER": str(data),
           "APE_ACCOUNTS_deployer_PASSPHRASE": "s3cret"}
    run = _runner(project, "ethereum:sepolia:node", env)

    line = refused(run("--sender", "deployer"))
    assert "without confirmation" in line
    assert chain.w3.eth.get_transaction_count(deployer.address) == 0

    out = ok(run("--sender", "deployer", "--yes", "--no-verify"))
    assert f"deployer {deployer.address}" in out and f"{len(CONTRACTS)} deployed" in out
    assert chain.w3.eth.get_transaction_count(deployer.address) == len(CONTRACTS)
    recorded = json.loads(manifest.read_text())["chains"][str(SEPOLIA)]
    assert {recorded[n]["address"] for n in CONTRACTS} == {create2_address(n, evm_version="cancun") for n in CONTRACTS}
    for name in CONTRACTS:
        tx = chain.w3.eth.get_transaction(recorded[name]["transaction"])
        assert tx["from"] == deployer.address

    unknown = refused(run("--sender", "nobody", "--yes"))
    assert "no ape account is named 'nobody'" in unknown


def test_a_development_node_posing_as_sepolia_never_writes_the_packaged_manifest(
    sepolia: tuple[LocalChain, Path]
) -> None:
    """No manifest named on a real network means the packaged one; the node is an anvil (a
    development node, as a fork is), so the deployment is refused before anything is sent."""
    chain, project = sepolia
    env = {k: v for k, v in _clean_env(chain.url, Path("unused")).items() if k != "CHARTER_MANIFEST"}
    run = _runner(project, "ethereum:sepolia:node", env)
    before = _state(chain.w3, "cancun")
    line = refused(run("--sender", "TEST::0", "--yes"))
    assert "not recording chain 11155111 in the packaged manifest" in line
    assert _state(chain.w3, "cancun") == before

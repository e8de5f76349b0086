"""Charter in `ape console`: the SDK bound to ape's provider, and the suite's clients.

    ape console --network ethereum:local:foundry

puts in scope (see docs/ape.md):

* ``charter``: a :class:`charter.Charter` on ape's connected provider, sending
  as ``sender``; on a development chain the suite is deployed first if it is
  missing (CREATE2, idempotent: the same addresses as ``ape run deploy``);
* ``registry``, ``sessions``, ``accounts``, ``settler``: its clients (the
  AgentRegistry, the SessionManager, Charter accounts, the IntentSettler).
  ``accounts`` is the SDK's accounts client: ape's account manager is
  ``ape_accounts`` (``ape_accounts.test_accounts[1]``, ``ape_accounts.load("alice")``);
* ``sender``: the ape account that signs: ``$CHARTER_SENDER`` (an alias, or
  ``TEST::N``), else test account 0 on development chains; on a real network
  without ``$CHARTER_SENDER`` the clients are read-only;
* ``connect(account)``: another :class:`charter.Charter`, sending as that ape account;
* ``Call``, ``Input``, ``Output``, ``FillRecord``, ``MetadataEntry``, ``NATIVE``,
  ``LocalSigner``: what the SDK's calls take.

Any ape account is a signer wherever the SDK takes one (``key=``,
``signer=``, ``principal=``, ``accounts.upgrade(...)``).
"""


def ape_init_extras() -> dict[str, object]:
    """The names above (ape calls this when the console starts)."""
    import os

    from ape import accounts as ape_accounts
    from ape import networks

    from charter import Call, LocalSigner, MetadataEntry
    from charter.ape_extras import ApeSigner, connect, is_local, resolve_account, web3
    from charter.deployments import MANIFEST_ENV, Manifest, ensure_deployed
    from charter.exceptions import CharterError, NotDeployed
    from charter.intents import NATIVE, FillRecord, Input, Output

    scope: dict[str, object] = {
        "ape_accounts": ape_accounts, "connect": connect, "Call": Call, "Input": Input, "Output": Output,
        "FillRecord": FillRecord, "MetadataEntry": MetadataEntry, "NATIVE": NATIVE, "LocalSigner": LocalSigner,
    }
    if networks.active_provider is None:
        print("charter: not connected; start the console with --network")
        return scope
    try:
        alias = os.environ.get("CHARTER_SENDER") or None
        sender = resolve_account(alias) if (alias or is_local()) else None
        try:
            charter = connect(sender)
        except NotDeployed:
            if not is_local() or sender is None:
                raise
            path = os.environ.get(MANIFEST_ENV)
            results = ensure_deployed(web3(), ApeSigner(sender), manifest=Manifest.load(path) if path else None)
            print(f"charter: deployed the suite on this development chain ({sum(r.deployed for r in results)} "
                  "contracts)")
            charter = connect(sender)
    except CharterError as exc:
        print(f"charter: {exc}")
        return scope
    scope.update(
        charter=charter, sender=sender, registry=charter.registry, sessions=charter.sessions,
        accounts=charter.accounts, settler=charter.intents,
    )
    return scope

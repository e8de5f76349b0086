"""Grant an agent's session key a scoped, expiring session.

    ape run grant --network ethereum:local:foundry --agent 1 --key 0xSessionKey \
        --allow '0xToken:transfer(address to,uint256 amount):to=0xBob,amount<=100' \
        --token-budget 0xToken:100/1d --valid-for 1h --out grant.json

Signed off-chain by the sending ape account (no transaction; the agent
presents it on first use), or issued on-chain with --on-chain. The sender is
--sender ALIAS (test account 0 on local chains); the granting account is
--account ADDRESS (a deployed AgentAccount the sender owns) or, by default,
the sender itself (an EOA upgraded with EIP-7702), as in `charter grant`.
The agent must consent to the key unless the key is its wallet or the
account is its owner or wallet: --agent-sender ALIAS signs the consent with
that ape account, or --agent-consent SIG presents a signature made elsewhere.
Specs are the same as `charter grant` (--guard TOKEN, --watch TOKEN included):
a grant whose allowed targets hold a standing allowance from the account over
a token it neither budgets nor guards is refused, as there. A thin wrapper
over ``charter.Sessions``.

--chains ID[=URL],... signs one grant for several chains at once (a
multi-chain grant, as `charter grant create --chains`): ape's network is one
of them, the others' RPC URLs come from the list or from $CHARTER_RPC_<ID>.
Only signatures are made, so ape's one network is enough; each entry is
activated on its first use on its chain.

    CHARTER_RPC_8453=https://... ape run grant --network ethereum:local:foundry \
        --chains 31337,8453 --agent 1 --key 0xSessionKey --allow '0xBob::value<=1000' --valid-for 1h --out grant.json
"""

from __future__ import annotations

import json

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import (
    ApeSigner,
    account_option,
    clean_errors,
    connect,
    connect_chains,
    manifest_option,
    resolve_account,
    sender_option,
)
from charter.exceptions import InvalidInput
from charter.sessions import prepare_on_chains, sign_multi_chain
from charter.sessions.builder import builder_from_specs


@click.command(cls=ConnectedProviderCommand, short_help="Grant a session key a scoped, expiring session")
@network_option()
@sender_option
@account_option
@click.option("--agent", "agent_id", type=int, required=True, help="the agent the key acts for")
@click.option("--key", "session_key", required=True, help="the session key's address")
@click.option(
    "--allow",
    "allows",
    multiple=True,
    required=True,
    metavar="TARGET[:SIG[:CONDITIONS]]",
    help="allowed call (repeatable)",
)
@click.option("--token-budget", "budgets", multiple=True, metavar="TOKEN:CAP[/PERIOD]", help="token cap (repeatable)")
@click.option("--guard", "guards", multiple=True, metavar="TOKEN",
              help="TOKEN may not leave the account during session executions (repeatable)")
@click.option("--watch", "watches", multiple=True, metavar="TOKEN",
              help="also check TOKEN for standing allowances to the allowed targets (repeatable)")
@click.option("--native-budget", type=int, default=0, help="total wei")
@click.option("--max-calls", type=int, default=0, help="at most N calls")
@click.option("--min-interval", default=None, help="minimum time between calls (e.g. 10m)")
@click.option("--valid-for", required=True, help="validity from now (e.g. 1h)")
@click.option("--force-execute-like", is_flag=True, help="allow execute-like functions (multicall, executeCall, ...)")
@click.option("--agent-consent", metavar="SIG", help="the agent owner's or wallet's signature of the grant (0x-hex)")
@click.option("--agent-sender", metavar="ALIAS", help="an ape account of the agent's owner or wallet: it consents here")
@click.option("--on-chain", is_flag=True, help="issue on-chain instead of signing off-chain")
@click.option("--chains", metavar="ID[=URL],...",
              help="sign one grant for these chains at once (ape's network and others' URLs or $CHARTER_RPC_<ID>)")
@click.option("--out", type=click.Path(dir_okay=False), help="write the signed grant (JSON) here")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@manifest_option
@clean_errors
def cli(
    alias: str | None, account_address: str | None, agent_id: int, session_key: str, allows: tuple[str, ...],
    budgets: tuple[str, ...], guards: tuple[str, ...], watches: tuple[str, ...], native_budget: int,
    max_calls: int, min_interval: str | None, valid_for: str, force_execute_like: bool, agent_consent: str | None,
    agent_sender: str | None, on_chain: bool, chains: str | None, out: str | None, as_json: bool,
    manifest: str | None,
) -> None:
    sender = resolve_account(alias)
    charter = connect(sender, manifest)
    sessions = charter.sessions
    builder = builder_from_specs(
        account_address or charter.signer.address, agent_id, session_key, allows, valid_for, budgets,
        native_budget, max_calls, min_interval, allow_execute_like=force_execute_like, guards=guards,
    )
    consent = ApeSigner(resolve_account(agent_sender)) if agent_sender else agent_consent
    if chains is not None:
        if on_chain:
            raise InvalidInput("--chains signs off-chain for several chains; --on-chain issues on one: drop one")
        clients = [c.sessions for c in connect_chains(chains, sender, manifest)]
        multi = sign_multi_chain(prepare_on_chains(builder, clients), ApeSigner(sender), agent_consent=consent,
                                 watch=watches)
        if out:
            multi.save(out)
        click.echo(json.dumps(multi.summary(), indent=2) if as_json else "\n".join(multi.report()))
        if not as_json:
            click.echo(f"signed once off-chain for chains {', '.join(map(str, multi.chain_ids))} (no transaction)")
        return
    signed, tx = sessions.grant(builder, on_chain=on_chain, agent_consent=consent, watch=watches)
    if out:
        signed.save(out)
    if as_json:
        click.echo(json.dumps(signed.summary(tx), indent=2))
        return
    click.echo("\n".join(signed.report()))
    click.echo(f"issued on-chain in {tx.tx_hash}" if tx else "signed off-chain (no transaction)")

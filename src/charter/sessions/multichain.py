"""One signature, many chains: an account signs grants on several chains at once.

    on_a, on_b = Charter.connect(w3_a, signer=principal), Charter.connect(w3_b, signer=principal)
    builder = on_a.sessions.builder(account, agent_id, key).allow(...).valid_for(hours=1)
    multi = sign_multi_chain(prepare_on_chains(builder, [on_a.sessions, on_b.sessions]), principal)
    multi.save("grant.json")                                  # every entry, one signature
    on_b.sessions.execute(multi.entry(on_b.sessions.chain_id), call, key=agent_key)  # activates, then calls

Each entry is the grant of one chain (its own window, epoch, budgets and
token addresses) bound to that chain's id; the account signs the list of
their hashes once (:class:`~charter.sessions.models.MultiChainGrant`). Only
accounts that sign with their own key can: an EOA or an EIP-7702 account. A
deployed Charter account's ERC-1271 binds each signature to one chain, so its
owner signs one grant per chain (:meth:`Sessions.sign`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from web3 import Web3

from .._core.deployments import ZERO_ADDRESS
from .._core.eip712 import recover_signer, sign_typed
from .._core.signers import Signer, SignerLike, as_signer
from ..accounts.models import AccountKind
from ..exceptions import AgentConsentMissing, InvalidInput
from .builder import GrantBuilder, ensure_grant
from .client import NotYetACharterAccountWarning, Sessions, _consenters, _implied, consent_given
from .models import MAX_CHAINS, ChainGrant, Grant, MultiChainGrant

Entries = Sequence[tuple[Sessions, Grant]]
"""A multi-chain grant's entries before signing: each chain's client and its prepared grant."""


def prepare_on_chains(builder: GrantBuilder, clients: Iterable[Sessions]) -> list[tuple[Sessions, Grant]]:
    """The same grant prepared on each chain (:meth:`Sessions.prepare`: each chain's time,
    the account's epoch and the agent's generation there): the entries for
    :func:`sign_multi_chain`. The builder's addresses (targets, tokens) must be the
    same on every chain; when they differ, prepare one builder per chain instead."""
    return [(sessions, sessions.prepare(builder)) for sessions in clients]


def sign_multi_chain(
    entries: Entries,
    principal: SignerLike | None = None,
    *,
    agent_consent: bytes | str | SignerLike | None = None,
    watch: Iterable[str] = (),
) -> MultiChainGrant:
    """The account's one signature of grants on several chains (costs nothing; each chain's
    entry is activated on its first use there).

    `entries` pairs each chain's :class:`Sessions` (one per chain, 2 to 16 chains, the
    same SessionManager address on each) with the grant prepared there, all for one
    account. Each entry is checked as :meth:`Sessions.sign` checks a grant, on its
    chain (standing allowances, with the tokens in `watch`; the agent known, not
    retired, at the grant's generation; its consent), before anything is signed. The
    account must sign with its own key (an EOA or EIP-7702 account): a deployed
    Charter account is refused, its signatures being bound to one chain.

    The agent's consent, when not implied on a chain, is its owner's or wallet's
    signature of the same multi-chain digest: pass that signer (or the signature,
    :func:`consent_multi_chain`) as `agent_consent`.
    """
    pairs = _checked_pairs(entries)
    signer = pairs[0][0]._signer(principal, "sign a multi-chain grant")
    watched = list(watch)
    for sessions, grant in pairs:
        _check_entry(sessions, grant, signer, watched)
    unsigned = MultiChainGrant(
        entries=tuple(ChainGrant(grant=g, chain_id=s.chain_id, manager=s.address) for s, g in pairs)
    )
    consent = _consent(pairs, unsigned, agent_consent, signer)
    signature = sign_typed(signer, unsigned.typed_data())
    return MultiChainGrant(entries=unsigned.entries, signature=signature, agent_consent=consent)


def consent_multi_chain(entries: MultiChainGrant | Entries, agent: SignerLike) -> bytes:
    """The agent's consent to a multi-chain grant's session keys: its owner's or wallet's
    signature of the multi-chain digest (the same one the account signs). The principal
    passes it to :func:`sign_multi_chain` as `agent_consent`.

    Given the entries (each chain's :class:`Sessions` and grant), `agent` is checked to be
    the agent's owner or wallet on every chain where consent is not implied; given an
    (unsigned) :class:`MultiChainGrant`, it signs without a node."""
    signer = as_signer(agent)
    if isinstance(entries, MultiChainGrant):
        return sign_typed(signer, entries.typed_data())
    pairs = _checked_pairs(entries)
    unsigned = MultiChainGrant(
        entries=tuple(ChainGrant(grant=g, chain_id=s.chain_id, manager=s.address) for s, g in pairs)
    )
    for sessions, grant in pairs:
        owner, wallet = sessions.agent_signers(grant.agent_id)
        if not _implied(grant, owner, wallet) and signer.address not in (owner, wallet):
            raise InvalidInput(
                f"{signer.address} cannot consent for agent {grant.agent_id} on chain {sessions.chain_id}: only its "
                f"{_consenters(owner, wallet)} can there; sign with one of them"
            )
    return sign_typed(signer, unsigned.typed_data())


# ---------------------------------------------------------------- checks


def _checked_pairs(entries: Any) -> list[tuple[Sessions, Grant]]:
    """The entries as (client, grant) pairs, refused unless they can make one multi-chain grant."""
    try:
        pairs = [(sessions, grant) for sessions, grant in entries]
    except (TypeError, ValueError):
        raise InvalidInput(
            "a multi-chain grant's entries are (Sessions, Grant) pairs: each chain's client and the grant "
            "prepared there (prepare_on_chains(builder, clients))"
        ) from None
    for sessions, _ in pairs:
        if not isinstance(sessions, Sessions):
            raise InvalidInput(f"each entry starts with its chain's Sessions client, got {type(sessions).__name__}")
    pairs = [(sessions, ensure_grant(grant)) for sessions, grant in pairs]
    if not 2 <= len(pairs) <= MAX_CHAINS:
        raise InvalidInput(
            f"a multi-chain grant has 2 to {MAX_CHAINS} entries (one per chain), got {len(pairs)}"
            + ("; for one chain, sign the grant with Sessions.sign" if len(pairs) == 1 else "")
        )
    chains = [sessions.chain_id for sessions, _ in pairs]
    repeated = sorted({c for c in chains if chains.count(c) > 1})
    if repeated:
        raise InvalidInput(
            f"a multi-chain grant has one entry per chain, but chain {', '.join(map(str, repeated))} appears more "
            "than once; give each chain one grant (its budgets and rules together)"
        )
    managers = {sessions.address for sessions, _ in pairs}
    if len(managers) != 1:
        where = ", ".join(f"chain {s.chain_id}: {s.address}" for s, _ in pairs)
        raise InvalidInput(
            f"the SessionManager differs between the chains ({where}): one signature names one manager address, "
            "so every chain needs the suite at its CREATE2 address (`charter deploy`); else sign per chain"
        )
    accounts = {grant.account for _, grant in pairs}
    if len(accounts) != 1:
        raise InvalidInput(
            f"every entry of a multi-chain grant is for the same account, but these are for {sorted(accounts)}; "
            "sign one multi-chain grant per account"
        )
    return pairs


def _check_entry(sessions: Sessions, grant: Grant, signer: Signer, watch: list[str]) -> None:
    """One entry, checked on its chain as :meth:`Sessions.sign` checks a grant."""
    sessions.check_allowances(grant, watch)
    account = grant.account
    kind = sessions.accounts.kind(account)
    if kind is AccountKind.DEPLOYED:
        raise InvalidInput(
            f"account {account} is a deployed Charter account on chain {sessions.chain_id}: its owner's signatures "
            "are checked through the account's ERC-1271, which binds each one to a single chain, so one signature "
            "cannot serve several chains. Sign one grant per chain instead (Sessions.sign on each chain's client; "
            "`charter grant create` without --chains, once per --rpc); multi-chain grants are for EOA and "
            "EIP-7702 accounts, which sign with their own key"
        )
    if kind is None:
        warnings.warn(
            f"{account} is not a Charter account of the SessionManager {sessions.address} on chain "
            f"{sessions.chain_id} (yet): that chain's entry is refused on use until it is one. Upgrade the EOA "
            "with EIP-7702 there (charter.accounts.upgrade / `charter account upgrade`)",
            NotYetACharterAccountWarning,
            stacklevel=3,
        )
    if signer.address != account:
        raise InvalidInput(
            f"only {account}'s own key can sign its multi-chain grants (an EOA or EIP-7702 account signs for "
            f"itself), not {signer.address}"
        )
    sessions._current(grant)  # the agent known, not retired, at the grant's generation on this chain


def _consent(
    pairs: list[tuple[Sessions, Grant]], unsigned: MultiChainGrant, given: bytes | str | SignerLike | None,
    principal: Signer,
) -> bytes:
    """The consent to present on every chain where it is not implied (one signature of the
    multi-chain digest serves them all), checked on each before anything is signed."""
    needed = []
    for sessions, grant in pairs:
        owner, wallet = sessions.agent_signers(grant.agent_id)
        if not _implied(grant, owner, wallet):
            needed.append((sessions, grant, owner, wallet))
    if not needed:
        return b""
    given = consent_given(given, "the multi-chain grant")
    if given is None and all(principal.address in (owner, wallet) for _, _, owner, wallet in needed):
        given = principal
    if given is None:
        sessions, grant, owner, _ = needed[0]
        raise AgentConsentMissing(
            f"agent {grant.agent_id} has not consented to session key {grant.session_key} on chain "
            f"{sessions.chain_id}: the key is not the agent's wallet and the account is not its owner {owner}. Have "
            "the agent's owner (or wallet) consent to the multi-chain grant: pass its signer as agent_consent (or "
            "its signature, consent_multi_chain(entries, agent_owner)); on the CLI, --agent-key-env VAR. Or use the "
            "agent's wallet as the session key"
        )
    if isinstance(given, bytes):
        recovered = recover_signer(unsigned.digest, given)
        for sessions, grant, owner, wallet in needed:
            signers = {owner, wallet} - {ZERO_ADDRESS}
            accepted = recovered in signers or any(  # a contract owner or wallet answers ERC-1271, as on chain
                sessions._erc1271_accepts(Web3.to_checksum_address(a), unsigned.digest, given) for a in signers
            )
            if not accepted:
                raise AgentConsentMissing(
                    f"the agent consent given is not a signature of this multi-chain grant by agent "
                    f"{grant.agent_id}'s {_consenters(owner, wallet)} on chain {sessions.chain_id} (it recovers to "
                    f"{recovered}); have one of them sign the multi-chain digest 0x{unsigned.digest.hex()}"
                )
        return given
    signer = as_signer(given)
    for sessions, grant, owner, wallet in needed:
        if signer.address not in (owner, wallet):
            raise InvalidInput(
                f"{signer.address} cannot consent for agent {grant.agent_id} on chain {sessions.chain_id}: only its "
                f"{_consenters(owner, wallet)} can there; sign with one of them"
            )
    return sign_typed(signer, unsigned.typed_data())


__all__ = ["Entries", "consent_multi_chain", "prepare_on_chains", "sign_multi_chain"]

"""One grant request, served with the approvals protocol until the principal answers (``charter grant request``).

    requester = OneRequest(sessions, grant, signatures, tokens, reason="pay bob for the report")
    server = ApprovalsServer(requester, "127.0.0.1", 0)
    server.start()                       # requester.url is now http://127.0.0.1:PORT/grant-requests/ID
    status = requester.wait(600)         # "approved" (requester.signed), "refused" or "expired"
    server.stop()

The principal answers in the console (``/approve?request=URL``), on the request's own page or with
``charter grant approve URL``: with the account's signature, or by issuing the grant on chain, of the
grant requested or of one they edited down (within it). The answer is taken only once the chain
bears it out (:func:`~charter.agents.service.answered_grant`, as ``charter mcp`` checks it): the
signature is the account's, or the grant reads active on chain; anything else leaves the request
pending. ``requester.signed`` is then the grant in force (an issued one carries no signature; an
edited one has its own hash). Nothing here holds a key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..sessions.client import Sessions
from ..sessions.describe import TokenLookup
from ..sessions.models import Grant, SignedGrant
from .service import Refusal, answered_grant, approval_answer, approval_record, request_record


class OneRequest:
    """A single grant request (see the module): answers :class:`~charter.agents.approvals.Requests`."""

    def __init__(self, sessions: Sessions, grant: Grant, signatures: list[str | None], tokens: TokenLookup,
                 reason: str = "", agent_consent: bytes = b"",
                 on_approved: Callable[[SignedGrant], None] | None = None) -> None:
        self.sessions = sessions
        self.grant = grant
        self.record = request_record(sessions, grant, signatures, tokens, reason)
        if agent_consent:
            self.record["agent_consent"] = "0x" + agent_consent.hex()
        self.agent_consent = agent_consent
        """The agent's consent given with the request (used when the principal's answer carries none)."""
        self.on_approved = on_approved
        """Called with the signed grant before the request counts as approved (say, to save it): when it
        raises, the request stays pending and the principal is told."""
        self.signed: SignedGrant | None = None
        """The grant in force once approved: the one requested, or one the principal edited down."""
        self.issued_tx: str | None = None
        """The transaction that issued it on chain, when the principal issued it rather than signing it."""
        self.approvals_base: str | None = None
        self._lock = threading.Lock()
        self._answered = threading.Event()

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def status(self) -> str:
        return str(self.record["status"])

    @property
    def url(self) -> str | None:
        """The request's page (``….json`` for its JSON), once the server listens."""
        return None if self.approvals_base is None else f"{self.approvals_base}/grant-requests/{self.id}"

    def grant_request(self, request_id: str) -> dict[str, Any]:
        if request_id != self.id:
            raise Refusal("UnknownRequest", f"no grant request {request_id!r} (this server holds {self.id})",
                          "open the URL charter grant request printed")
        with self._lock:
            return dict(self.record)

    def approve(self, request_id: str, signature: str = "", agent_consent: str = "", *, grant: Any = None,
                issued_tx: str = "") -> dict[str, Any]:
        """The principal's answer (a signature, or the transaction that issued the grant on chain; the grant
        requested or one within it): checked against the chain; the request is approved only once it holds."""
        self.grant_request(request_id)
        with self._lock:
            if self.status != "pending":
                raise Refusal("InvalidInput", f"grant request {request_id} is {self.status}, not pending")
            default = "0x" + self.agent_consent.hex() if self.agent_consent else ""
            signed = answered_grant(self.sessions, self.grant, signature=signature, agent_consent=agent_consent,
                                    grant=grant, issued_tx=issued_tx, default_consent=default)
            if self.on_approved is not None:
                try:
                    self.on_approved(signed)
                except Exception as exc:  # noqa: BLE001 - the principal hears it; the request stays pending
                    raise Refusal("InvalidInput", f"the answer holds, but the requester could not keep the "
                                  f"grant ({type(exc).__name__}: {exc}); the request is still pending",
                                  "see the requester's terminal") from None
            self.signed = signed
            self.issued_tx = issued_tx or None
            self.record.update(approval_record(self.grant, signed, issued_tx))
            self._answered.set()
        return approval_answer(request_id, self.grant, signed, issued_tx)

    def refuse(self, request_id: str) -> dict[str, Any]:
        self.grant_request(request_id)
        with self._lock:
            if self.status == "pending":
                self.record["status"] = "refused"
                self._answered.set()
            return {"request_id": request_id, "status": self.status}

    def wait(self, seconds: float) -> str:
        """Wait up to `seconds` for the principal: ``approved``, ``refused``, or ``expired`` (no answer in
        time: the request is closed, a signature sent later is refused)."""
        self._answered.wait(seconds)
        with self._lock:
            if self.status == "pending":
                self.record["status"] = "expired"
            return self.status


__all__ = ["OneRequest"]

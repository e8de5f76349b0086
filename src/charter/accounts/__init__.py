"""The accounts layer: Charter accounts (``AgentAccount``), deployed per owner or an EOA upgraded with EIP-7702.

    client.py      Accounts: address_of, deploy, upgrade (EIP-7702), info, owner calls
    models.py      AccountInfo, AccountKind, Call (one call an account makes)
    typed_data.py  the EIP-712 CharterMessage an owner signs for ERC-1271
    calldata.py    the owner's execute / executeBatch calldata
    errors.py      "account: ..." reverts as exceptions
"""

from .calldata import execute_calldata
from .client import Accounts
from .models import MAX_BATCH, AccountInfo, AccountKind, Call, calls_of

__all__ = ["MAX_BATCH", "AccountInfo", "AccountKind", "Accounts", "Call", "calls_of", "execute_calldata"]

"""The principal's console: a local web application (``charter console``).

    server.py    the Starlette app and its server thread: pages, the background refresh, the guards
    actions.py   revoke, revoke all, pause, resume, retire: transactions prepared for the wallet, confirmed
                 from the chain afterwards (or sent with a development key)
    approve.py   grant requests (charter mcp, charter grant request) shown in words and answered
    index.py     the SQLite cache of agents, accounts, grants and intents across chains
    words.py     grants in plain words, warnings, value at risk
    cards.py     agent cards read from their URIs (data: on chain, http(s) unverified)

Needs the ``console`` extra (Starlette, uvicorn, Jinja2, httpx).
"""

"""A headless Chromium for the console's tests, driven over the DevTools protocol, with a test wallet.

The browser is the chrome-headless-shell of the pinned npm package
``@sparticuz/chromium`` (package.json), which ``make setup`` extracts into
``.build/chromium/`` (tools/chromium.mjs): nothing is downloaded from
anywhere else. This module starts it, talks to it over its DevTools
WebSocket (``websockets``' synchronous client) and stops it, with its whole
process group, when done::

    with Browser.launch() as browser:
        page = browser.new_page(width=1280, height=800)
        page.inject_wallet({31337: chain.url}, account)   # before goto
        page.goto("http://127.0.0.1:8000/")
        page.click("#connect")
        page.wait_for("#account", text="0xf39f")
        page.fill("input[name=amount]", "1.5")
        page.screenshot(path)                               # PNG, the whole page
        assert page.wallet_requests("eth_sendTransaction")
        page.assert_no_errors()                             # no console errors, no uncaught exceptions

``Page`` API: ``goto(url)`` (waits for the load event), ``wait_for(selector,
text=None)`` (an element, optionally containing a text), ``wait_until(js)``
(a truthy expression, returned), ``click(selector)`` (real mouse events at
the element's centre), ``fill(selector, text)`` (typed as input events),
``text(selector)``, ``evaluate(js)`` (awaits promises, returns JSON values),
``exists(selector)``, ``reload()``, ``screenshot(path, full_page=True)``,
``console`` / ``errors`` (what the page logged / threw) and
``assert_no_errors()``; ``read_png(path)`` reads a screenshot's pixels back.

The wallet (``inject_wallet``) is an EIP-1193 provider installed as
``window.ethereum`` in every document the page loads (and announced over
EIP-6963). Like a browser extension, the wallet itself lives outside the
page: the provider hands each request to this module (a DevTools binding),
which answers it, forwarding to the current chain's anvil over HTTP, so the
page's Content-Security-Policy does not apply to the wallet's own RPC.
Requests are answered while the test is inside a call on the page
(``wait_for``, ``wait_until``, ``evaluate``, ``click``, ...), not during a
bare ``time.sleep``. It holds one anvil dev account (anvil signs for its
unlocked accounts) and answers:

- ``eth_requestAccounts`` (connects) / ``eth_accounts`` (the account once connected),
  ``wallet_requestPermissions`` / ``wallet_getPermissions`` / ``wallet_revokePermissions``;
- ``eth_chainId``, ``net_version``; ``wallet_switchEthereumChain`` among the chains
  given (4902 for another);
- ``personal_sign``, ``eth_sign``, ``eth_signTypedData_v4`` (v3 too), ``eth_sendTransaction``:
  forwarded to the current chain's anvil, only from the account and once connected (4100
  otherwise);
- any other method: forwarded to the current chain's anvil as it is.

It emits ``connect``, ``chainChanged`` and ``accountsChanged`` to listeners
registered with ``on``; its state (connected, current chain: ``page.wallet_chain``)
belongs to the tab, so it survives reloads and navigation, as in a real wallet.
``page.wallet_refuses(True)`` makes the user say no: from then on the signing
and sending methods (and connecting, with ``connect=True``) are rejected with
EIP-1193's ``{code: 4001, message: "User rejected the request."}`` and
nothing reaches the chain; ``wallet_refuses(False)`` approves again. Every
request the page makes is recorded: ``page.wallet_requests(method)`` lists
them (method, params, result or error).

``conftest.py`` here offers the fixtures: ``browser`` (one per session) and
``page`` (a new tab per test; a screenshot of it in ``.build/console-tests/``
when the test fails).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".build" / "chromium"
SETUP_HINT = (
    "run `make setup`: it extracts the headless Chromium of the pinned npm package "
    "@sparticuz/chromium (Linux x64) into .build/chromium/"
)

# Methods a user approves in a wallet: the ones `wallet_refuses` rejects.
SIGNING_METHODS = (
    "personal_sign",
    "eth_sign",
    "eth_signTypedData",
    "eth_signTypedData_v3",
    "eth_signTypedData_v4",
    "eth_sendTransaction",
)
USER_REJECTED = {"code": 4001, "message": "User rejected the request."}


class BrowserError(Exception):
    """The browser could not be started, a DevTools command failed, or a wait timed out."""


class JavaScriptError(BrowserError):
    """An expression evaluated in the page threw."""


def default_executable() -> Path:
    """The Chromium ``make setup`` extracts (``$CHARTER_CHROMIUM`` overrides it)."""
    return Path(os.environ.get("CHARTER_CHROMIUM") or BUILD / "chromium")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- DevTools connection


class _Connection:
    """One WebSocket to the browser; pages are flat sessions on it. Synchronous: events
    arriving while a command waits for its answer go to the session's handler."""

    def __init__(self, url: str) -> None:
        self.ws: ClientConnection = connect(
            url, proxy=None, max_size=None, ping_interval=None, open_timeout=10, compression=None
        )
        self._next = 0
        self._then: dict[int, Callable[[dict[str, Any]], None]] = {}
        self.handlers: dict[str | None, Callable[[str, dict[str, Any]], None]] = {}

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        then: Callable[[dict[str, Any]], None] | None = None,
    ) -> int:
        """Send a command without waiting; `then` gets its result (or {} if it failed) when it arrives."""
        self._next += 1
        if then is not None:
            self._then[self._next] = then
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        return self._next

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout: float = 30
    ) -> dict[str, Any]:
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline - time.monotonic())
            if message is None:
                raise BrowserError(f"{method}: no answer from the browser within {timeout} s")
            if message.get("id") == wanted:
                if "error" in message:
                    error = message["error"]
                    raise BrowserError(f"{method}: {error.get('message')} {error.get('data', '')}".strip())
                result: dict[str, Any] = message.get("result", {})
                return result

    def pump(self, seconds: float) -> None:
        """Handle the events that arrive within `seconds`."""
        deadline = time.monotonic() + seconds
        while self._receive(deadline - time.monotonic()) is not None:
            pass

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        try:
            raw = self.ws.recv(timeout=max(timeout, 0))
        except TimeoutError:
            return None
        message: dict[str, Any] = json.loads(raw)
        if message.get("id") in self._then:
            self._then.pop(message["id"])(message.get("result", {}))
        elif "method" in message:
            handler = self.handlers.get(message.get("sessionId"))
            if handler is not None:
                handler(message["method"], message.get("params", {}))
        return message

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


# --------------------------------------------------------------------------- browser


# Only the package's fonts (the same rendering on every machine), absolute paths (fontconfig would
# resolve a relative cache folder against the working directory).
_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def _die_with_parent() -> None:
    """In the child, before exec: the kernel kills it if the test process dies (even by SIGKILL),
    when close() and the finalizer never run. Linux only; elsewhere nothing."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.wait(timeout=10)


class Browser:
    """A running headless Chromium (``Browser.launch()``); ``close()`` (or ``with``) stops it."""

    def __init__(self, process: subprocess.Popen[bytes], connection: _Connection, profile: str) -> None:
        self.process = process
        self.connection = connection
        self.profile = profile
        self.pages: list[Page] = []
        # Whatever happens to this object, the browser and its helpers go with it.
        self._finalizer = weakref.finalize(self, Browser._cleanup, process, connection, profile)

    @classmethod
    def launch(
        cls,
        executable: str | Path | None = None,
        *,
        headless: bool = True,
        args: list[str] | tuple[str, ...] = (),
        timeout: float = 30,
    ) -> Browser:
        """Start Chromium in a process group of its own with a fresh profile, on a free DevTools port.

        `executable` defaults to ``.build/chromium/chromium``. The pinned build is
        chrome-headless-shell: ``headless=False`` is for another Chromium given as
        `executable`, on a machine with a display."""
        path = Path(executable) if executable is not None else default_executable()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BrowserError(f"no Chromium at {path}; {SETUP_HINT}")
        profile = tempfile.mkdtemp(prefix="charter-chromium-")
        port = _free_port()
        command = [
            str(path),
            *(["--headless=shell"] if headless else []),
            f"--remote-debugging-port={port}",
            "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile}",
            "--no-sandbox",
            "--no-zygote",
            "--no-first-run",
            "--no-default-browser-check",
            "--no-proxy-server",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-features=Translate,MediaRouter,OptimizationHints",
            "--font-render-hinting=none",
            "--hide-scrollbars",
            "--mute-audio",
            *args,
            "about:blank",
        ]
        env = dict(os.environ)
        library = path.parent / "lib"  # NSS / NSPR / expat shipped with the package, for machines without them
        if library.is_dir():
            env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(library), env.get("LD_LIBRARY_PATH")]))
        fonts = path.parent / "fonts" / "fonts"  # the package's fonts, and a cache for them beside
        if fonts.is_dir():
            (Path(profile) / "fonts.conf").write_text(_FONTS_CONF.format(fonts=fonts, cache=fonts.parent / "cache"))
            env["FONTCONFIG_PATH"] = profile
        with open(Path(profile) / "chromium.log", "wb") as log:  # read back if it fails to start
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True, preexec_fn=_die_with_parent,
            )
        try:
            url = cls._wait_for_devtools(process, port, profile, timeout)
            connection = _Connection(url)
        except BaseException:
            _kill_group(process)
            shutil.rmtree(profile, ignore_errors=True)
            raise
        return cls(process, connection, profile)

    @staticmethod
    def _wait_for_devtools(process: subprocess.Popen[bytes], port: int, profile: str, timeout: float) -> str:
        import urllib.request

        deadline = time.monotonic() + timeout
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            if process.poll() is not None:
                output = (Path(profile) / "chromium.log").read_text(errors="replace")[-3000:]
                raise BrowserError(f"Chromium exited at start (code {process.returncode}):\n{output}")
            with contextlib.suppress(OSError, ValueError):
                with opener.open(f"http://127.0.0.1:{port}/json/version", timeout=2) as answer:
                    url: str = json.load(answer)["webSocketDebuggerUrl"]
                    return url
            if time.monotonic() > deadline:
                raise BrowserError(f"Chromium did not open its DevTools port {port} within {timeout} s")
            time.sleep(0.05)

    def version(self) -> dict[str, Any]:
        return self.connection.call("Browser.getVersion")

    def new_page(self, width: int = 1280, height: int = 800) -> Page:
        """A new tab (about:blank) with a `width` x `height` viewport at device scale 1."""
        target = self.connection.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.connection.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session, width, height)
        self.pages.append(page)
        return page

    def close(self) -> None:
        """Stop the browser and every process it started; remove its profile."""
        for page in self.pages:
            page.closed = True
        self._finalizer()

    @staticmethod
    def _cleanup(process: subprocess.Popen[bytes], connection: _Connection, profile: str) -> None:
        if process.poll() is None:
            with contextlib.suppress(Exception):
                connection.send("Browser.close")
                process.wait(timeout=3)
        connection.close()
        _kill_group(process)  # the helpers (GPU, network, renderers) too, even if the browser is gone
        shutil.rmtree(profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- page


@dataclass
class ConsoleMessage:
    type: str  # log, info, warning, error, debug, ... ("error" also for the browser's own errors)
    text: str
    source: str = "console"  # console (the page's console.*) or the browser's log (network, security, ...)
    url: str = ""


@dataclass
class WalletRequest:
    """One request the page made to the wallet: its result, or its error ({code, message})."""

    method: str
    params: Any
    result: Any = None
    error: dict[str, Any] | None = None
    done: bool = False


@dataclass
class _Wallet:
    chains: dict[int, str]
    account: str
    chain_id: int
    connected: bool = False
    refuse: bool = False
    refuse_methods: tuple[str, ...] = SIGNING_METHODS
    requests: dict[str, WalletRequest] = field(default_factory=dict)  # by "<document>:<n>", in order
    script: str | None = None  # the identifier of the provider installed on new documents
    stale: bool = False  # that script starts from an older state
    replacing: bool = False


class Page:
    """A tab: navigate, wait, click, fill, read, evaluate, screenshot; the console and errors it produced."""

    def __init__(self, browser: Browser, target: str, session: str, width: int, height: int) -> None:
        self.browser = browser
        self.target = target
        self.session = session
        self.width, self.height = width, height
        self.console: list[ConsoleMessage] = []
        self.errors: list[str] = []
        self.closed = False
        self.crashed = False
        self._loads = 0
        self._loaded: set[str] = set()  # the loader ids (navigations) whose document has loaded
        self._wallet: _Wallet | None = None
        browser.connection.handlers[session] = self._on_event
        for domain in ("Page", "Runtime", "Log"):
            self._call(f"{domain}.enable")
        self._call("Page.setLifecycleEventsEnabled", {"enabled": True})
        self._call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    # -- protocol

    def _call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        if self.closed:
            raise BrowserError(f"{method}: the page is closed")
        if self.crashed:
            raise BrowserError(f"{method}: the page crashed")
        return self.browser.connection.call(method, params, self.session, timeout)

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Page.loadEventFired":
            self._loads += 1
        elif method == "Page.lifecycleEvent" and params.get("name") == "load":
            self._loaded.add(params.get("loaderId", ""))
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(_remote_text(arg) for arg in params.get("args", []))
            self.console.append(ConsoleMessage(params.get("type", "log"), text))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exception = details.get("exception", {})
            self.errors.append(exception.get("description") or details.get("text", "exception"))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.console.append(
                ConsoleMessage(entry.get("level", "info"), entry.get("text", ""), entry.get("source", "other"),
                               entry.get("url", ""))
            )
        elif method == "Runtime.bindingCalled" and params.get("name") == _BINDING and self._wallet is not None:
            self._wallet_call(params.get("executionContextId"), json.loads(params.get("payload", "{}")))
        elif method in ("Inspector.targetCrashed", "Target.targetCrashed"):
            self.crashed = True

    # -- navigation and waiting

    def goto(self, url: str, timeout: float = 30) -> None:
        """Load `url` and wait for its load event (a same-document navigation returns at once)."""
        answer = self._call("Page.navigate", {"url": url}, timeout)
        if answer.get("errorText"):
            raise BrowserError(f"could not load {url}: {answer['errorText']}")
        loader = answer.get("loaderId")
        if loader:
            self._until(lambda: loader in self._loaded, timeout, f"the load event of {url}")

    def reload(self, timeout: float = 30) -> None:
        loads = self._loads
        self._call("Page.reload")
        self._until(lambda: self._loads > loads, timeout, "the load event after reload")

    @property
    def url(self) -> str:
        return str(self.evaluate("location.href"))

    def _until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.crashed:
                raise BrowserError(f"the page crashed while waiting for {what}")
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout} s waiting for {what}")
            self.browser.connection.pump(0.05)

    def wait_until(self, expression: str, timeout: float = 10) -> Any:
        """Evaluate `expression` until it is truthy (promises awaited); return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout} s waiting for {expression!r} (last: {value!r})")
            self.browser.connection.pump(0.05)

    def wait_for(self, selector: str, *, text: str | None = None, timeout: float = 10) -> str:
        """Wait for an element matching `selector` (whose text contains `text`, if given); its text."""
        check = f"""(() => {{
            const element = document.querySelector({json.dumps(selector)});
            if (!element) return null;
            const text = element.innerText ?? element.textContent ?? "";
            return {json.dumps(text)} === null || text.includes({json.dumps(text)}) ? {{text}} : null;
        }})()"""
        try:
            found = self.wait_until(check, timeout)
        except BrowserError:
            now = self.evaluate(
                f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText ?? null"
            )
            state = "absent" if now is None else f"its text is {now!r}"
            wanted = selector if text is None else f"{selector} containing {text!r}"
            raise BrowserError(f"timed out after {timeout} s waiting for {wanted} ({state})") from None
        return str(found["text"])

    # -- reading and acting

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """The JSON value of `expression` in the page (a promise is awaited); JavaScriptError if it throws."""
        answer = self._call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True, "userGesture": True},
            timeout,
        )
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            raise JavaScriptError(details.get("exception", {}).get("description") or details.get("text"))
        return answer.get("result", {}).get("value")

    def text(self, selector: str) -> str:
        """The rendered text (innerText) of the first element matching `selector`."""
        value = self.evaluate(f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText ?? null")
        if value is None:
            raise BrowserError(f"no element matches {selector!r}")
        return str(value)

    def exists(self, selector: str) -> bool:
        return bool(self.evaluate(f"!!document.querySelector({json.dumps(selector)})"))

    def click(self, selector: str, timeout: float = 10) -> None:
        """Click the centre of the first element matching `selector`, with real mouse events,
        once it is on the page, visible and enabled."""
        where = f"""(() => {{
            const element = document.querySelector({json.dumps(selector)});
            if (!element || element.disabled) return null;
            element.scrollIntoView({{block: "center", inline: "center"}});
            const box = element.getBoundingClientRect();
            if (box.width === 0 || box.height === 0) return null;
            return {{x: box.left + box.width / 2, y: box.top + box.height / 2}};
        }})()"""
        try:
            point = self.wait_until(where, timeout)
        except BrowserError:
            raise BrowserError(f"nothing visible and enabled to click at {selector!r} within {timeout} s") from None
        x, y = point["x"], point["y"]
        self._call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "button": "none"})
        for kind in ("mousePressed", "mouseReleased"):
            self._call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1},
            )

    def fill(self, selector: str, text: str, timeout: float = 10) -> None:
        """Replace the value of the input, textarea or select matching `selector` with `text`, typed
        (input events), then fire change."""
        ready = f"""(() => {{
            const element = document.querySelector({json.dumps(selector)});
            if (!element || element.disabled) return false;
            element.scrollIntoView({{block: "center"}});
            element.focus();
            if (element.tagName === "SELECT") {{
                element.value = {json.dumps(text)};
                element.dispatchEvent(new Event("input", {{bubbles: true}}));
                element.dispatchEvent(new Event("change", {{bubbles: true}}));
                return "select";
            }}
            if (typeof element.select === "function") element.select();
            return "text";
        }})()"""
        try:
            kind = self.wait_until(ready, timeout)
        except BrowserError:
            raise BrowserError(f"nothing enabled to fill at {selector!r} within {timeout} s") from None
        if kind == "select":
            return
        self._call("Input.insertText", {"text": text})  # replaces the selection
        self.evaluate(
            f"""(() => {{
                const element = document.querySelector({json.dumps(selector)});
                if (element.value !== {json.dumps(text)}) {{  // an empty text leaves the selection in place
                    element.value = {json.dumps(text)};
                    element.dispatchEvent(new Event("input", {{bubbles: true}}));
                }}
                element.dispatchEvent(new Event("change", {{bubbles: true}}));
            }})()"""
        )

    def screenshot(self, path: str | Path, full_page: bool = True) -> Path:
        """Write a PNG of the viewport, or of the whole page (at least the viewport's size); its path."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.evaluate(
                "({width: Math.max(document.documentElement.scrollWidth, document.body?.scrollWidth ?? 0),"
                " height: Math.max(document.documentElement.scrollHeight, document.body?.scrollHeight ?? 0)})"
            )
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": max(int(size["width"]), self.width),
                "height": max(int(size["height"]), self.height),
                "scale": 1,
            }
            params["captureBeyondViewport"] = True
        data = self._call("Page.captureScreenshot", params, timeout=60)["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    # -- errors

    def console_errors(self) -> list[ConsoleMessage]:
        self.browser.connection.pump(0)
        return [message for message in self.console if message.type == "error"]

    def assert_no_errors(self, ignore: tuple[str, ...] = ()) -> None:
        """Raise AssertionError if the page threw or logged an error (unless its text contains one of `ignore`)."""
        self.browser.connection.pump(0.05)
        problems = [f"uncaught: {error}" for error in self.errors] + [
            f"console ({message.source}): {message.text}" for message in self.console if message.type == "error"
        ]
        problems = [problem for problem in problems if not any(part in problem for part in ignore)]
        if problems:
            raise AssertionError("the page reported errors:\n  " + "\n  ".join(problems))

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(BrowserError):
                self.browser.connection.call("Target.closeTarget", {"targetId": self.target})
            self.closed = True
            self.browser.connection.handlers.pop(self.session, None)

    # -- the wallet

    def inject_wallet(
        self,
        rpc_urls: dict[int, str],
        account: str,
        *,
        chain_id: int | None = None,
        connected: bool = False,
    ) -> None:
        """Install the test wallet as ``window.ethereum`` in this and every later document.

        `rpc_urls` maps chain ids to their anvil's URL; the wallet starts on `chain_id`
        (the first chain by default) holding `account` (an anvil dev account: anvil signs
        for it). With `connected`, the page sees the account without asking."""
        if not rpc_urls:
            raise ValueError("the wallet needs at least one chain")
        start = chain_id if chain_id is not None else next(iter(rpc_urls))
        if start not in rpc_urls:
            raise ValueError(f"chain {start} is not among the wallet's chains {sorted(rpc_urls)}")
        if self._wallet is None:
            self._call("Runtime.addBinding", {"name": _BINDING})
        else:
            self._call("Page.removeScriptToEvaluateOnNewDocument", {"identifier": self._wallet.script})
        self._wallet = _Wallet({int(chain): url for chain, url in rpc_urls.items()}, account, start, connected)
        source = self._wallet_source()
        self._wallet.script = self._call("Page.addScriptToEvaluateOnNewDocument", {"source": source})["identifier"]
        self.evaluate(source)  # the current document too

    def wallet_refuses(self, refuse: bool = True, *, connect: bool = False) -> None:
        """From now on the user rejects (4001) every signing and sending request or, if `refuse`
        is false, approves them again. With `connect`, connecting (eth_requestAccounts) is
        refused too."""
        wallet = self._require_wallet()
        wallet.refuse = refuse
        connecting = ("eth_requestAccounts", "wallet_requestPermissions") if connect else ()
        wallet.refuse_methods = SIGNING_METHODS + connecting

    def wallet_requests(self, method: str | None = None) -> list[WalletRequest]:
        """The requests the page made to the wallet, in order (only `method`'s, if given)."""
        wallet = self._require_wallet()
        self.browser.connection.pump(0)
        return [request for request in wallet.requests.values() if method is None or request.method == method]

    @property
    def wallet_chain(self) -> int:
        """The chain the wallet is on now."""
        return self._require_wallet().chain_id

    def _require_wallet(self) -> _Wallet:
        if self._wallet is None:
            raise BrowserError("no wallet: call page.inject_wallet(...) first")
        return self._wallet

    def _wallet_state(self) -> dict[str, Any]:
        wallet = self._require_wallet()
        return {"chainId": hex(wallet.chain_id), "accounts": [wallet.account] if wallet.connected else []}

    def _wallet_source(self) -> str:
        config = {"binding": _BINDING, "answer": _ANSWER, "state": self._wallet_state()}
        return f"({_WALLET_JS})({json.dumps(config)});"

    def _wallet_call(self, context: int | None, payload: dict[str, Any]) -> None:
        """A request from the page (a binding call, inside an event): answer it in its document."""
        wallet = self._require_wallet()
        method, params = str(payload.get("method")), payload.get("params")
        request = WalletRequest(method, params)
        wallet.requests[str(payload.get("id"))] = request
        before = self._wallet_state()
        events: list[tuple[str, Any]] = []
        try:
            request.result = self._wallet_answer(method, params if isinstance(params, list) else [params], events)
        except _ProviderError as error:
            request.error = error.as_dict()
        request.done = True
        answer: dict[str, Any] = {"state": self._wallet_state(), "events": events}
        answer.update({"error": request.error} if request.error else {"result": request.result})
        expression = f"window[{json.dumps(_ANSWER)}]({json.dumps(payload.get('id'))}, {json.dumps(answer)})"
        evaluate: dict[str, Any] = {"expression": expression}
        if context is not None:
            evaluate["contextId"] = context
        self.browser.connection.send("Runtime.evaluate", evaluate, self.session)
        if self._wallet_state() != before:
            wallet.stale = True
            self._refresh_wallet_script()

    def _refresh_wallet_script(self) -> None:
        """New documents start from the wallet's state now (connected, chain): replace the installed
        script, one replacement at a time (this runs inside an event, so nothing waits for answers)."""
        wallet = self._require_wallet()
        if wallet.replacing or not wallet.stale:
            return
        wallet.stale, wallet.replacing = False, True
        connection = self.browser.connection
        if wallet.script is not None:
            connection.send("Page.removeScriptToEvaluateOnNewDocument", {"identifier": wallet.script}, self.session)
            wallet.script = None

        def installed(result: dict[str, Any]) -> None:
            wallet.script = result.get("identifier")
            wallet.replacing = False
            self._refresh_wallet_script()

        connection.send(
            "Page.addScriptToEvaluateOnNewDocument", {"source": self._wallet_source()}, self.session, then=installed
        )

    def _wallet_answer(self, method: str, params: list[Any], events: list[tuple[str, Any]]) -> Any:
        wallet = self._require_wallet()
        if wallet.refuse and method in wallet.refuse_methods:
            raise _ProviderError(**USER_REJECTED)
        accounts = [wallet.account] if wallet.connected else []
        if method in ("eth_requestAccounts", "wallet_requestPermissions"):
            if not wallet.connected:
                wallet.connected = True
                events.append(("accountsChanged", [wallet.account]))
            return [wallet.account] if method == "eth_requestAccounts" else [{"parentCapability": "eth_accounts"}]
        if method == "wallet_getPermissions":
            return [{"parentCapability": "eth_accounts"}] if wallet.connected else []
        if method == "wallet_revokePermissions":
            if wallet.connected:
                wallet.connected = False
                events.append(("accountsChanged", []))
            return None
        if method == "eth_accounts":
            return accounts
        if method == "eth_coinbase":
            return accounts[0] if accounts else None
        if method == "eth_chainId":
            return hex(wallet.chain_id)
        if method == "net_version":
            return str(wallet.chain_id)
        if method in ("wallet_switchEthereumChain", "wallet_addEthereumChain"):
            wanted = params[0].get("chainId") if params and isinstance(params[0], dict) else None
            try:
                chain = int(str(wanted), 16)
            except ValueError:
                raise _ProviderError(-32602, f"invalid chainId {wanted!r}") from None
            if chain not in wallet.chains:
                raise _ProviderError(
                    4902, f'Unrecognized chain ID "{wanted}". Try adding the chain using wallet_addEthereumChain first.'
                )
            if chain != wallet.chain_id:
                wallet.chain_id = chain
                events.append(("chainChanged", hex(chain)))
            return None
        if method in SIGNING_METHODS:
            if method == "eth_sendTransaction":
                transaction = dict(params[0]) if params and isinstance(params[0], dict) else {}
                transaction.setdefault("from", wallet.account)
                sender, forwarded = transaction["from"], [transaction]
            elif method == "personal_sign":
                sender, forwarded = (params[1] if len(params) > 1 else None), params
            else:
                sender, forwarded = (params[0] if params else None), list(params)
                if method.startswith("eth_signTypedData"):
                    method = "eth_signTypedData_v4"  # anvil's; v3 data is v4 data without arrays
                    if len(forwarded) > 1 and not isinstance(forwarded[1], str):
                        forwarded[1] = json.dumps(forwarded[1])
            if not wallet.connected or not isinstance(sender, str) or sender.lower() != wallet.account.lower():
                raise _ProviderError(4100, f"The wallet does not hold {sender} or is not connected.")
            return self._wallet_rpc(method, forwarded)
        if method == "eth_signTransaction":
            raise _ProviderError(4200, f"The test wallet does not support {method}.")
        return self._wallet_rpc(method, params)

    def _wallet_rpc(self, method: str, params: list[Any]) -> Any:
        import urllib.error
        import urllib.request

        wallet = self._require_wallet()
        url = wallet.chains[wallet.chain_id]
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as response:
                answer = json.load(response)
        except (OSError, ValueError) as error:
            raise _ProviderError(-32603, f"chain {wallet.chain_id} unreachable at {url}: {error}") from None
        if answer.get("error"):
            error = answer["error"]
            raise _ProviderError(int(error.get("code", -32603)), str(error.get("message")), error.get("data"))
        return answer.get("result")


class _ProviderError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def read_png(path: str | Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the pixel rows (RGBA, 4 bytes a pixel) of an 8-bit RGB or RGBA PNG,
    as Chromium writes them: enough to check a screenshot without an imaging library."""
    import struct
    import zlib

    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    position, chunks, idat = 8, {}, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IDAT":
            idat += body
        else:
            chunks.setdefault(kind, body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are read (depth {depth}, colour {colour})")
    channels = 4 if colour == 6 else 3
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        previous = line
        if channels == 3:
            rgba = bytearray()
            for x in range(width):
                rgba += line[x * 3 : x * 3 + 3] + b"\xff"
            rows.append(bytes(rgba))
        else:
            rows.append(bytes(line))
    return width, height, rows


def _remote_text(value: dict[str, Any]) -> str:
    if "value" in value:
        return value["value"] if isinstance(value["value"], str) else json.dumps(value["value"])
    return str(value.get("description") or value.get("unserializableValue") or value.get("type"))


_BINDING = "__charterTestWalletRequest"  # page -> Python (Runtime.addBinding)
_ANSWER = "__charterTestWalletAnswer"  # Python -> page

# The provider in the page: it passes each request to the wallet in Python and settles the promise
# with the answer, after emitting the events the answer carries. `config.state` is the wallet's
# state when the document started (each answer updates it), for the synchronous properties.
_WALLET_JS = r"""
function (config) {
  if (window.ethereum && window.ethereum.isCharterTestWallet) return;
  let state = config.state;
  const documentId = Math.random().toString(36).slice(2);  // request ids: "<document>:<n>"
  let counter = 0;
  const pending = new Map();
  const listeners = {};
  const emit = (event, value) => {
    for (const listener of (listeners[event] || []).slice()) {
      try { listener(value); } catch (e) { setTimeout(() => { throw e; }); }
    }
  };
  const fail = (error) => Object.assign(new Error(error.message), error);
  Object.defineProperty(window, config.answer, {
    value: (id, answer) => {
      const waiting = pending.get(id);
      if (!waiting) return;
      pending.delete(id);
      state = answer.state;
      for (const [event, value] of answer.events) emit(event, value);
      if (answer.error) waiting.reject(fail(answer.error)); else waiting.resolve(answer.result);
    },
  });
  const provider = {
    isCharterTestWallet: true,
    isMetaMask: false,
    get chainId() { return state.chainId; },
    get selectedAddress() { return state.accounts[0] ?? null; },
    isConnected: () => true,
    request(args) {
      if (!args || typeof args.method !== "string") {
        return Promise.reject(fail({code: -32600, message: "request() takes {method, params}."}));
      }
      const id = `${documentId}:${++counter}`;
      return new Promise((resolve, reject) => {
        pending.set(id, {resolve, reject});
        try {
          window[config.binding](JSON.stringify({id, method: args.method, params: args.params ?? []}));
        } catch (e) {
          pending.delete(id);
          reject(fail({code: -32603, message: `the test wallet is unreachable: ${e.message}`}));
        }
      });
    },
    on(event, listener) { (listeners[event] ||= []).push(listener); return provider; },
    addListener(event, listener) { return provider.on(event, listener); },
    once(event, listener) {
      const wrapped = (value) => { provider.removeListener(event, wrapped); listener(value); };
      return provider.on(event, wrapped);
    },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] || []).filter((l) => l !== listener);
      return provider;
    },
    off(event, listener) { return provider.removeListener(event, listener); },
    removeAllListeners(event) {
      for (const key of event ? [event] : Object.keys(listeners)) delete listeners[key];
      return provider;
    },
  };
  Object.defineProperty(window, "ethereum", {value: provider, configurable: true});
  const info = Object.freeze({
    uuid: "6b1f4c1e-0c7a-4c1b-9d1e-c4a27e57a11e",
    name: "Charter test wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'%3E"
      + "%3Crect width='8' height='8' fill='%23345'/%3E%3C/svg%3E",
    rdns: "dev.charter.test-wallet",
  });
  const announce = () => window.dispatchEvent(
    new CustomEvent("eip6963:announceProvider", {detail: Object.freeze({info, provider})}),
  );
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
  setTimeout(() => emit("connect", {chainId: state.chainId}), 0);
}
"""

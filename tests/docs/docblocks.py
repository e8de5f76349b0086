"""Run a Markdown document's code blocks as written: the extractor behind tests/docs.

The convention, for anyone writing README.md or docs/tutorials/*.md:

- A fenced block (```` ```LANG ````, at the start of a line) runs by its
  language. ``python`` blocks run in one namespace per document, in the test
  process; ``bash`` blocks run with ``bash`` (``set -euo pipefail``), one
  environment per document: shell variables (exported or not), shell
  functions and the working directory carry over from one bash block to the
  next, as in one shell session, and Python
  blocks see the exported variables in ``os.environ`` (as a reader who
  exports them in the shell that then runs Python). All blocks of a document
  run in document order.
- Blocks in any other language never run: ``sh``, ``console`` and ``text``
  for commands or output shown only, ``json``, ``toml``… A ``toml`` block
  whose info string names a file, ```` ```toml title="relay.toml" ````, is
  written to that file (in the document's working directory) when the
  blocks before it have run: it is the file the reader is told to create.
- ``norun`` as a word of the info string, ```` ```bash norun ````, shows a
  block highlighted as its language without running it (the README's
  ``make demo`` / ``make test`` lines). Only that exact word counts: a block
  that merely contains "norun", or a language such as ``bash-norun``, runs
  or not by its language as above.
- Nodes: a line ``anvil … &`` (in any block, run or not) is a node the
  reader starts; the test starts the same (``charter.devchain.local_anvil``
  with the line's ``--chain-id`` and ``--block-time``) on a free port, and
  ``127.0.0.1:PORT`` (the line's ``--port``, 8545 by default) in every block
  that runs or is written is replaced by the test node's address. Inside a
  bash block, such a line is not run (the test's node is that node).
  ``APE_FOUNDRY_HOST`` is set to the first node, so ``ape run`` lines attach
  to it.
- The working directory is a fresh temporary directory that mirrors the
  checkout's top level with symbolic links (``ape run`` needs the project
  there); files a block writes land in the temporary directory.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charter.devchain import LocalChain, local_anvil

ROOT = Path(__file__).resolve().parents[2]
RUNS = ("python", "bash")
NORUN = "norun"

_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_TITLE = re.compile(r'\btitle="([^"]+)"')
# bash's own variables (readonly or managed by the shell) are not carried from one block to the next
_NOT_CARRIED = (r"^declare -[^ ]*r|^declare -[^ ]* (BASH[A-Z_]*|_|PIPESTATUS|RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|"
                r"OPTIND|OPTERR|PWD|OLDPWD|SHLVL|FUNCNAME|GROUPS|DIRSTACK|EPOCH[A-Z]*|COLUMNS|LINES|PPID|UID|EUID)=")
ANVIL_LINE = re.compile(r"^[ \t]*(anvil(?:[ \t][^\n&]*)?)&[ \t]*(?:#.*)?$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    """One fenced block: its language, the rest of its info string, its text and first line."""

    lang: str
    info: str
    body: str
    line: int

    @property
    def norun(self) -> bool:
        return NORUN in self.info.split()[1:]

    @property
    def title(self) -> str | None:
        match = _TITLE.search(self.info)
        return match.group(1) if match else None

    @property
    def runs(self) -> bool:
        return self.lang in RUNS and not self.norun

    @property
    def writes(self) -> str | None:
        return self.title if self.lang == "toml" and not self.norun else None


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, in order."""
    found = []
    for match in _FENCE.finditer(text):
        info = match.group("info").strip()
        lang = info.split()[0] if info else ""
        found.append(Block(lang, info, match.group("body"), text.count("\n", 0, match.start()) + 1))
    return found


@dataclass(frozen=True)
class Node:
    """A node the reader is told to start (an ``anvil … &`` line)."""

    port: int
    chain_id: int
    block_time: float | None


def nodes(text: str) -> list[Node]:
    """The nodes a document starts, from its ``anvil … &`` lines, in order (one per port)."""
    found: dict[int, Node] = {}
    for match in ANVIL_LINE.finditer(text):
        args = shlex.split(match.group(1))[1:]
        opts = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("--")}
        port = int(opts.get("--port", opts.get("-p", 8545)))
        block_time = opts.get("--block-time", opts.get("-b"))
        found.setdefault(port, Node(port, int(opts.get("--chain-id", 31337)),
                                    float(block_time) if block_time is not None else None))
    return list(found.values())


@dataclass
class Run:
    """The outcome of running one document: what ran, what it printed, the Python namespace."""

    python: int = 0
    bash: int = 0
    written: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    namespace: dict[str, Any] = field(default_factory=dict)
    substitutions: int = 0


def _mirror(workdir: Path) -> None:
    for entry in ROOT.iterdir():
        if entry.name not in (".git",) and not (workdir / entry.name).exists():
            (workdir / entry.name).symlink_to(entry)


def _base_env(chains: list[LocalChain]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CHARTER_", "APE_FOUNDRY_", "PYTEST_")) and k not in ("VIRTUAL_ENV",)}
    path = [str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin"), env.get("PATH", "")]
    env["PATH"] = os.pathsep.join(path)
    env["PYTHONUNBUFFERED"] = "1"
    if chains:
        env["APE_FOUNDRY_HOST"] = chains[0].url
    return env


def _read_env(path: Path) -> dict[str, str]:
    pairs = path.read_bytes().split(b"\0")
    return dict(p.decode().split("=", 1) for p in pairs if b"=" in p)


@contextlib.contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_document(
    path: Path, workdir: Path, check: Callable[[Run], None] | None = None, timeout: float = 120
) -> Run:
    """Run the document at `path` as written (see the module's docstring) in `workdir`;
    `check(run)` is called after the last block, while the nodes still run."""
    text = path.read_text()
    found = blocks(text)
    result = Run()
    with contextlib.ExitStack() as stack:
        chains = [stack.enter_context(local_anvil(n.chain_id, block_time=n.block_time)) for n in nodes(text)]
        ports = {n.port: chain for n, chain in zip(nodes(text), chains, strict=True)}

        def substitute(body: str) -> str:
            for port, chain in ports.items():
                address = chain.url.removeprefix("http://")
                result.substitutions += body.count(f"127.0.0.1:{port}")
                body = re.sub(rf"127\.0\.0\.1:{port}(?!\d)", address, body)
            return body

        _mirror(workdir)
        state, env_file = workdir / ".docblocks-state.sh", workdir / ".docblocks-env"
        env = _base_env(chains)
        groups: list[int] = []
        stack.callback(_kill_groups, groups)
        cwd = workdir
        for block in found:
            where = f"{path.name}:{block.line}"
            if block.writes:
                (cwd / block.writes).write_text(substitute(block.body))
                result.written.append(block.writes)
            if not block.runs:
                continue
            body = substitute(block.body)
            if block.lang == "python":
                out = io.StringIO()
                with _environ(env), contextlib.chdir(cwd), contextlib.redirect_stdout(out):
                    try:
                        exec(compile(body, where, "exec"), result.namespace)  # noqa: S102 - the point
                    except BaseException as exc:
                        raise AssertionError(f"{where}: the python block failed: {exc!r}\n{out.getvalue()}") from exc
                result.python += 1
                result.output.append(out.getvalue())
                continue
            body = ANVIL_LINE.sub(lambda m: f": # started by the test: {m.group(1).strip()}", body)
            script = "\n".join([
                "set -euo pipefail",
                f"[ -f {shlex.quote(str(state))} ] && source {shlex.quote(str(state))}",
                f"cd {shlex.quote(str(cwd))}",
                body,
                f"{{ declare -p | grep -Ev {shlex.quote(_NOT_CARRIED)}; declare -f; }} > {shlex.quote(str(state))}",
                f"env -0 > {shlex.quote(str(env_file))}",
                f"pwd > {shlex.quote(str(state))}.cwd",
            ])
            log = workdir / f".docblocks-{block.line}.log"
            with log.open("w") as handle:
                process = subprocess.Popen(["bash", "-c", script], cwd=cwd, env=env, stdout=handle,
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
                groups.append(process.pid)
                try:
                    code = process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    code = -1
            output = log.read_text()
            assert code == 0, f"{where}: the bash block exited with {code}:\n{output[-4000:]}"
            env = _read_env(env_file)
            cwd = Path(Path(f"{state}.cwd").read_text().strip())
            result.bash += 1
            result.output.append(output)
        if check is not None:
            check(result)
    return result


def _kill_groups(groups: list[int]) -> None:
    """Stop what a bash block left running (its background processes share its process group)."""
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    if groups:
        time.sleep(0.2)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

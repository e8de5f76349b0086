"""docs/ape.md's session, replayed in a real `ape console` against a fresh anvil.

The inputs (``In [n]: ...``) are run in order, one cell each, by ``ape console
--network ethereum:local:foundry -c`` with ape_console_extras.py loaded from
the project root; everything it prints must be the page's output lines, in
order, with only transaction hashes and fees normalised (they vary from run to
run). Any change of an input, an output or the console's scope fails here.
"""

from __future__ import annotations

import re
import subprocess

from ape_helpers import APE, NETWORK, ROOT, ape_env

from charter.devchain import local_anvil

DOC = ROOT / "docs" / "ape.md"
_IN = re.compile(r"^In \[(\d+)\]: (.*)$")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_FEES = re.compile(r"total fees paid = \d+")


def transcript() -> tuple[list[str], list[str]]:
    """The inputs and the output lines of the page's ```ipython block."""
    text = DOC.read_text()
    blocks = re.findall(r"```ipython\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/ape.md has exactly one ```ipython transcript"
    inputs, outputs = [], []
    for line in blocks[0].splitlines():
        match = _IN.match(line)
        if match:
            assert int(match.group(1)) == len(inputs) + 1, f"cells are numbered from 1 in order: {line}"
            inputs.append(match.group(2))
        elif line.strip():
            outputs.append(line)
    return inputs, outputs


def normalised(lines: list[str]) -> list[str]:
    return [_FEES.sub("total fees paid = <fees>", _HASH.sub("<hash>", line.rstrip())) for line in lines]


def test_the_transcript_is_well_formed():
    inputs, outputs = transcript()
    assert len(inputs) >= 15
    assert all("\\" not in line for line in inputs), "`ape console -c` would unescape backslashes"
    used = " ".join(inputs)
    for name in ("charter", "registry.", "sessions.", "accounts.", "settler."):
        assert name in used, f"the session uses {name}"
    for step in ("registry.register(", "sessions.sign(", "sessions.execute(", "sessions.revoke(", "settler.open("):
        assert step in used
    assert any(line.startswith("Out[") for line in outputs)


def test_console_session_replays_as_documented():
    inputs, expected = transcript()
    with local_anvil() as chain:  # fresh: the console deploys the suite, as the page shows
        out = subprocess.run(
            [APE, "console", "--network", NETWORK, "-c", "\n".join(inputs)],
            check=False, cwd=ROOT, env=ape_env(chain.url, NO_COLOR="1"), capture_output=True, text=True,
            timeout=600,
        )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr and "Error" not in out.stdout, out.stdout + out.stderr
    actual = [line for line in out.stdout.splitlines() if line.strip()]
    assert normalised(actual) == normalised(expected)

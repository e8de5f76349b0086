"""README.md's tours and every tutorial run as written: their code blocks are extracted and executed.

The convention (which blocks run, how, the ``norun`` marker, ``toml
title="FILE"`` blocks written to disk, the nodes a document starts and the
``127.0.0.1:PORT`` substitution) is in the docstring of ``docblocks.py``
beside this file. Each document runs against its own fresh anvil(s) on free
ports; nothing here uses ape's provider (``ape test tests`` runs it too).
"""

from __future__ import annotations

import pytest

from .docblocks import ROOT, Block, Run, blocks, nodes, run_document

TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.md"))


# ---------------------------------------------------------------- the extractor


def test_blocks_by_language_in_order():
    text = ("intro\n```python\nx = 1\n```\n\n```bash\necho hi\n```\n"
            "```toml title=\"a.toml\"\nk = 1\n```\n```\nplain\n```\n")
    found = blocks(text)
    assert [(b.lang, b.body, b.line) for b in found] == [
        ("python", "x = 1\n", 2), ("bash", "echo hi\n", 6), ("toml", "k = 1\n", 9), ("", "plain\n", 12)]
    assert [b.runs for b in found] == [True, True, False, False]
    assert [b.writes for b in found] == [None, None, "a.toml", None]


def test_only_the_norun_word_skips_a_block():
    def block(info: str, body: str = "make test\n") -> Block:
        (found,) = blocks(f"```{info}\n{body}```\n")
        return found

    assert not block("bash norun").runs
    assert not block("python norun").runs
    assert block("bash").runs
    assert block("bash", "echo norun\n").runs              # the word in the body does not count
    assert block('bash title="norun"').runs                # nor as a value
    assert not block("bash-norun").runs                    # another language: shown, never run
    assert not block("norun").runs                         # a language named norun is no bash
    assert block("toml norun title=\"x.toml\"").writes is None
    assert not block("sh").runs and not block("console").runs and not block("text").runs


def test_nodes_from_anvil_lines():
    text = (
        "```sh\nanvil &\n```\n"
        "```sh\nanvil --port 8546 --chain-id 31338 --block-time 1 --mixed-mining &   # chain B\n```\n"
        "```bash\nanvil --port 8545 &\nanvil --help\n```\n"
    )
    assert [(n.port, n.chain_id, n.block_time) for n in nodes(text)] == [(8545, 31337, None), (8546, 31338, 1.0)]


def test_a_failing_block_fails_the_document(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("```bash\nexport A=1\n```\n```python\nimport os\nassert os.environ['A'] == '1'\n```\n"
                   "```bash\ntest \"$A\" = 1\nfalse\necho never\n```\n")
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(AssertionError, match=r"doc.md:8: the bash block exited with 1"):
        run_document(doc, work)


def test_state_carries_between_blocks_and_files_are_written(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```bash\nexport GREETING=hello\nmkdir sub && cd sub\nshout() { echo \"$1!\"; }\n```\n"
        "```toml title=\"conf.toml\"\nrpc = \"http://127.0.0.1:8545\"\n```\n"
        "```bash norun\nexit 1\n```\n"
        "```bash\nshout \"$GREETING\" > out.txt\n```\n"
        "```python\nimport os\nseen = (os.environ['GREETING'], open('out.txt').read(), os.getcwd())\n```\n"
        "```sh\nanvil &\n```\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    run = run_document(doc, work)
    assert (run.bash, run.python, run.written) == (2, 1, ["conf.toml"])
    assert run.namespace["seen"] == ("hello", "hello!\n", str(work / "sub"))
    rpc = (work / "sub" / "conf.toml").read_text()  # written in the directory the blocks before it left
    assert "127.0.0.1:8545" not in rpc and rpc.startswith('rpc = "http://127.0.0.1:')
    assert run.substitutions == 1


# ---------------------------------------------------------------- the documents


def test_the_tutorials_are_these():
    assert [p.name for p in TUTORIALS] == ["backed-reputation.md", "cross-chain-intent.md", "first-session.md"]


def test_readme_tours_run_as_written(tmp_path):
    def check(run: Run) -> None:
        assert run.python >= 3 and run.bash >= 3 and run.substitutions >= 1
        ns = run.namespace
        assert ns["sessions"].state(ns["signed"]).status.name == "REVOKED_ALL"
        assert "OverBudget" in "".join(run.output)
        assert ns["intents"].status(ns["order"]).name == "SETTLED"
        out = "".join(run.output)  # the ape sequence, each `ape run` attached to the same node
        assert "issued on-chain" in out and "epoch now" in out
        assert "(origin): SETTLED" in out and ": paused" in out

    run_document(ROOT / "README.md", tmp_path, check)


def test_first_session_tutorial_runs_as_written(tmp_path):
    def check(run: Run) -> None:
        assert run.python >= 4 and run.bash >= 4 and run.substitutions >= 1
        out = "".join(run.output)
        assert "OutOfScope" in out and "OverBudget" in out and "GrantRevoked" in out
        assert out.count("refused with exit code 3") == 2  # the shell path's two refusals

    run_document(ROOT / "docs" / "tutorials" / "first-session.md", tmp_path, check)


def test_cross_chain_tutorial_runs_as_written(tmp_path):
    def check(run: Run) -> None:
        assert run.python >= 2 and run.bash >= 3 and set(run.written) == {"solve.toml", "relay.toml"}
        ns = run.namespace
        assert ns["intents"].status(ns["order"], ns["destination"]).name == "SETTLED"
        out = "".join(run.output)
        assert "OPEN\nFILLED\nSETTLED\n" in out  # the loop saw each stage
        assert "solver: 1 filled" in out and "relayer: 1 settled" in out  # stopped cleanly, with their summaries

    run_document(ROOT / "docs" / "tutorials" / "cross-chain-intent.md", tmp_path, check)


def test_backed_reputation_tutorial_runs_as_written(tmp_path):
    def check(run: Run) -> None:
        assert run.python >= 5 and run.bash >= 1 and run.substitutions >= 1
        ns = run.namespace
        backed = ns["backed"]
        assert (backed.count, backed.clients, backed.average) == (1, 1, 92.5)
        out = "".join(run.output)
        assert "SETTLED" in out and "recorded the order's receipt first" in out
        assert "alice again: ReceiptUsed" in out and "carol: NotACounterparty" in out
        assert "plain: 1 review(s), average 20" in out

    run_document(ROOT / "docs" / "tutorials" / "backed-reputation.md", tmp_path, check)


def test_multichain_page_runs_as_written(tmp_path):
    def check(run: Run) -> None:
        assert run.python >= 4 and run.bash >= 4 and run.substitutions >= 2
        ns = run.namespace
        multi, a, b = ns["multi"], ns["a"], ns["b"]
        assert multi.chain_ids == [31337, 31338]
        assert a.state(multi.entry(31337)).status.name == "REVOKED"
        assert b.state(multi.entry(31338)).native_spent == 1_500
        out = "".join(run.output)
        assert "chain 31337: OverBudget, 500 wei left" in out and "REVOKED ACTIVE" in out
        assert "signed once off-chain for chains 31337, 31338" in out  # the CLI's grant
        assert "chain 31338: pending (not used yet)" in out  # grant show, before the agent's first call
        assert "entry for chain 31338 was activated first" in out  # session exec: the first use
        assert "1 call made from" in out and "revoked on chain 31337" in out
        assert "chain 31337: revoked" in out and "chain 31338: revoked" in out  # --everywhere, read back

    run_document(ROOT / "docs" / "multichain.md", tmp_path, check)

"""The ape scripts on bad input: one line ``Error: ...``, no traceback, the
exception name at most once; ``--sender`` is the ape account, ``--account``
the Charter account (as in the CLI)."""

from __future__ import annotations

from test_ape_scripts import ape_run, chain  # noqa: F401 - fixtures (tests/scripts is on sys.path)


def _refused(out) -> str:  # noqa: ANN001
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "Traceback" not in text, text
    (line,) = [line for line in text.splitlines() if line.startswith("Error: ")]
    return line


def test_script_inputs_are_one_line_errors(chain, ape_run, tmp_path):  # noqa: F811
    assert ape_run("deploy").returncode == 0
    line = _refused(ape_run("agent", "pause", "999999"))
    assert line.count("UnknownAgent") == 1

    line = _refused(ape_run("register", "--sender", "no-such-alias"))
    assert "no ape account is named 'no-such-alias'" in line

    for bad in ("zz", "0x12"):
        _refused(ape_run("revoke", bad))
    assert "not a valid address" in _refused(ape_run("revoke", "--all", "--account", "0xbad"))
    assert "not a valid address" in _refused(ape_run("sessions", "nothex"))

    missing = tmp_path / "missing.json"
    line = _refused(ape_run("agent", "show", "1", "--manifest", str(missing)))
    assert "does not exist" in line and not missing.exists()

    key, target = "0x" + "22" * 20, "0x" + "33" * 20
    line = _refused(ape_run("grant", "--agent", "1", "--key", key, "--allow", f"{target}:multicall(bytes[])",
                            "--valid-for", "1h"))
    assert "execute-like" in line and "--force-execute-like" in line

    old = ape_run("register", "--account", "alice")  # the signer's alias is --sender now
    assert old.returncode == 2 and "No such option" in old.stdout + old.stderr

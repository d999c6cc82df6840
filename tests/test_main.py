"""The `actionbot` entry point: sub-commands are discovered and help works."""

import subprocess
import sys

from actionbot.__main__ import build_parser, main
from actionbot.cli import command_modules


def test_every_command_module_registers_a_runnable_subcommand():
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    for name in command_modules():
        assert name.replace("_", "-") in choices or name in choices


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: actionbot" in capsys.readouterr().err


def test_version_and_help_exit_0_and_usage_errors_2(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("actionbot ")
    assert main(["parse", "--help"]) == 0
    assert "usage: actionbot parse" in capsys.readouterr().out
    assert main(["parse", "--no-such-flag"]) == 2
    assert "actionbot parse: error: the following arguments are required: FILE" in capsys.readouterr().err


def test_a_sub_command_loads_only_its_own_module(tmp_path):
    """`python -m actionbot parse` as a process (the smoke test of the entry point and of parse);
    Python's import log shows it never loads the web service."""
    notes = tmp_path / "notes.md"
    notes.write_text("## Next actions\n\n- Ana to draft the roadmap\n")
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "actionbot", "parse", str(notes)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Ana" in out.stdout
    imported = {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "actionbot.notes.parse" in imported  # the log is what it says
    assert not imported & {"aiohttp", "arq", "actionbot.service.app"}

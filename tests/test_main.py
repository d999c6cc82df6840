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


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "actionbot", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("actionbot ")


def test_a_sub_command_loads_only_its_own_module(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("## Next actions\n\n- Ana to draft the roadmap\n")
    code = (
        "import sys; from actionbot.__main__ import main; rc = main(['parse', sys.argv[1]]); "
        "heavy = sorted(m for m in ('aiohttp', 'arq', 'actionbot.service.app') if m in sys.modules); "
        "print('loaded', heavy); sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(notes)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Ana" in out.stdout and out.stdout.rstrip().endswith("loaded []")

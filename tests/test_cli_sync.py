"""`actionbot sync` against the fake GitHub: exit codes, messages, output.

In this process (`main(argv)` in a thread, the fake GitHub on the test's loop);
the first test's first run is the command as a process, its smoke test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import InProcessCLI, Ran, as_process
from tests.syncenv import REPO, action_issues, setup_repo

ROOT = Path(__file__).resolve().parent.parent


async def cli(runner: InProcessCLI | None, fake: Any, *args: str, token: str | None = "tok",
              env_api: bool = False) -> tuple[int, str, str]:
    """`actionbot sync ARGS` in process, or as a process when `runner` is None."""
    env = {} if token is None else {"GITHUB_TOKEN": token}
    argv = ["sync", *args, "--write-interval", "0"]
    if env_api:
        env["GITHUB_API_URL"] = fake.url
    else:
        argv += ["--api-url", fake.url]
    ran: Ran = await (as_process(*argv, env=env, cwd=ROOT) if runner is None else runner.arun(*argv, env=env, cwd=ROOT))
    return ran.code, ran.out, ran.err


@pytest.fixture
def fake(fake_github: Any) -> Any:
    setup_repo(fake_github)
    return fake_github


async def test_sync_applies_the_plan_and_exits_0_then_a_rerun_writes_nothing(fake: Any, cli_main: InProcessCLI) -> None:
    code, out, err = await cli(None, fake, REPO, env_api=True)  # as a process: the command's smoke test
    assert code == 0, err
    assert len(action_issues(fake)) == 9
    assert "done: open 'Write the incident report for the February outage'" in out
    fake.reset_log()
    code, out, err = await cli(cli_main, fake, REPO, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] and data["applied"] == [] and data["writes"] == 0 and len(data["unchanged"]) == 9
    assert fake.writes() == []


async def test_dry_run_prints_the_plan_and_writes_nothing(fake: Any, cli_main: InProcessCLI) -> None:
    fake.reset_log()
    code, out, err = await cli(cli_main, fake, REPO, "--dry-run")
    assert code == 0, err
    assert "dry run: nothing written" in out and "open 'Ask Dana about the conference budget'" in out
    assert fake.writes() == []


async def test_since_bounds_the_sync(fake: Any, cli_main: InProcessCLI) -> None:
    code, _, err = await cli(cli_main, fake, REPO, "--since", "2026-01-01")
    assert code == 0, err
    assert action_issues(fake) == []


async def test_writes_that_still_fail_exit_non_zero_and_a_rerun_finishes(fake: Any, cli_main: InProcessCLI) -> None:
    fake.fault("POST", rf"^/repos/{REPO}/issues$", "status", status=502, times=30)
    code, out, err = await cli(cli_main, fake, REPO)
    assert code == 1 and "write(s) failed; run again" in err and "Traceback" not in err
    assert "FAILED: open" in out
    fake.faults.clear()
    code, _, err = await cli(cli_main, fake, REPO)
    assert code == 0, err
    assert len(action_issues(fake)) == 9


async def test_secondary_limits_are_waited_out_within_the_run(fake: Any, cli_main: InProcessCLI) -> None:
    fake.fault("POST", rf"^/repos/{REPO}/issues$", "secondary_limit", retry_after=0, times=3)
    code, _, err = await cli(cli_main, fake, REPO)
    assert code == 0, err
    assert len(action_issues(fake)) == 9


@pytest.mark.parametrize(
    "args,token,code,message",
    [
        ((REPO,), None, 2, "no token: pass --token or set GITHUB_TOKEN"),
        ((REPO,), "wrong", 3, "the token is invalid or expired"),
        (("octo-org/nope",), "tok", 3, "repository octo-org/nope not found"),
        (("not-a-repo",), "tok", 2, "must be OWNER/NAME"),
        ((REPO, "--since", "May 2025"), "tok", 2, "--since must be a date"),
    ],
)
async def test_clear_errors_without_traceback(fake: Any, cli_main: InProcessCLI, args: tuple[str, ...], token: str | None, code: int, message: str) -> None:
    got, _, err = await cli(cli_main, fake, *args, token=token)
    assert got == code and message in err and "Traceback" not in err
    assert "wrong" not in err or token != "wrong"  # the token is never printed


async def test_invalid_configuration_exits_1_with_the_line(fake: Any, cli_main: InProcessCLI) -> None:
    fake.commit(REPO, {".github/actionbot.yml": "on_removed: delete\n"})
    code, _, err = await cli(cli_main, fake, REPO, "--no-check")
    assert code == 1 and ".github/actionbot.yml:1" in err and "comment, close, ignore" in err
    assert action_issues(fake) == []


async def test_a_missing_tracking_repository_is_named_as_such(fake: Any, cli_main: InProcessCLI) -> None:
    """Not 'repository <the notes repository> not found': the one GitHub does not find is the tracking one."""
    fake.commit(REPO, {".github/actionbot.yml": "tracking_repo: nobody/nowhere\n"})
    code, _, err = await cli(cli_main, fake, REPO, "--no-check")
    assert code == 1 and "`tracking_repo` nobody/nowhere was not found" in err and "Traceback" not in err, err
    assert f"repository {REPO} not found" not in err and action_issues(fake) == []

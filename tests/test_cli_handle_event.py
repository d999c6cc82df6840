"""GitHub Actions mode end to end: `actionbot sync` and `actionbot handle-event` with the
environment and event files GitHub Actions provides, against the fake GitHub.

In this process (`main(argv)` in a thread, the fake GitHub on the test's loop);
the push of the first test is handled by `actionbot handle-event` as a process,
the command's smoke test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from actionbot.cli.handle_event import ActionEnvError, read_env
from tests.clirun import InProcessCLI, as_process
from tests.deliveries import payload_for, push_payload
from tests.syncenv import EXAMPLE, NOTES, REPO, action_issues, head, setup_repo

TOKEN = "ghs_actionsWorkflowToken0000000000000"


def action_env(fake: Any, event_path: Path, event_name: str, **extra: str) -> dict[str, str]:
    """The variables a GitHub Actions step sees (the command sees no other of its own)."""
    env = dict(
        GITHUB_EVENT_PATH=str(event_path), GITHUB_EVENT_NAME=event_name, GITHUB_REPOSITORY=REPO,
        GITHUB_TOKEN=TOKEN, GITHUB_API_URL=fake.url, GITHUB_RUN_ID="1234", GITHUB_RUN_ATTEMPT="1",
        GITHUB_ACTIONS="true", ACTIONBOT_WRITE_INTERVAL="0",
    )
    env.update(extra)
    return env


def write_event(tmp_path: Path, name: str, payload: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(payload))
    return path


@pytest.fixture
def repo(fake_github: Any) -> Any:
    fake = fake_github
    setup_repo(fake)
    fake.add_token(TOKEN, repos=[REPO], login="github-actions[bot]")
    fake.add_collaborator(REPO, "carol", "write")
    return fake


async def test_action_mode_sync_push_comment_and_schedule(repo: Any, tmp_path: Path, cli_main: InProcessCLI) -> None:
    fake = repo
    # 1. The workflow's first run: `actionbot sync` with the workflow's token.
    code, out, err = await cli_main.arun("sync", REPO, "--write-interval", "0",
                                     env=action_env(fake, tmp_path / "none.json", "workflow_dispatch"))
    assert code == 0, err
    first = {i["title"] for i in action_issues(fake)}
    assert first and any("incident report" in t for t in first)

    # 2. A push to the default branch, handled by `handle-event` (the same handler as the service).
    before = head(fake)
    fake.commit(REPO, files={NOTES: EXAMPLE + "- Order the stickers (Carol)\n"}, message="one more")
    event = write_event(tmp_path, "push", push_payload(fake, REPO, before=before, after=head(fake)))
    code, out, err = await as_process("handle-event", env=action_env(fake, event, "push"))  # the smoke test
    assert code == 0, err
    titles = [i["title"] for i in action_issues(fake)]
    assert "Order the stickers" in titles and len(titles) == len(set(titles)) == len(first) + 1
    assert out.startswith("push: handled")

    # 3. `@actionbot done` in a comment on an item's issue (issue_comment workflow).
    issue = next(i for i in action_issues(fake) if "incident report" in i["title"])
    comment = fake.add_comment(REPO, issue["number"], "@actionbot done", user="carol")
    payload = payload_for(fake, "issue_comment", "created", REPO, number=issue["number"], comment_id=comment.id, sender="carol")
    event = write_event(tmp_path, "comment", payload)
    code, out, err = await cli_main.arun("handle-event", env=action_env(fake, event, "issue_comment"))
    assert code == 0, err
    assert fake.issue_json(REPO, issue["number"])["state"] == "closed"

    # The same comment from a bot: ignored, exit 0, no GitHub request.
    fake.reset_log()
    bot_payload = payload_for(fake, "issue_comment", "created", REPO, number=issue["number"], comment_id=comment.id,
                              sender="other-bot[bot]", sender_type="Bot")
    code, out, err = await cli_main.arun("handle-event", env=action_env(fake, write_event(tmp_path, "bot", bot_payload), "issue_comment"))
    assert (code, fake.requests) == (0, [])
    assert "ignored (sent by a bot)" in out

    # 4. A push GitHub Actions never ran (missed): the scheduled workflow's resync repairs it.
    fake.commit(REPO, files={NOTES: EXAMPLE + "- Order the stickers (Carol)\n- Renew the domain (Carol)\n"})
    event = write_event(tmp_path, "schedule", {"schedule": "17 */6 * * *"})
    code, out, err = await cli_main.arun("handle-event", env=action_env(fake, event, "schedule"))
    assert code == 0, err
    titles = [i["title"] for i in action_issues(fake)]
    assert "Renew the domain" in titles and len(titles) == len(set(titles))


async def test_handle_event_failures_are_one_clear_line(repo: Any, tmp_path: Path, cli_main: InProcessCLI) -> None:
    fake = repo
    env = action_env(fake, tmp_path / "missing.json", "issue_comment")
    del env["GITHUB_TOKEN"]
    code, out, err = await cli_main.arun("handle-event", env=env)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "GITHUB_TOKEN" in err

    code, out, err = await cli_main.arun("handle-event", env=action_env(fake, tmp_path / "missing.json", "issue_comment"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot be read" in err and "missing.json" in err

    (tmp_path / "bad.json").write_text("{not json")
    code, out, err = await cli_main.arun("handle-event", env=action_env(fake, tmp_path / "bad.json", "push"))
    assert code == 2 and "not a JSON event payload" in err

    # GitHub refuses the token: exit 1, one line, the token never printed.
    issue = fake.add_issue(REPO, "an issue")
    comment = fake.add_comment(REPO, issue.number, "@actionbot status", user="carol")
    payload = payload_for(fake, "issue_comment", "created", REPO, number=issue.number, comment_id=comment.id, sender="carol")
    env = action_env(fake, write_event(tmp_path, "c", payload), "issue_comment", GITHUB_TOKEN="ghs_revokedToken000000000000000000")
    code, out, err = await cli_main.arun("handle-event", env=env)
    assert code == 1, (out, err)
    assert len(err.strip().splitlines()) == 1 and "401" in err and "ghs_revoked" not in err

    # An event no handler wants: exit 0.
    code, out, err = await cli_main.arun("handle-event", env=action_env(fake, write_event(tmp_path, "star", {"action": "created"}), "star"))
    assert code == 0 and "ignored" in out


async def test_a_reconcile_that_left_writes_undone_exits_1(repo: Any, tmp_path: Path, cli_main: InProcessCLI) -> None:
    """Failed writes are reported by the reconcile, not raised: the exit code still says so."""
    fake = repo
    before = head(fake)
    fake.commit(REPO, files={NOTES: EXAMPLE + "- Order the stickers (Carol)\n"}, message="one more")
    fake.fault("POST", rf"^/repos/{REPO}/issues$", "status", status=422, times=1000)  # GitHub refuses every create
    event = write_event(tmp_path, "push", push_payload(fake, REPO, before=before, after=head(fake)))
    code, out, err = await cli_main.arun("handle-event", env=action_env(fake, event, "push"))
    assert code == 1, (out, err)
    [line] = [x for x in err.splitlines() if x.startswith("actionbot handle-event:")]  # the rest is the log
    assert "push not fully applied" in line and "write(s) failed" in line and "422" in line and TOKEN not in line
    assert "open 'Write the incident report" in line and "and 9 more" in line  # names what failed

    fake.faults.clear()
    code, out, err = await cli_main.arun("handle-event", env=action_env(fake, event, "push"))  # the redelivery finishes it
    assert code == 0, err
    assert "Order the stickers" in [i["title"] for i in action_issues(fake)]


def test_sync_failures_follow_the_sync_rule() -> None:
    from types import SimpleNamespace

    from actionbot.cli.handle_event import sync_failures
    from actionbot.engine.report import SyncReport

    ok = SyncReport(repo=REPO, tracking_repo=REPO)
    followed = SyncReport(repo=REPO, deferred=("op",), follow_up=True)  # type: ignore[arg-type]
    preview = SyncReport(repo=REPO, dry_run=True, deferred=("op",))  # type: ignore[arg-type]
    assert sync_failures([ok, followed, preview]) == []
    stuck = SyncReport(repo=REPO, deferred=("op", "op"))  # type: ignore[arg-type]
    assert sync_failures([stuck]) == [f"{REPO}: 2 operation(s) not applied (over the write cap)"]
    bad = SyncReport(repo=REPO, config_error=SimpleNamespace(path=".github/actionbot.yml", line=3, message="unknown key"))  # type: ignore[arg-type]
    assert sync_failures([bad]) == [f"{REPO}: invalid configuration .github/actionbot.yml:3: unknown key"]


def test_read_env_names_every_missing_variable() -> None:
    with pytest.raises(ActionEnvError, match="GITHUB_EVENT_PATH, GITHUB_TOKEN are not set"):
        read_env({"GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "o/r"})
    env = read_env({"GITHUB_EVENT_PATH": "/e.json", "GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": "s3cr3t"})
    assert env.api_url == "https://api.github.com" and "s3cr3t" not in repr(env)
    with pytest.raises(ActionEnvError, match="owner/name"):
        read_env({"GITHUB_EVENT_PATH": "/e", "GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "nope", "GITHUB_TOKEN": "t"})

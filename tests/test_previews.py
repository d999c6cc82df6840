"""A pull request's preview obeys the base branch's configuration; bad configuration is one line in the check run.

The deliveries go through every feature's handlers, as the service dispatches them, over the in-memory GitHub."""

from __future__ import annotations

import json

import pytest

from tests.fakestore import MemoryGitHub, MemoryStore
from tests.handlerenv import Handlers
from tests.syncenv import CONFIG, EXAMPLE, NOTES, REPO, action_issues, head, pr_payload, push_payload

CONFIG_PATH = ".github/actionbot.yml"
BIG_NOTES = "# Team meeting, 2025-05-12\n\n## Next actions\n\n" + "".join(f"- Fix item {i}\n" for i in range(100_000))


def _output(fake: MemoryStore) -> str:
    return json.dumps(fake.check_runs(REPO)[-1]["output"])


@pytest.fixture
def fake(memory_github: MemoryGitHub) -> MemoryStore:
    """The notes repository of installation 42, the one `pr_payload` and `push_payload` name."""
    return memory_github.store


async def test_a_pull_request_can_not_raise_its_own_file_limit(fake: MemoryStore, handlers: Handlers) -> None:
    first = head(fake)
    assert len(BIG_NOTES) > 1_000_000
    pr_head = fake.commit(
        REPO, {CONFIG_PATH: CONFIG + "max_file_bytes: 5000000\n", NOTES: BIG_NOTES}, branch="notes-update"
    )
    await handlers.send("pull_request", pr_payload(fake, "opened", first, pr_head))
    output = _output(fake)
    assert "over max_file_bytes (1000000)" in output  # the base branch's limit, not the pull request's
    assert "Fix item" not in output


async def test_a_pull_request_s_broken_configuration_is_shown_but_the_base_one_previews(fake: MemoryStore, handlers: Handlers) -> None:
    first = head(fake)
    notes = EXAMPLE.replace("- [x] Rotate", "- Brand new thing (Carol)\n- [x] Rotate")
    pr_head = fake.commit(REPO, {CONFIG_PATH: CONFIG + "max_file_bytes: 50000000\n", NOTES: notes}, branch="notes-update")
    await handlers.send("pull_request", pr_payload(fake, "opened", first, pr_head))
    output = _output(fake)
    assert "at most 5000000" in output and "the preview does not use" in output
    assert "Brand new thing" in output  # previewed with the base branch's configuration


async def test_a_control_character_in_the_configuration_is_one_line_in_the_check_run(fake: MemoryStore, handlers: Handlers) -> None:
    first = head(fake)
    sha = fake.commit(REPO, {CONFIG_PATH: CONFIG + 'sections: ["a\x01"]\n'})
    await handlers.send("push", push_payload(fake, first, sha))  # handled, not raised
    run = fake.check_runs(REPO)[-1]
    assert run["head_sha"] == sha
    assert "control character U+0001" in json.dumps(run["output"]) and "Traceback" not in json.dumps(run["output"])


async def test_a_missing_tracking_repository_is_named_as_such(fake: MemoryStore, handlers: Handlers) -> None:
    first = head(fake)
    before = len(action_issues(fake))
    sha = fake.commit(REPO, {CONFIG_PATH: CONFIG + "tracking_repo: nobody/nowhere\n"})
    await handlers.send("push", push_payload(fake, first, sha))
    output = _output(fake)
    assert "`tracking_repo` nobody/nowhere was not found" in output
    assert len(action_issues(fake)) == before

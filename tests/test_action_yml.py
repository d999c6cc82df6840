"""`action.yml`: the composite action runs the right commands, and the README's workflow fits it.

The steps' shell scripts are run for real with bash, against a stand-in
`actionbot` that records its arguments and environment, with the variables the
runner and the step's `env:` would give them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EVENT_STEPS = {"issue_comment", "issues", "pull_request"}
PERMISSIONS = {"contents": "read", "issues": "write", "pull-requests": "read", "checks": "write"}


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def step(action: dict, name: str) -> dict:
    (found,) = [s for s in action["runs"]["steps"] if s.get("name") == name]
    return found


def events_in_condition(condition: str) -> tuple[bool, set[str]]:
    """`(negated, events)` of an `if:` of the form `[!]contains(fromJSON('[...]'), github.event_name)`."""
    m = re.fullmatch(
        r"\$\{\{\s*(!?)contains\(fromJSON\('(\[.*\])'\),\s*github\.event_name\)\s*\}\}", condition.strip()
    )
    assert m, f"unexpected condition shape: {condition}"
    return m.group(1) == "!", set(json.loads(m.group(2)))


def runs_for(condition: str, event: str) -> bool:
    negated, events = events_in_condition(condition)
    return (event in events) != negated


def test_is_a_composite_action_with_the_documented_inputs(action):
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert set(inputs) == {"token", "since", "dry-run"}
    assert inputs["token"]["default"] == "${{ github.token }}"
    assert inputs["dry-run"]["default"] == "false"
    assert all(s.get("shell") == "bash" for s in action["runs"]["steps"] if "run" in s)


def test_installs_from_the_actions_own_path(action):
    install = step(action, "Install actionbot")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert re.search(r'-m pip install .*"\$ACTION_PATH"', install["run"])
    setup = step(action, "Set up Python for actionbot")
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["update-environment"] is False


def test_inputs_reach_scripts_only_through_env(action):
    """`${{ inputs.* }}` pasted into a script is a shell-injection hole; env vars are not."""
    for s in action["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), s["name"]


@pytest.mark.parametrize("event", ["push", "schedule", "workflow_dispatch", *sorted(EVENT_STEPS)])
def test_each_event_runs_exactly_one_command(action, event):
    sync, handle = step(action, "actionbot sync"), step(action, "actionbot handle-event")
    assert runs_for(sync["if"], event) == (event not in EVENT_STEPS)
    assert runs_for(handle["if"], event) == (event in EVENT_STEPS)


def _run(script: str, tmp_path: Path, env: dict[str, str]) -> list[dict]:
    """Run a step's script with bash and a recording stand-in for actionbot."""
    bindir = tmp_path / "actionbot-venv" / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "calls.jsonl"
    fake = bindir / "actionbot"
    fake.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(json.dumps({'argv': sys.argv[1:], 'token': os.environ.get('GITHUB_TOKEN')}) + '\\n')\n"
    )
    fake.chmod(0o755)
    base = {"PATH": "/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path), "GITHUB_REPOSITORY": "jupyterhub/team-compass"}
    subprocess.run(
        [shutil.which("bash") or "bash", "-euo", "pipefail", "-c", script], env={**base, **env}, cwd=tmp_path, check=True
    )
    return [json.loads(line) for line in log.read_text().splitlines()]


def _step_env(s: dict, inputs: dict[str, str]) -> dict[str, str]:
    """The step's `env:` with `${{ inputs.X }}` resolved, as the runner would."""
    resolved = {}
    for key, value in s.get("env", {}).items():
        m = re.fullmatch(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", value)
        if m:
            resolved[key] = inputs[m.group(1)]
    return resolved


@pytest.mark.parametrize(
    ("since", "dry_run", "expected"),
    [
        ("", "false", ["sync", "jupyterhub/team-compass"]),
        ("2024-01-01", "true", ["sync", "jupyterhub/team-compass", "--since", "2024-01-01", "--dry-run"]),
        ('x" $(touch pwned) "', "false", ["sync", "jupyterhub/team-compass", "--since", 'x" $(touch pwned) "']),
    ],
)
def test_sync_step_passes_repository_inputs_and_token(action, tmp_path, since, dry_run, expected):
    s = step(action, "actionbot sync")
    inputs = {"token": "ghs_workflowtoken", "since": since, "dry-run": dry_run}
    calls = _run(s["run"], tmp_path, _step_env(s, inputs))
    assert calls == [{"argv": expected, "token": "ghs_workflowtoken"}]
    assert not list(tmp_path.rglob("pwned"))


def test_handle_event_step(action, tmp_path):
    s = step(action, "actionbot handle-event")
    inputs = {"token": "ghs_workflowtoken", "since": "", "dry-run": "false"}
    calls = _run(s["run"], tmp_path, _step_env(s, inputs))
    assert calls == [{"argv": ["handle-event"], "token": "ghs_workflowtoken"}]


def readme_workflow() -> dict:
    readme = (ROOT / "README.md").read_text()
    deploy = readme.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", deploy, re.S)
    workflows = [yaml.safe_load(b) for b in blocks if "jobs:" in b]
    assert len(workflows) == 1, "the Deploy section should show one example workflow"
    return workflows[0]


def test_readme_workflow_matches_the_action(action):
    wf = readme_workflow()
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert wf["permissions"] == PERMISSIONS
    assert "paths" in on["push"], "sync on pushes touching the notes"
    # every event the action hands to handle-event is one the workflow listens to
    _, handled = events_in_condition(step(action, "actionbot handle-event")["if"])
    assert handled <= set(on)
    assert on["issue_comment"]["types"] == ["created"]
    # one run per repository at a time, queued rather than cancelled (the only lock in this mode)
    assert wf["concurrency"] == {"group": "actionbot-${{ github.repository }}", "cancel-in-progress": False}
    assert "group: actionbot-${{ github.repository }}" in (ROOT / "action.yml").read_text()
    (job,) = wf["jobs"].values()
    (uses,) = [s for s in job["steps"] if "uses" in s]
    assert re.fullmatch(r"[\w.-]+/actionbot@[\w./-]+", uses["uses"])
    assert set(uses.get("with", {})) <= set(action["inputs"])


def test_readme_permissions_are_the_manifests():
    """The Action's token needs what the App asks for (metadata is implicit for tokens)."""
    from actionbot.setup.manifest import PERMISSIONS as APP

    wanted = {k.replace("_", "-"): v for k, v in APP.items() if k != "metadata"}
    assert readme_workflow()["permissions"] == wanted

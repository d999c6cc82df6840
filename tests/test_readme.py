"""README's promises that CI depends on, and its claims that must stay true of the code."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def test_ci_runs_exactly_the_readme_test_command():
    readme = README.read_text()
    test_command = next(line for line in readme.splitlines() if "python -m pytest" in line and "pip install" in line)
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert test_command.strip() in [line.strip() for line in ci_lines]


# ---------------------------------------------------------------- flags


def subparsers() -> dict[str, argparse.ArgumentParser]:
    """Every `actionbot` sub-command's parser, as the CLI builds them."""
    from actionbot.__main__ import build_parser

    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def code_texts(markdown: str) -> Iterator[str]:
    """Inline code spans and the lines of fenced blocks (a line that continues a
    command, indented and starting with `[`, is joined to the line before)."""
    fenced = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
    for block in fenced.findall(markdown):
        joined: list[str] = []
        for line in block.splitlines():
            if joined and re.match(r"\s+\[", line):
                joined[-1] += " " + line.strip()
            else:
                joined.append(line)
        yield from joined
    yield from re.findall(r"`([^`\n]+)`", fenced.sub("", markdown))


def flag_mentions(markdown: str, commands: set[str]) -> list[tuple[str, str]]:
    """(sub-command, --flag) for every flag written after `actionbot <sub-command>`
    (or a code span starting with the sub-command's name, e.g. `serve --port/--host`)."""
    names = "|".join(sorted(map(re.escape, commands), key=len, reverse=True))
    start = re.compile(rf"(?:\bactionbot\s+|^)({names})(?![\w-])")
    found = []
    for text in code_texts(markdown):
        hits = list(start.finditer(text))
        for k, m in enumerate(hits):
            end = hits[k + 1].start() if k + 1 < len(hits) else len(text)
            # a shell comment or a second command ends the mention
            segment = re.split(r"\s#\s|&&|;", text[m.end() : end])[0]
            found += [(m.group(1), flag) for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", segment)]
    return found


def test_flag_mentions_are_found_the_way_the_readme_writes_them():
    """The extractor itself: it must see the forms the README uses, or the next test proves nothing."""
    text = (
        "Run `actionbot sync OWNER/NAME --since 2024-01-01 --dry-run` or `serve --port/--host`.\n"
        "```sh\nactionbot sync OWNER/NAME [--token T]\n               [--write-interval SECONDS]\n"
        ".venv/bin/pip install -q --upgrade . && .venv/bin/actionbot plan x.md --config c.yml   # --org ORG\n```\n"
    )
    assert sorted(flag_mentions(text, {"sync", "serve", "plan"})) == sorted([
        ("sync", "--since"), ("sync", "--dry-run"), ("serve", "--port"), ("serve", "--host"),
        ("sync", "--token"), ("sync", "--write-interval"), ("plan", "--config"),
    ])


def test_every_flag_the_readme_gives_a_sub_command_exists():
    parsers = subparsers()
    mentions = flag_mentions(README.read_text(), set(parsers))
    # the README documents these; if the extractor stops seeing them, it is broken
    assert {("sync", "--write-interval"), ("plan", "--config"), ("register", "--webhook-url"), ("redeliver", "--since")} <= set(mentions)
    unknown = sorted({(cmd, flag) for cmd, flag in mentions if flag not in parsers[cmd]._option_string_actions})
    assert not unknown, f"README.md mentions flags that `actionbot <cmd> --help` does not have: {unknown}"


def test_every_flag_written_alone_belongs_to_some_sub_command():
    """Flags in prose (`--env-file`, `--write-interval`) name no sub-command: each must exist in one."""
    parsers = subparsers()
    known = {flag for p in parsers.values() for flag in p._option_string_actions}
    alone = {m.group(1) for text in code_texts(README.read_text()) if (m := re.match(r"(--[a-z][a-z0-9-]*)", text))}
    assert {"--env-file", "--write-interval"} <= alone
    assert not alone - known, f"README.md mentions flags no sub-command has: {sorted(alone - known)}"


def test_every_sub_command_is_in_the_readme():
    readme = README.read_text()
    missing = [name for name in subparsers() if f"actionbot {name}" not in readme]
    assert not missing, f"README.md never shows these sub-commands: {missing}"


# ---------------------------------------------------------------- environment


class Recording(dict):
    """An environment that remembers every variable the code asks it for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):  # type: ignore[override]
        self.asked.add(key)
        return super().__getitem__(key)


def service_variables() -> set[str]:
    """What `actionbot serve` reads: settings.py (run for real) and Sentry's in errors.py."""
    from actionbot.service.settings import Settings, SettingsError

    env = Recording()
    with pytest.raises(SettingsError):  # nothing is set: every variable is still read once
        Settings.from_env(env)
    errors_py = (ROOT / "actionbot" / "service" / "errors.py").read_text()
    return env.asked | set(re.findall(r"env\.get\(\"([A-Z_]+)\"", errors_py))


def readme_env_table() -> set[str]:
    section = README.read_text().split("\n## Run the service\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_environment_table_is_what_the_service_reads():
    table, read = readme_env_table(), service_variables()
    assert "GITHUB_WEBHOOK_SECRET" in read and "SENTRY_DSN" in read  # the recording works
    assert not table - read, f"README.md's environment table lists variables nothing reads: {sorted(table - read)}"
    assert not read - table, f"variables the service reads that README.md's table omits: {sorted(read - table)}"


def test_app_json_variables_are_documented():
    app = json.loads((ROOT / "app.json").read_text())
    missing = set(app["env"]) - readme_env_table()
    assert not missing, f"app.json sets variables README.md's environment table does not explain: {sorted(missing)}"


# ---------------------------------------------------------------- configuration


def test_configuration_reference_has_every_key_with_its_default():
    import yaml

    from actionbot.core.config import DEFAULT_CONFIG, load_config

    section = README.read_text().split("\n## Configuration\n", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    assert load_config(block) == DEFAULT_CONFIG, "README's configuration block must be exactly the defaults"
    documented = set(yaml.safe_load(block))
    keys = {f for f in DEFAULT_CONFIG.__dataclass_fields__ if not f.startswith("_")}
    assert documented == keys
    labels = yaml.safe_load(block)["labels"]
    assert set(labels) == set(DEFAULT_CONFIG.labels.__dataclass_fields__)


# ---------------------------------------------------------------- structure


def test_project_layout_lists_every_package_and_top_level_module():
    section = README.read_text().split("\n### Project layout\n", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    listed = set(re.findall(r"^  (\w+(?:\.py|/))", block, re.M))
    root = ROOT / "actionbot"
    present = {p.name for p in root.glob("*.py") if p.name != "__init__.py"}
    present |= {f"{p.name}/" for p in root.iterdir() if (p / "__init__.py").exists()}
    assert listed == present, f"README.md's project layout differs: missing {sorted(present - listed)}, extra {sorted(listed - present)}"
    assert "notes <- core <- engine <- {service, cli}" in section


def test_labels_table_has_every_default_label_name():
    from actionbot.core.config import Labels

    section = README.read_text().split("\n### Labels\n", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"^\| `([^`]+)` \|", section, re.M))
    defaults = {getattr(Labels(), f).replace("{date}", "YYYY-MM-DD") for f in Labels.__dataclass_fields__}
    assert names == defaults


def github_slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_internal_links_point_at_headings():
    readme = README.read_text()
    without_code = re.sub(r"^[ \t]*```.*?^[ \t]*```", "", readme, flags=re.S | re.M)
    slugs = {github_slug(h) for h in re.findall(r"^#{1,6} (.+)$", without_code, re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", readme))
    assert links and not links - slugs, f"README.md links to headings that do not exist: {sorted(links - slugs)}"

"""README's promises that CI depends on."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    test_command = next(line for line in readme.splitlines() if "python -m pytest" in line and "pip install" in line)
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert test_command.strip() in [line.strip() for line in ci_lines]

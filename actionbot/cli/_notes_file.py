"""What `parse` and `plan` share: a notes file read offline with an optional config file.

Both commands take the same FILE, --repo, --config and --format, and read the
file with the config's phrases, roster and size limit: one place keeps them the
same. The leading underscore keeps this module out of the sub-command list.
"""

from __future__ import annotations

import argparse
from typing import Any

from actionbot.core.config import DEFAULT_CONFIG, Config, load_config
from actionbot.notes.model import InputError, Notes
from actionbot.notes.parse import parse_notes, read_notes_file


def add_notes_file_arguments(p: Any, *, repo_help: str, config_help: str) -> None:
    """FILE, --repo, --config and --format, with the command's own help for --repo and --config."""
    p.add_argument("file", metavar="FILE", help="markdown notes file")
    p.add_argument("--repo", metavar="OWNER/NAME", help=repo_help)
    p.add_argument("--config", metavar="PATH", help=config_help)
    p.add_argument("--format", choices=("text", "json"), default="text")


def load_config_file(path: str | None) -> Config:
    """The Config in `path` (errors as InputError naming the file), or the defaults."""
    if not path:
        return DEFAULT_CONFIG
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise InputError(path, "no such config file; check the --config path") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory; give the path of .github/actionbot.yml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as UTF-8 text ({exc}); fix or re-save it") from None
    return load_config(text, path)


def read_notes(args: argparse.Namespace, config: Config) -> Notes:
    """The notes in args.file, read with the config's size limit, phrases and roster."""
    text = read_notes_file(args.file, max_bytes=config.max_file_bytes)
    return parse_notes(text, path=args.file, repo=args.repo, phrases=config.sections, people=config.people)

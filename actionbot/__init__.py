"""actionbot: meeting-note action items as tracked GitHub issues."""

__version__ = "0.1.0"

"""Pure: markdown meeting notes -> meetings, sections, items, owners, references."""

"""Pure: notes and issues -> plans, and the text actionbot writes to GitHub."""

"""Creating the GitHub App: its manifest and the registration flow."""

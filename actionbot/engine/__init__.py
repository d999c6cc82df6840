"""The reconcile: reads notes and issues through the GitHub client, applies plans."""

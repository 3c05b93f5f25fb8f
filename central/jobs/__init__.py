"""Scheduled jobs: one runner, a database lock per job, a recorded job run."""

"""Accounts: users, sign-in, passwords, personal API tokens."""

"""Cross-cutting pieces: clock, money, errors, audit, pagination, permissions, mail."""

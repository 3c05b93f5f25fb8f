"""Central's benchmark: builds a Flanders-size database on SQLite and PostgreSQL and times every
SPEC section 6 measure on both. Run it with `python -m bench.run --help`."""

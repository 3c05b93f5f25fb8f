"""Frameworks: framework agreements, lots, task types, prices, awards and accessions."""

"""Reports: statements, budgets, consumption, social impact, progress and open data."""

"""Field work and acceptance: results, photos, labour, contests and acceptance (rules 14–16)."""

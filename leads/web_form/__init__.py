"""The web form door: a campaign's public form (no login), its embed and its answers, captured
through the same path as the API and the CSV import."""

"""Browser tests: the users' journeys in Chromium against a live server."""

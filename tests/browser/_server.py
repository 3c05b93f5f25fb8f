"""Serve the demo app for the browser tests: `python _server.py PORT`, database from the env."""

import sys

from central import create_app
from central.cli import upgrade_database
from central.demo import load_demo
from central.jobs.registry import jobs
from central.jobs.runner import run_job

# The demo's past months billed, as the monthly job does: the member journey downloads an issued
# statement. (The demo itself holds the rounds the provider and member journeys work on.)
JOBS = ("issue-statements",)


def main(port: int) -> None:
    """Migrate the database, load the demo, run the jobs above and serve it on 127.0.0.1:PORT
    until terminated."""
    app = create_app("testing")
    with app.app_context():
        upgrade_database()
        load_demo()
        for name in JOBS:
            if name in jobs():
                run = run_job(name)
                if run.status != "succeeded":
                    sys.exit(f"job {name} ended {run.status}: {run.error}")
    app.run(host="127.0.0.1", port=port, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))

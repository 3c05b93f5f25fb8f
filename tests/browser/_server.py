"""Serve the demo app for the browser tests: `python _server.py PORT`, database from the env."""

import sys

from central import create_app
from central.cli import upgrade_database
from central.demo import load_demo


def main(port: int) -> None:
    """Migrate the database, load the demo and serve it on 127.0.0.1:PORT until terminated."""
    app = create_app("testing")
    with app.app_context():
        upgrade_database()
        load_demo()
    app.run(host="127.0.0.1", port=port, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))

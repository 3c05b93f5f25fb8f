"""Build step beside pyproject.toml: a wheel carries the top-level migrations/ and templates/
inside the package (central/migrations, central/templates), where `central.PROJECT_ROOT` finds
them once installed; a checkout keeps using them where they are."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED_FOLDERS = ("migrations", "templates")


class BuildWithAppFolders(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the checkout
        for name in SHIPPED_FOLDERS:
            shutil.copytree(
                Path(name),
                Path(self.build_lib, "central", name),
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )


setup(cmdclass={"build_py": BuildWithAppFolders})

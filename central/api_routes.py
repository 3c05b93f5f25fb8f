"""Imports every domain's API module, so that its operations are registered on the blueprint."""

import central.accounts.api
import central.assets.api
import central.assets.availability_api
import central.assets.geojson
import central.assets.kinds
import central.fieldwork.api
import central.frameworks.api
import central.jobs.api
import central.organisations.api
import central.planning.api
import central.reports.api  # noqa: F401

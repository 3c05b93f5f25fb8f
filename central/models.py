"""Imports every model, so that the metadata (and Alembic) knows all tables."""

from central.accounts.models import ApiToken, User
from central.core.audit import AuditEvent
from central.jobs.models import JobLock, JobRun
from central.organisations.models import Organisation

__all__ = ["ApiToken", "AuditEvent", "JobLock", "JobRun", "Organisation", "User"]

"""Imports every model, so that the metadata (and Alembic) knows all tables."""

from central.accounts.models import ApiToken, User
from central.assets.models import Asset, AssetKind, Need, ServicePlan
from central.core.audit import AuditEvent
from central.frameworks.models import (
    Accession,
    AccessionLot,
    Award,
    Framework,
    FrameworkAlert,
    FrameworkBeneficiary,
    Lot,
    PriceLine,
    TaskType,
)
from central.jobs.models import JobLock, JobRun
from central.organisations.models import Organisation

__all__ = [
    "Accession",
    "AccessionLot",
    "ApiToken",
    "Asset",
    "AssetKind",
    "AuditEvent",
    "Award",
    "Framework",
    "FrameworkAlert",
    "FrameworkBeneficiary",
    "JobLock",
    "JobRun",
    "Lot",
    "Need",
    "Organisation",
    "PriceLine",
    "ServicePlan",
    "TaskType",
    "User",
]

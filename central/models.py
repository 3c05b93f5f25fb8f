"""Imports every model, so that the metadata (and Alembic) knows all tables."""

from central.accounts.models import ApiToken, RecoveryCode, TotpCredential, User, UserSession
from central.assets.models import Asset, AssetKind, Need, ServicePlan
from central.core.audit import AuditEvent
from central.core.mail import OutgoingMail
from central.fieldwork.models import (
    DigestMark,
    FieldworkSetting,
    IdempotencyRecord,
    LabourDay,
    LabourEntry,
    TaskContest,
    TaskPhoto,
    TaskReport,
)
from central.frameworks.models import (
    Accession,
    AccessionLot,
    ActionEvidence,
    ActionPlan,
    ActionRealisation,
    Award,
    AwardSubcontractor,
    Framework,
    FrameworkAlert,
    FrameworkBeneficiary,
    FrameworkChange,
    Lot,
    PlanAction,
    PriceLine,
    SubcontractedTaskType,
    TaskType,
)
from central.jobs.models import JobLock, JobRun
from central.organisations.models import Organisation
from central.planning.models import Closure, Crew, Round, Task
from central.reports.models import (
    Credit,
    ExternalSocialSpend,
    MaintenanceBudget,
    Statement,
    StatementLine,
)

__all__ = [
    "Accession",
    "AccessionLot",
    "ActionEvidence",
    "ActionPlan",
    "ActionRealisation",
    "AwardSubcontractor",
    "PlanAction",
    "SubcontractedTaskType",
    "ApiToken",
    "Asset",
    "AssetKind",
    "AuditEvent",
    "Award",
    "Closure",
    "Credit",
    "Crew",
    "DigestMark",
    "ExternalSocialSpend",
    "FieldworkSetting",
    "Framework",
    "FrameworkAlert",
    "FrameworkChange",
    "FrameworkBeneficiary",
    "IdempotencyRecord",
    "JobLock",
    "JobRun",
    "LabourDay",
    "LabourEntry",
    "Lot",
    "MaintenanceBudget",
    "Need",
    "Organisation",
    "OutgoingMail",
    "PriceLine",
    "RecoveryCode",
    "Round",
    "ServicePlan",
    "Statement",
    "StatementLine",
    "Task",
    "TaskContest",
    "TaskPhoto",
    "TaskReport",
    "TaskType",
    "TotpCredential",
    "User",
    "UserSession",
]

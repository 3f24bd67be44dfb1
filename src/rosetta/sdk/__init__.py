"""The Python SDK of the Rosetta HTTP API: `Client(url, token)`.

It speaks the records of `rosetta.core.schema`, raises the errors of
`rosetta.core.errors`, and imports nothing else of Rosetta, so it runs wherever the core
does (a notebook, a training job) without the server's dependencies being used.
"""

from rosetta.core.quality_model import QualityReport
from rosetta.sdk.client import Client
from rosetta.sdk.escalations import Clarified, Escalation
from rosetta.sdk.formats import FormatInfo
from rosetta.sdk.metrics import AnnotatorMetrics, ProjectMetrics
from rosetta.sdk.models import (
    AnnotationReview,
    Assignment,
    Decision,
    Event,
    FlaggedAnnotation,
    Health,
    Job,
    JobLog,
    Member,
    MigrationReport,
    MyAssignment,
    NewToken,
    OntologyVersion,
    ProjectInfo,
    SampleHead,
    SampleReview,
    SampleSnapshot,
    SampleSummary,
    SampleVerdict,
    ShardFile,
    StaleLink,
    Submitted,
    Token,
    User,
    Verdict,
)
from rosetta.sdk.pages import Pages
from rosetta.sdk.quality import CheckInfo, FindingRecord, FindingSummary
from rosetta.sdk.work import KEEP
from rosetta.sdk.workflow import Task, WorkflowVersion
from rosetta.sdk.workforce import GoldResult, GoldUse, QualificationResult, UserSkill

__all__ = [
    "KEEP",
    "AnnotationReview",
    "AnnotatorMetrics",
    "Assignment",
    "CheckInfo",
    "Clarified",
    "Client",
    "Decision",
    "Escalation",
    "Event",
    "FindingRecord",
    "FindingSummary",
    "FlaggedAnnotation",
    "FormatInfo",
    "GoldResult",
    "GoldUse",
    "Health",
    "Job",
    "JobLog",
    "Member",
    "MigrationReport",
    "MyAssignment",
    "NewToken",
    "OntologyVersion",
    "Pages",
    "ProjectInfo",
    "ProjectMetrics",
    "QualificationResult",
    "QualityReport",
    "SampleHead",
    "SampleReview",
    "SampleSnapshot",
    "SampleSummary",
    "SampleVerdict",
    "ShardFile",
    "StaleLink",
    "Submitted",
    "Task",
    "Token",
    "User",
    "UserSkill",
    "Verdict",
    "WorkflowVersion",
]

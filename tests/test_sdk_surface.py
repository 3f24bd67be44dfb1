"""The SDK's public surface, pinned: what `rosetta.sdk` exports, which SDK method calls
each API operation, and which operations it leaves to the web UI. A new route fails here
until it gets a method or a place in `NOT_IN_THE_SDK`."""

import inspect
import subprocess
import sys

import rosetta.sdk
from rosetta.api import create_app
from rosetta.sdk import Client
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine

#: API operation id -> the `Client` method that calls it.
METHODS = {
    "healthz": "health",
    "login": "login",
    "logout": "logout",
    "me": "me",
    "my_assignments": "my_assignments",
    "list_my_tokens": "tokens",
    "create_my_token": "create_token",
    "revoke_my_token": "revoke_token",
    "list_users": "users",
    "create_user": "create_user",
    "update_user": "update_user",
    "list_projects": "projects",
    "create_project": "create_project",
    "get_project": "project",
    "get_ontology": "ontology",
    "list_ontology_versions": "ontology_versions",
    "migrate_project_ontology": "migrate_ontology",
    "list_members": "members",
    "set_member_role": "set_member",
    "remove_member": "remove_member",
    "list_assignments": "assignments",
    "assign_sample": "assign",
    "unassign_sample": "unassign",
    "list_samples": "samples",
    "get_sample": "sample",
    "update_sample": "update_sample",
    "submit_sample_work": "submit_sample",
    "list_sample_streams": "streams",
    "get_stream": "stream",
    "media": "download_media",
    "create_annotation": "create_annotation",
    "get_annotation": "annotation",
    "update_annotation": "update_annotation",
    "delete_annotation": "delete_annotation",
    "create_entity": "create_entity",
    "get_entity": "entity",
    "update_entity": "update_entity",
    "delete_entity": "delete_entity",
    "create_link": "create_link",
    "get_link": "link",
    "update_link": "update_link",
    "delete_link": "delete_link",
    "confirm_link": "confirm_link",
    "reject_link": "reject_link",
    "get_review_queue": "review_queue",
    "get_object_history": "history",
    "get_sample_review": "sample_review",
    "review_sample": "review_sample",
    "submit_project_job": "submit_job",
    "project_jobs": "jobs",
    "job_status": "job",
    "job_log": "job_logs",
    "cancel_project_job": "cancel_job",
    "retry_project_job": "retry_job",
    "job_files": "job_files",
    "job_file": "download_export",
    "upload_import": "upload_import",
    "list_formats": "formats",
    "list_proposers": "proposers",
    "propose": "propose",
    "decide": "decide",
    "candidate_metrics": "candidate_metrics",
    "upload_format_import": "import_format",
    "get_workflow": "workflow",
    "put_workflow": "set_workflow",
    "enqueue_tasks": "enqueue",
    "set_task_priorities": "set_priorities",
    "list_tasks": "tasks",
    "next_task": "next_task",
    "submit_task": "submit_task",
    "release_task": "release_task",
    "review_task": "review_task",
    "get_member_skills": "skills",
    "put_member_skills": "set_skills",
    "list_gold": "gold",
    "mark_gold": "mark_gold",
    "unmark_gold": "unmark_gold",
    "list_gold_results": "gold_results",
    "list_qualifications": "qualifications",
    "escalate_sample": "escalate",
    "put_judgement": "judge",
    "withdraw_judgement": "withdraw_judgement",
    "list_judgements": "judgements",
    "list_sample_escalations": "escalations",
    "list_project_escalations": "project_escalations",
    "answer_escalation": "answer_escalation",
    "withdraw_escalation": "withdraw_escalation",
    "clarify_escalation": "clarify_escalation",
    "annotator_metrics": "annotator_metrics",
    "annotator_metrics_of": "annotator_metrics_of",
    "list_checks": "checks",
    "list_project_findings": "findings",
    "get_findings_summary": "findings_summary",
    "get_quality_report": "quality_report",
    "get_preference_report": "preference_report",
    "list_sample_findings": "sample_findings",
    "update_finding": "set_finding_status",
    "run_project_checks": "run_checks",
}

#: Operations the SDK has no method for: the pages, the web app's files, and what the web UI
#: draws with.
NOT_IN_THE_SDK = {
    "site_root",
    "login_page",
    "app_shell",
    "app_file",
    "media_head",
    "sample_at",
    "sample_overlap",
    "put_stream_clock",
    "align_sample_audio",
    "prepare_media",
    "stream_peaks",
    "stream_frames",
    "stream_thumbnails",
    "stream_thumbnail_sheet",
    "track_proposals",
    "add_track_keyframe",
    "annotation_projection",
    "get_quality_report_page",
}


def test_the_exported_names() -> None:
    assert sorted(rosetta.sdk.__all__) == sorted(
        name for name in vars(rosetta.sdk) if not name.startswith("_") and name[0].isupper()
    )
    assert "Client" in rosetta.sdk.__all__


def test_every_operation_has_a_method_or_is_left_to_the_web_ui() -> None:
    engine = make_engine("sqlite://")
    spec = create_app(engine, Settings(job_workers=0)).openapi()
    engine.dispose()
    operations = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert set(METHODS) | NOT_IN_THE_SDK == operations
    assert not set(METHODS) & NOT_IN_THE_SDK


def test_every_method_is_public_typed_and_documented() -> None:
    methods = {
        name: member
        for name, member in inspect.getmembers(Client)
        if not name.startswith("_") and callable(member)
    }
    assert set(METHODS.values()) <= set(methods)
    for name, member in methods.items():
        assert inspect.getdoc(member), name
        signature = inspect.signature(member)
        assert signature.return_annotation is not inspect.Signature.empty, name


def test_the_sdk_needs_nothing_of_the_server() -> None:
    code = (
        "import sys, rosetta.sdk; "
        "print(sorted({m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'uvicorn', 'alembic', 'pyarrow')} | "
        "{m for m in sys.modules if m.startswith('rosetta.') "
        "and not m.startswith(('rosetta.core', 'rosetta.sdk'))}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[]"

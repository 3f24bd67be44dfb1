"""The tables. Current-state tables serve queries; ``events`` is the append-only history.

JSON payloads (geometry, attributes, media info, event before/after) are stored as JSON
text so that export can stream them out without decoding and re-encoding them. Every
table has an integer ``pk`` for insertion order and compact indexes; the public identity
of a row is its text ``id``.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

PK = BigInteger().with_variant(Integer(), "sqlite")

projects = Table(
    "projects",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("ontology_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ontology_versions = Table(
    "ontology_versions",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("migration", Text, nullable=True),
    Column("report", Text, nullable=True),
    Column("actor", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "version"),
)

samples = Table(
    "samples",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("external_id", String(500), nullable=True),
    Column("status", String(20), nullable=False),
    Column("metadata", Text, nullable=False),
    Column("ego_poses", Text, nullable=True),
    # a gold sample holds reference answers that annotators never see
    Column("gold", Boolean, nullable=False, server_default=literal_column("false")),
    UniqueConstraint("project_id", "external_id"),
    Index(None, "project_id", "status"),
    Index(None, "project_id", "pk"),
)

streams = Table(
    "streams",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("modality", String(20), nullable=False),
    Column("uri", Text, nullable=True),
    Column("text", Text, nullable=True),
    Column("media", Text, nullable=False),
    Column("clock", Text, nullable=True),
    Column("sensor", Text, nullable=True),
    # a sample's streams, and whether it has one of a modality (the listing's filter)
    Index(None, "sample_id", "modality"),
)

annotations = Table(
    "annotations",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False, index=True),
    Column("stream_id", String(64), ForeignKey("streams.id"), nullable=True, index=True),
    Column("label", String(200), nullable=False),
    Column("geometry", Text, nullable=False),
    Column("attributes", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("ontology_version", Integer, nullable=True),
    Column("author", String(200), nullable=True),
    Column("source", Text, nullable=False),
    Column("flags", Text, nullable=False),
    Index(None, "project_id", "label"),
    Index(None, "project_id", "author"),
)

#: An annotation with flags, the condition of the review queue. Partial indexes serve only
#: queries that repeat their condition with the constant written out (not a bound parameter).
FLAGGED = annotations.c.flags != literal_column("'[]'")

Index(
    "ix_annotations_flagged",
    annotations.c.project_id,
    annotations.c.pk,
    sqlite_where=FLAGGED,
    postgresql_where=FLAGGED,
)

entities = Table(
    "entities",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False, index=True),
    Column("label", String(200), nullable=True),
    Column("revision", Integer, nullable=False),
    Column("author", String(200), nullable=True),
)

entity_members = Table(
    "entity_members",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("entity_id", String(64), ForeignKey("entities.id"), nullable=False, index=True),
    Column("annotation_id", String(64), ForeignKey("annotations.id"), nullable=False, index=True),
    UniqueConstraint("entity_id", "annotation_id"),
)

links = Table(
    "links",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False, index=True),
    Column("type", String(200), nullable=False),
    Column("source_id", String(64), nullable=False, index=True),
    Column("target_id", String(64), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("attributes", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("source_revision", Integer, nullable=True),
    Column("target_revision", Integer, nullable=True),
    Column("author", String(200), nullable=True),
    Index(None, "project_id", "status"),
)

events = Table(
    "events",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("object_kind", String(20), nullable=False),
    Column("object_id", String(64), nullable=False),
    # the sample the object belongs to (none for projects and ontologies); history finds
    # through it the import event that created an imported object
    Column("sample_id", String(64), nullable=True),
    Column("action", String(40), nullable=False),
    Column("revision", Integer, nullable=True),
    Column("actor", String(200), nullable=False),
    Column("tool", String(200), nullable=True),
    Column("tool_version", String(100), nullable=True),
    Column("at", Float, nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("note", Text, nullable=True),
    Index(None, "object_id", "pk"),
    Index(None, "project_id", "pk"),
    # a sample's revision is the pk of its newest event (ETag / If-Match of whole-sample
    # writes)
    Index(None, "sample_id", "pk"),
)

#: Review decisions, appended and never changed: a reviewer's decision on one annotation
#: (``object_kind`` ``annotation``) or verdict on a whole sample (``sample``), with the
#: revision of what it judged. The latest row per object is its review state
#: (`rosetta.services.reviews`). ``object_id`` has no foreign key: a decision outlives the
#: annotation it judged, as that annotation's events do, so deleting one touches nothing here.
reviews = Table(
    "reviews",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("object_kind", String(20), nullable=False),
    Column("object_id", String(64), nullable=False),
    # accepted | rejected
    Column("decision", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    # the annotation's revision, or the sample's, that the decision judged
    Column("object_revision", Integer, nullable=False),
    Column("reviewer", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    # the latest decision per object of a sample
    Index(None, "sample_id", "object_kind", "object_id", "pk"),
)

imports = Table(
    "imports",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("file", Text, nullable=False),
    Column("lines_committed", Integer, nullable=False),
    Column("samples_written", Integer, nullable=False),
    Column("samples_skipped", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("error", Text, nullable=True),
    Column("actor", String(200), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index(None, "project_id", "file"),
)

media_artifacts = Table(
    "media_artifacts",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("stream_id", String(64), ForeignKey("streams.id"), nullable=False),
    # "peaks", "frames", "keyframes", "thumbnails", ...
    Column("kind", String(40), nullable=False),
    # what the artefact was computed from (file size and modification time); a stale one is
    # recomputed
    Column("fingerprint", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("stream_id", "kind"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("target", String(64), nullable=True),
    # queued | running | done | failed
    Column("status", String(20), nullable=False),
    Column("progress", Float, nullable=False),
    Column("message", Text, nullable=True),
    Column("result", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("actor", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # what the job was asked to do (JSON), so any worker can run it
    Column("params", Text, nullable=True),
    # what a resumed run needs to go on where the last one stopped (JSON)
    Column("checkpoint", Text, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=literal_column("0")),
    # the worker running it and when it last said it is alive
    Column("worker", String(200), nullable=True),
    Column("heartbeat_at", Float, nullable=True),
    Index(None, "status", "pk"),
    Index(None, "target", "kind"),
)

job_logs = Table(
    "job_logs",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("job_id", String(64), ForeignKey("jobs.id"), nullable=False),
    Column("at", Float, nullable=False),
    Column("level", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Index(None, "job_id", "pk"),
)

users = Table(
    "users",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    # the login name; annotations, links and events name their author by it
    Column("name", String(200), nullable=False, unique=True),
    Column("display_name", String(200), nullable=True),
    # argon2id; NULL: the user cannot log in with a password (API tokens only)
    Column("password_hash", Text, nullable=True),
    # a site administrator: manages users and projects, holds every project role
    Column("is_admin", Boolean, nullable=False, server_default=literal_column("false")),
    Column("active", Boolean, nullable=False, server_default=literal_column("true")),
    Column("created_at", Float, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    # SHA-256 of the secret, hex; the secret itself is shown once and never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=True),
    Column("expires_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    # SHA-256 of the cookie's secret, hex
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False, index=True),
    # the value unsafe requests of this session must send in X-CSRF-Token
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False, index=True),
    # admin | manager | reviewer | annotator
    Column("role", String(20), nullable=False),
    UniqueConstraint("project_id", "user_id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False, index=True),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False),
    # on a blind assignment the annotator sees no one else's work on the sample
    Column("blind", Boolean, nullable=False, server_default=literal_column("false")),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("sample_id", "user_id"),
    Index(None, "user_id", "project_id", "sample_id"),
)

#: A project's workflow (`rosetta.core.workflow.Workflow` as JSON), one immutable row per
#: version; the newest is the one in force.
workflows = Table(
    "workflows",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("project_id", "version"),
)

#: One row per task slot of the workflow: a sample's slot in a stage (``slot`` counts the
#: overlap annotators of the annotate stage from 0), its status (`core.workflow.TaskStatus`),
#: who holds or held it and until when their lease lasts (seconds since the epoch).
tasks = Table(
    "tasks",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=True),
    Column("lease_expires_at", Float, nullable=True),
    # higher first; the hook an active-learning ranking sets
    Column("priority", Float, nullable=False, server_default=literal_column("0")),
    # the reviewer's, on a slot sent back to its annotator
    Column("comment", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # work (queued for the sample) | gold | training | qualification (one person's slot on a
    # gold sample, made when it is leased to them and scored when they submit it)
    Column("kind", String(20), nullable=False, server_default=literal_column("'work'")),
    # the slot's holder sees no model candidates on the sample (the blind-pass slice)
    Column("candidates_hidden", Boolean, nullable=False, server_default=literal_column("false")),
    # a gold, training or qualification slot's score against the reference, 0 to 1, and
    # its parts (JSON: per modality, links, the feedback shown)
    Column("score", Float, nullable=True),
    Column("score_detail", Text, nullable=True),
    UniqueConstraint("sample_id", "stage", "slot"),
    # a person's tasks in a project (the one they hold, the samples they worked on)
    Index(None, "user_id", "project_id", "status"),
    # the project's task listing, in insertion order
    Index(None, "project_id", "pk"),
    # a project's slots of a kind (its scored gold slots), in insertion order
    Index(None, "project_id", "kind", "pk"),
)

#: The next task of a stage: the waiting slot of highest priority, then the oldest.
Index(
    "ix_tasks_next",
    tasks.c.project_id,
    tasks.c.stage,
    tasks.c.status,
    tasks.c.priority.desc(),
    tasks.c.pk,
)

#: Questions an annotator escalates about a sample (optionally one object of it) to a
#: senior, and the answer (`rosetta.services.escalations`). ``status`` is ``open``,
#: ``answered`` or ``withdrawn``; ``clarified`` (JSON text, null until then) names the class
#: or relation whose guideline the answer was added to and the ontology version it made.
#: ``object_id`` has no foreign key: the question outlives the object it was about.
escalations = Table(
    "escalations",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("object_id", String(64), nullable=True),
    Column("asked_by", String(200), nullable=False),
    Column("question", Text, nullable=False),
    Column("asked_at", Float, nullable=False),
    Column("status", String(20), nullable=False),
    Column("answer", Text, nullable=True),
    Column("answered_by", String(200), nullable=True),
    Column("answered_at", Float, nullable=True),
    Column("clarified", Text, nullable=True),
    # a project's queue by status (the open questions), oldest first
    Index(None, "project_id", "status", "pk"),
    # a sample's questions, oldest first
    Index(None, "sample_id", "pk"),
)

#: A person's skills (`rosetta.core.workflow.Skill`): given on their profile (``source``
#: ``profile``) or earned by passing a qualification test (``qualification``).
user_skills = Table(
    "user_skills",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False),
    Column("skill", String(100), nullable=False),
    Column("source", String(20), nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("user_id", "skill"),
)

#: The skills a sample's slots require (`rosetta.core.workflow.SkillRules`), written when
#: the sample is queued.
sample_skills = Table(
    "sample_skills",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("skill", String(100), nullable=False),
    UniqueConstraint("sample_id", "skill"),
)

#: What a gold sample is used for: ``audit`` (mixed into queues), ``training`` or
#: ``qualification`` (a test of ``skill``).
gold_uses = Table(
    "gold_uses",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("skill", String(100), nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("sample_id", "purpose"),
    Index(None, "project_id", "purpose", "pk"),
)

#: A person's result on a project's qualification test of a skill: ``pending`` (taking
#: it), ``passed`` or ``failed``, the mean score of their tries so far and how many.
qualifications = Table(
    "qualifications",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False),
    Column("skill", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("score", Float, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("project_id", "user_id", "skill"),
)

#: The stratified second review (`rosetta.core.workflow.SecondReview`): per stratum of a
#: project (``class:car``, ``annotator:ana``), how many accepted samples it has seen and
#: how many it picked for a second reviewer.
review_strata = Table(
    "review_strata",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("stratum", String(300), nullable=False),
    Column("seen", Integer, nullable=False),
    Column("picked", Integer, nullable=False),
    UniqueConstraint("project_id", "stratum"),
)

#: What QA checks found (`rosetta.services.findings`): one row per problem of a sample,
#: identified by ``key`` (the SHA-256 hex digest of `rosetta.core.checks.Finding.key`: the
#: check and its subjects), re-found or resolved as the checks run again. ``status`` is
#: ``open``, ``resolved`` or ``waived``; ``status_by`` is who changed it last (null: the
#: checks), ``reason`` why. ``subjects`` and ``detail`` are JSON text.
findings = Table(
    "findings",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("check", String(100), nullable=False),
    Column("key", String(64), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("fix", Text, nullable=True),
    Column("subjects", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("status_changed_at", Float, nullable=True),
    Column("status_by", String(200), nullable=True),
    Column("reason", Text, nullable=True),
    UniqueConstraint("project_id", "sample_id", "key"),
    # a project's findings by status, and by check, in insertion order
    Index(None, "project_id", "status", "pk"),
    Index(None, "project_id", "check", "pk"),
    # a sample's findings, in insertion order
    Index(None, "sample_id", "pk"),
)

#: The authors of the annotations, entities and links a finding is about: one row per
#: (finding, author), for counting and filtering findings per annotator.
finding_authors = Table(
    "finding_authors",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("finding_pk", PK, ForeignKey("findings.pk"), nullable=False),
    Column("author", String(200), nullable=False),
    UniqueConstraint("finding_pk", "author"),
    Index(None, "author", "finding_pk"),
)

#: How far the incremental QA checks of a project got: every sample named by an event up
#: to ``event_pk`` has been checked since (`rosetta.services.qa_runs.catch_up`).
qa_cursors = Table(
    "qa_cursors",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False, unique=True),
    Column("event_pk", PK, nullable=False),
    Column("updated_at", Float, nullable=False),
)

#: What people decided about model candidates (`rosetta.services.candidate_decisions`): one
#: row per decision, with the model behind the candidate and what the decision changed
#: (`rosetta.core.candidate_edits`), for acceptance and edit-size metrics per model and
#: per person.
candidate_decisions = Table(
    "candidate_decisions",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("annotation_id", String(64), nullable=False),
    Column("proposer", String(100), nullable=True),
    Column("model", String(200), nullable=False),
    Column("model_version", String(200), nullable=True),
    Column("confidence", Float, nullable=True),
    Column("geometry", String(20), nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("decision", String(10), nullable=False),
    Column("label_changed", Boolean, nullable=False),
    Column("iou", Float, nullable=True),
    Column("boundary_shift", Float, nullable=True),
    Column("wer", Float, nullable=True),
    Column("decided_at", Float, nullable=False),
    # a project's decisions per model and per person, in order
    Index(None, "project_id", "model", "pk"),
    Index(None, "project_id", "decided_by", "pk"),
)

#: The candidate outputs of a preference sample (`rosetta.core.preference.Candidate`), in
#: ``position`` order: the model behind each (``null`` when unknown), the ids of the streams
#: that make it up and its metadata (JSON text).
candidates = Table(
    "candidates",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("model", String(200), nullable=True),
    Column("model_version", String(200), nullable=True),
    Column("streams", Text, nullable=False),
    Column("metadata", Text, nullable=False),
    # a sample's candidates in order
    Index(None, "sample_id", "position"),
)

#: Evaluators' judgements of preference samples (`rosetta.core.preference.Judgement`), one
#: per (sample, author): the order the candidates were shown in, pairwise verdicts, ranking
#: and rubric scores (JSON text, as the native format writes them), the id of the text
#: stream holding the rationale, and the annotate task it was made in (when one).
judgements = Table(
    "judgements",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id", ondelete="CASCADE"), nullable=False),
    Column("author", String(200), nullable=True),
    Column("task_id", String(64), nullable=True),
    Column("presented", Text, nullable=False),
    Column("pairs", Text, nullable=False),
    Column("ranking", Text, nullable=False),
    Column("scores", Text, nullable=False),
    Column("rationale", String(64), nullable=True),
    Column("revision", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # one judgement per person and sample; also finds a sample's judgements
    UniqueConstraint("sample_id", "author"),
    # a project's judgements in insertion order (aggregation and exports stream them)
    Index(None, "project_id", "pk"),
)

#: Short-lived grants to read one stream's media (`rosetta.services.media_grants`): what an
#: out-of-process proposer fetches ``/media/{stream}?grant=<token>`` with. Only the
#: token's SHA-256 is kept.
media_grants = Table(
    "media_grants",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    # SHA-256 of the token, hex; the token itself is handed out once and never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("stream_id", String(64), ForeignKey("streams.id"), nullable=False),
    Column("sample_id", String(64), ForeignKey("samples.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("purpose", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    # expired grants are refused, and deleted when the next grants are made
    Column("expires_at", Float, nullable=False, index=True),
)

#: Failed password logins (`rosetta.services.login_limits`): the user name tried, the
#: client's address and when, counted in a sliding window to refuse further tries. Rows
#: older than the window are deleted as new ones come; a success deletes its name's.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, index=True),
    Column("address", String(100), nullable=False, index=True),
    Column("at", Float, nullable=False, index=True),
)

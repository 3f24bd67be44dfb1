"""Who may do what: project roles and the small policy functions every endpoint asks.

Roles are per project and ordered: an ``admin`` may do all a ``manager`` may, a manager
all a ``reviewer`` may, a reviewer all an ``annotator`` may. A site administrator
(`Principal.is_admin`) holds the ``admin`` role in every project.

=================  =======================================================================
role               may
=================  =======================================================================
annotator          read the project and its ontology; read and annotate the samples
                   assigned to them, seeing only what `sees_work` allows; lease, submit
                   and release annotate tasks; escalate a question about such a sample
                   and withdraw it while open; read their own annotator metrics
                   (without audit gold scores or who their peers were)
reviewer           read every sample and all work on it; annotate; confirm and reject links;
                   accept and reject annotations and give a sample its verdict; lease
                   review and adjudicate tasks; list every task; answer escalations;
                   read every person's annotator metrics
manager            change the ontology, samples, streams and clocks; import and export;
                   assign samples; run jobs; set the workflow and queue samples; turn
                   an escalation's answer into a guideline clarification
admin              manage the project's members
=================  =======================================================================

The functions take plain values and do no I/O; the API loads what they need.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type only: the policies need none of the workflow's code
    from rosetta.core.workflow import TaskStage


class Role(StrEnum):
    """A person's role in one project."""

    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in the order annotator < reviewer < manager < admin."""
        return list(Role).index(self)

    def at_least(self, other: "Role") -> bool:
        """Whether this role may do all that `other` may."""
        return self.rank >= other.rank


@dataclass(frozen=True)
class Principal:
    """The person behind a request."""

    user_id: str
    name: str
    is_admin: bool = False


@dataclass(frozen=True)
class Access:
    """What a person is in one project: their role there (``None``: not a member)."""

    principal: Principal
    project_id: str
    role: Role | None

    def has(self, role: Role) -> bool:
        """Whether the person holds `role` or a higher one here."""
        return self.role is not None and self.role.at_least(role)


@dataclass(frozen=True)
class Assignment:
    """A sample given to a person; on a ``blind`` one they see no one else's work, and
    with ``candidates_hidden`` (they hold an annotate slot of its blind pass) no model
    candidates."""

    sample_id: str
    user_id: str
    blind: bool = False
    candidates_hidden: bool = False


def role_in(principal: Principal, membership: Role | None) -> Role | None:
    """The person's effective role in a project given their membership there."""
    return Role.ADMIN if principal.is_admin else membership


def can_administer(principal: Principal) -> bool:
    """Manage users and create projects."""
    return principal.is_admin


def can_read_project(access: Access) -> bool:
    """See the project, its ontology and the list of samples they may read."""
    return access.role is not None


def sees_every_sample(access: Access) -> bool:
    """Read every sample of the project (not only those assigned)."""
    return access.has(Role.REVIEWER)


def knows_gold(access: Access) -> bool:
    """Know which samples and tasks are audit gold (reviewers and above): an annotator who
    knew would work on them as on no other."""
    return sees_every_sample(access)


def can_read_sample(access: Access, assignment: Assignment | None) -> bool:
    """Read one sample: reviewers and above any; annotators those assigned to them."""
    if sees_every_sample(access):
        return True
    return access.has(Role.ANNOTATOR) and assignment is not None


def can_annotate(access: Access, assignment: Assignment | None) -> bool:
    """Create, change and delete annotations, entities and links on a sample."""
    return can_read_sample(access, assignment)


def can_review(access: Access) -> bool:
    """Confirm or reject links, accept or reject annotations, give a sample its verdict and
    change its review status."""
    return access.has(Role.REVIEWER)


#: The status an annotator may move a sample assigned to them to: handing it in.
HANDED_IN = "review"


def can_set_sample_status(access: Access, assignment: Assignment | None, status: str) -> bool:
    """Set a sample's review status: reviewers and above any; an annotator may only hand
    in (`HANDED_IN`) a sample assigned to them."""
    if can_review(access):
        return True
    return status == HANDED_IN and can_annotate(access, assignment)


def can_manage(access: Access) -> bool:
    """Change the ontology, samples, streams and clocks; import, export, assign, run jobs."""
    return access.has(Role.MANAGER)


def can_manage_members(access: Access) -> bool:
    """Add, change and remove the project's members."""
    return access.has(Role.ADMIN)


def sees_work(
    access: Access, assignment: Assignment | None, *, author: str | None, gold: bool
) -> bool:
    """Whether the person sees one piece of work (annotation, link, entity) by `author` on
    a sample (`gold`: a gold sample, whose work is the reference answer).

    Reviewers and above see everything. An annotator sees their own work, and others' only
    on a sample assigned to them that is neither blind nor gold.
    """
    if sees_every_sample(access):
        return True
    if assignment is None or not access.has(Role.ANNOTATOR):
        return False
    if author == access.principal.name:
        return True
    return not assignment.blind and not gold


def sees_decisions_on(
    access: Access, assignment: Assignment | None, *, author: str | None, gold: bool
) -> bool:
    """Whether the person sees the review decisions on one annotation by `author` on a
    sample (`gold`: a gold sample).

    Reviewers and above see all. An annotator sees those on their own work on a sample
    assigned to them, except on a gold sample: there a decision would tell them the
    reference answer.
    """
    if sees_every_sample(access):
        return True
    mine = author == access.principal.name
    return can_read_sample(access, assignment) and not gold and mine


def sees_verdict(access: Access, assignment: Assignment | None, *, gold: bool) -> bool:
    """Whether the person sees a sample's verdict and its reason (what to fix, when a
    rejected sample comes back to them): reviewers and above always, an annotator on a
    sample assigned to them that is not gold."""
    return can_read_sample(access, assignment) and (sees_every_sample(access) or not gold)


def can_work_stage(access: Access, stage: str) -> bool:
    """Lease and work on task slots of the workflow stage `stage`: annotators annotate;
    reviewers and above may also review and adjudicate."""
    if stage == "annotate":
        return access.has(Role.ANNOTATOR)
    return stage in ("review", "adjudicate") and access.has(Role.REVIEWER)


def default_stages(access: Access) -> tuple["TaskStage", ...]:
    """The stages whose tasks the person is offered when they ask for the next without
    naming one: annotators annotate, reviewers and above review and adjudicate."""
    if access.has(Role.REVIEWER):
        return ("review", "adjudicate")
    return ("annotate",) if access.has(Role.ANNOTATOR) else ()


def holds_task(access: Access, holder: str | None) -> bool:
    """Submit, release or decide a task slot (`holder`: the name of the user holding it):
    only its holder, whatever their role (a manager takes no one's task over)."""
    return access.role is not None and holder == access.principal.name


def can_escalate(access: Access, assignment: Assignment | None) -> bool:
    """Ask a senior a question about a sample: whoever may annotate it."""
    return can_annotate(access, assignment)


def sees_escalation(
    access: Access, assignment: Assignment | None, *, asker: str, gold: bool
) -> bool:
    """Whether the person sees a question `asker` escalated about a sample (`gold`: a gold
    sample): as for work (`sees_work`), their own, and others' only where they see others'
    work, so never another annotator's question on a blind or gold sample."""
    return sees_work(access, assignment, author=asker, gold=gold)


def sees_escalation_answer(access: Access, *, asker: str) -> bool:
    """Whether the person sees the answer to a question `asker` escalated: reviewers and
    above all, an annotator only the answers to their own questions (gold or not: holding
    one back would tell them the sample is gold)."""
    return sees_every_sample(access) or asker == access.principal.name


def can_answer_escalation(access: Access) -> bool:
    """Answer an escalated question: reviewers and above."""
    return access.has(Role.REVIEWER)


def can_withdraw_escalation(access: Access, asker: str) -> bool:
    """Withdraw an escalated question: only the person who asked it."""
    return access.role is not None and asker == access.principal.name


def can_clarify_guideline(access: Access) -> bool:
    """Add an answered question to a class's or relation type's guideline as a
    clarification (a new ontology version): managers and above, as for any ontology change."""
    return can_manage(access)


def can_read_metrics_of(access: Access, person: str) -> bool:
    """Read a person's annotator metrics (`person`: their name): reviewers and above
    anyone's, an annotator only their own."""
    return can_review(access) or (access.role is not None and person == access.principal.name)


def sees_peer_metrics(access: Access) -> bool:
    """See in annotator metrics who a person's overlap peers were and their scores on
    audit gold (which an annotator must not recognise): reviewers and above."""
    return can_review(access)


def can_request_candidates(access: Access, assignment: Assignment | None) -> bool:
    """Run a model on a sample to get candidates: whoever may annotate it, except in the
    blind pass (they see no candidates, so none may be made for them)."""
    hidden = assignment is not None and assignment.candidates_hidden
    return can_annotate(access, assignment) and not hidden

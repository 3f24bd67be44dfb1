"""Who may do what: project roles and the small policy functions every endpoint asks.

Roles are per project and ordered: an ``admin`` may do all a ``manager`` may, a manager
all a ``reviewer`` may, a reviewer all an ``annotator`` may. A site administrator
(`Principal.is_admin`) holds the ``admin`` role in every project.

=================  =======================================================================
role               may
=================  =======================================================================
annotator          read the project and its ontology; read and annotate the samples
                   assigned to them, seeing only what `sees_work` allows
reviewer           read every sample and all work on it; annotate; confirm and reject links;
                   accept and reject annotations and give a sample its verdict
manager            change the ontology, samples, streams and clocks; import and export;
                   assign samples; run jobs
admin              manage the project's members
=================  =======================================================================

The functions take plain values and do no I/O; the API loads what they need.
"""

from dataclasses import dataclass
from enum import StrEnum


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
    """A sample given to a person; on a ``blind`` one they see no one else's work."""

    sample_id: str
    user_id: str
    blind: bool = False


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

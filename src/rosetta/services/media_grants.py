"""Short-lived grants to read one stream's media, for proposers that run outside the server.

A proposer on another machine (a Ray worker, an OpenAI-compatible endpoint fetching an
image by URL, a plugin's own service) can use neither the server's media roots nor a
person's credentials. The host grants it one stream at a time instead: `grant` makes a
token per stream (``rsg_`` and `secrets.token_urlsafe` of 32 bytes; only its SHA-256 is
stored, in ``media_grants``, with the stream, its sample and project, who granted it, why
and when it expires) and `media_url` the absolute URL it is fetched at,
``<ROSETTA_PUBLIC_URL>/media/<stream>?grant=<token>`` (a plain GET, as OpenAI-style
``image_url`` fetching needs; byte ranges work as on every media request). `grant_urls`
does both under the server's settings, and nothing without ``ROSETTA_PUBLIC_URL``.

`resolve` is the media route's check: the token names a grant that has not expired and
whose granter is not deactivated (else `NotAuthenticated`, 401), for that very stream
(else `PermissionDenied`, 403). The route then checks that the granter, when a user, can
still read the stream's sample (removed from the project or unassigned since: 403). Only ``GET|HEAD /media/{stream}`` accepts a grant: it lists
nothing, writes nothing, reads no record and opens no other route. Grants expire after
``ROSETTA_GRANT_MINUTES`` (15 by default) and are deleted when later grants are made.
"""

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from sqlalchemy import Connection, Engine, delete, insert, select

from rosetta.core.errors import NotAuthenticated, NotFoundError, PermissionDenied, RosettaError
from rosetta.core.policies import Principal
from rosetta.services.settings import Settings
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.tables import media_grants, samples, streams, users

#: How every grant token begins (so that one is recognised wherever it leaks).
GRANT_PREFIX = "rsg_"
#: The query parameter of the media route that carries a grant.
GRANT_PARAMETER = "grant"
_PURPOSE_LENGTH = 200


@dataclass(frozen=True)
class Grant:
    """A valid grant: the one stream it lets its holder read, that stream's sample and
    project, who granted it (and the user they are, if they are one: a command-line run
    grants as the operator), why, and when it expires (seconds since the epoch)."""

    stream_id: str
    sample_id: str
    project_id: str
    granted_by: str
    granter: Principal | None
    purpose: str
    expires_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def grant(
    engine: Engine,
    actor: Actor,
    stream_ids: Iterable[str],
    *,
    ttl: float,
    purpose: str,
    now: float | None = None,
) -> dict[str, str]:
    """A new token for each of `stream_ids`, lasting `ttl` seconds from `now` (default: the
    current time), granted by `actor` for `purpose` (a proposer's name, a job's id); all
    written in one transaction, after deleting the grants expired by then. A stream that
    does not exist is a `NotFoundError`, and nothing is written."""
    if ttl <= 0:
        raise RosettaError(f"a media grant must last a positive time, not {ttl} s")
    wanted = list(dict.fromkeys(stream_ids))
    if not wanted:
        return {}
    start = time.time() if now is None else now
    with write_transaction(engine) as connection:
        found = {
            row.id: row
            for row in connection.execute(
                select(streams.c.id, streams.c.sample_id, samples.c.project_id)
                .join(samples, samples.c.id == streams.c.sample_id)
                .where(streams.c.id.in_(wanted))
            )
        }
        missing = [stream_id for stream_id in wanted if stream_id not in found]
        if missing:
            raise NotFoundError("stream", missing[0])
        connection.execute(delete(media_grants).where(media_grants.c.expires_at < start))
        tokens = {stream_id: GRANT_PREFIX + secrets.token_urlsafe(32) for stream_id in wanted}
        connection.execute(
            insert(media_grants),
            [
                {
                    "token_hash": _digest(tokens[stream_id]),
                    "stream_id": stream_id,
                    "sample_id": found[stream_id].sample_id,
                    "project_id": found[stream_id].project_id,
                    "granted_by": actor.name,
                    "purpose": purpose[:_PURPOSE_LENGTH],
                    "created_at": start,
                    "expires_at": start + ttl,
                }
                for stream_id in wanted
            ],
        )
    return tokens


def resolve(
    connection: Connection, token: str, stream_id: str, *, now: float | None = None
) -> Grant:
    """The grant `token` names, if it lets its holder read stream `stream_id` now;
    `NotAuthenticated` when it names no grant, has expired or its granter was deactivated,
    `PermissionDenied` when it is for another stream. Reads only."""
    row = connection.execute(
        select(media_grants, users.c.id.label("user_id"), users.c.is_admin, users.c.active)
        .select_from(media_grants.outerjoin(users, users.c.name == media_grants.c.granted_by))
        .where(media_grants.c.token_hash == _digest(token))
    ).first()
    if row is None or row.active is False:
        raise NotAuthenticated("the media grant is not valid")
    if row.expires_at <= (time.time() if now is None else now):
        raise NotAuthenticated("the media grant has expired; the proposer needs a new one")
    if row.stream_id != stream_id:
        raise PermissionDenied("read", f"stream {stream_id!r} with a grant for another stream")
    return Grant(
        stream_id=row.stream_id,
        sample_id=row.sample_id,
        project_id=row.project_id,
        granted_by=row.granted_by,
        granter=None
        if row.user_id is None
        else Principal(user_id=row.user_id, name=row.granted_by, is_admin=bool(row.is_admin)),
        purpose=row.purpose,
        expires_at=row.expires_at,
    )


def media_url(public_url: str, stream_id: str, token: str) -> str:
    """The absolute URL of stream `stream_id`'s media with the grant `token`, on the server
    at `public_url`."""
    query = urlencode({GRANT_PARAMETER: token})
    return f"{public_url.rstrip('/')}/media/{quote(stream_id, safe='')}?{query}"


def grant_urls(
    engine: Engine,
    settings: Settings | None,
    actor: Actor,
    stream_ids: Iterable[str],
    *,
    purpose: str,
) -> dict[str, str]:
    """For each of `stream_ids`, the URL of its media with a new grant lasting
    ``ROSETTA_GRANT_MINUTES`` (see `grant`); none when the settings name no
    ``ROSETTA_PUBLIC_URL`` (the command line, a server proposers cannot reach)."""
    if settings is None or settings.public_url is None:
        return {}
    tokens = grant(engine, actor, stream_ids, ttl=settings.grant_minutes * 60, purpose=purpose)
    return {
        stream_id: media_url(settings.public_url, stream_id, token)
        for stream_id, token in tokens.items()
    }

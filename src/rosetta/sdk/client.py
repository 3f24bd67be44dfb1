"""`Client`: the Rosetta HTTP API from Python, synchronous (no event loop needed, so it
works in a notebook as in a script)."""

from types import TracebackType

import httpx
from pydantic import TypeAdapter

from rosetta.sdk.accounts import AccountMethods
from rosetta.sdk.escalations import EscalationMethods
from rosetta.sdk.formats import FormatMethods
from rosetta.sdk.jobs import JobMethods
from rosetta.sdk.judgements import JudgementMethods
from rosetta.sdk.metrics import MetricsMethods
from rosetta.sdk.models import User
from rosetta.sdk.preference_report import PreferenceReportMethods
from rosetta.sdk.projects import ProjectMethods
from rosetta.sdk.proposals import ProposalMethods
from rosetta.sdk.quality import QualityMethods
from rosetta.sdk.samples import SampleMethods
from rosetta.sdk.transport import Transport
from rosetta.sdk.work import WorkMethods
from rosetta.sdk.workflow import WorkflowMethods
from rosetta.sdk.workforce import WorkforceMethods

_LOGIN = TypeAdapter(dict[str, object])
_USER = TypeAdapter(User)


class Client(
    AccountMethods,
    ProjectMethods,
    SampleMethods,
    WorkMethods,
    JobMethods,
    FormatMethods,
    WorkflowMethods,
    WorkforceMethods,
    EscalationMethods,
    MetricsMethods,
    QualityMethods,
    PreferenceReportMethods,
    JudgementMethods,
    ProposalMethods,
):
    """A client of the Rosetta server at `url`, acting as the owner of the API `token`.

    ::

        from rosetta.sdk import Client

        with Client("http://127.0.0.1:8000", token) as rosetta:
            for summary in rosetta.samples("rosetta-demo", label="person"):
                snapshot = rosetta.sample(summary.id)
                ...

    Methods return the records of `rosetta.core.schema` (`Sample`, `Annotation`, ...) or
    the models of `rosetta.sdk.models`; listings come as `Pages`, iterators that fetch
    the next page as they reach it. A server's error answer raises the domain error of
    `rosetta.core.errors` it stands for (`rosetta.sdk.errors`). Create an API token with
    ``rosetta user token NAME`` or ``POST /api/me/tokens``; `Client.login` opens a
    session with a password instead.
    """

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        """Talk to the server at `url` (``http://host:port``) with the API `token` (none:
        only `health` and `login` work), waiting at most `timeout` seconds per network
        operation."""
        self._http = Transport(url, token, timeout=timeout)
        self._as = "token" if token is not None else "anonymous"

    @classmethod
    def login(cls, url: str, name: str, password: str, *, timeout: float = 30.0) -> "Client":
        """A client of the server at `url` logged in as user `name` with `password`: it
        holds the session cookie and sends its CSRF token. The server sends the cookie only
        over HTTPS unless it runs in development mode; prefer an API token for scripts."""
        client = cls(url, timeout=timeout)
        try:
            body = client._http.parse(
                _LOGIN, "POST", "/api/auth/login", json={"name": name, "password": password}
            )
        except BaseException:
            client.close()
            raise
        client._http.use_csrf_token(str(body["csrf_token"]))
        client._as = f"session of {_USER.validate_python(body['user']).name!r}"
        return client

    def logout(self) -> None:
        """End the session `login` opened."""
        self._http.request("POST", "/api/auth/logout")
        self._as = "logged out"

    @property
    def url(self) -> str:
        """The server's address."""
        return self._http.url

    @property
    def http(self) -> httpx.Client:
        """The underlying `httpx.Client` (base URL and credentials set), for requests the
        SDK has no method for."""
        return self._http.http

    def close(self) -> None:
        """Close the connections to the server."""
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<rosetta.sdk.Client {self.url} ({self._as})>"

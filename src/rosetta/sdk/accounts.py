"""The caller's account and API tokens, and users (site administrators)."""

from pydantic import TypeAdapter

from rosetta.sdk.models import Health, MyAssignment, NewToken, Token, User
from rosetta.sdk.transport import MethodGroup, segment

_HEALTH = TypeAdapter(Health)
_USER = TypeAdapter(User)
_USERS = TypeAdapter(list[User])
_TOKENS = TypeAdapter(list[Token])
_NEW_TOKEN = TypeAdapter(NewToken)
_ASSIGNMENTS = TypeAdapter(list[MyAssignment])


class AccountMethods(MethodGroup):
    """Who the caller is, their tokens and assignments; users."""

    def health(self) -> Health:
        """Whether the server answers and reaches its store, and its version (needs no
        credentials)."""
        return self._http.parse(_HEALTH, "GET", "/healthz")

    def me(self) -> User:
        """The caller's account."""
        return self._http.parse(_USER, "GET", "/api/me")

    def my_assignments(self, project: str | None = None) -> list[MyAssignment]:
        """The samples assigned to the caller (in `project`, a name or id, or in all),
        oldest first."""
        params = {"project": project}
        return self._http.parse(_ASSIGNMENTS, "GET", "/api/me/assignments", params=params)

    def tokens(self) -> list[Token]:
        """The caller's API tokens, without their secrets."""
        return self._http.parse(_TOKENS, "GET", "/api/me/tokens")

    def create_token(self, name: str, *, expires_in_days: float | None = None) -> NewToken:
        """A new API token of the caller; its secret (``.token``) is shown this once."""
        body = {"name": name, "expires_in_days": expires_in_days}
        return self._http.parse(_NEW_TOKEN, "POST", "/api/me/tokens", json=body)

    def revoke_token(self, token_id: str) -> None:
        """Revoke one of the caller's API tokens (by its id, not its secret)."""
        self._http.request("DELETE", f"/api/me/tokens/{segment(token_id)}")

    def users(self) -> list[User]:
        """Every user (site administrators only)."""
        return self._http.parse(_USERS, "GET", "/api/users")

    def create_user(
        self,
        name: str,
        password: str | None = None,
        *,
        display_name: str | None = None,
        is_admin: bool = False,
    ) -> User:
        """Create a user (site administrators only); without a password they act only
        through API tokens."""
        body = {
            "name": name,
            "password": password,
            "display_name": display_name,
            "is_admin": is_admin,
        }
        return self._http.parse(_USER, "POST", "/api/users", json=body)

    def update_user(
        self,
        user_id: str,
        *,
        password: str | None = None,
        display_name: str | None = None,
        is_admin: bool | None = None,
        active: bool | None = None,
    ) -> User:
        """Change a user (site administrators only); arguments left ``None`` stay as they
        are."""
        change = {
            "password": password,
            "display_name": display_name,
            "is_admin": is_admin,
            "active": active,
        }
        body = {key: value for key, value in change.items() if value is not None}
        return self._http.parse(_USER, "PATCH", f"/api/users/{segment(user_id)}", json=body)

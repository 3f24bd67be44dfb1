import { useState, type FormEvent } from "react";

import { navigate } from "../app/router";
import { useSession } from "../app/session";

/** The login form; after logging in the browser goes to `next` (a path under /app). */
export function LoginPage({ next }: { next: string }) {
  const logIn = useSession((session) => session.logIn);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError("");
    try {
      await logIn(String(form.get("name") ?? ""), String(form.get("password") ?? ""));
      navigate(next, { replace: true });
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form onSubmit={(event) => void submit(event)} aria-labelledby="login-title">
        <h1 id="login-title">Rosetta</h1>
        <label>
          User name
          <input name="name" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="error" role="alert">
          {error}
        </p>
      </form>
    </main>
  );
}

/**
 * Who is logged in: loaded once from `GET /api/me`, set by the login page, cleared on
 * logging out. A zustand store, so any component can read it without prop drilling.
 */
import { create } from "zustand";

import { unwrap, type Schemas } from "../api/client";
import { api } from "./api";

export type User = Schemas["UserOut"];

interface SessionState {
  /** The person (`undefined` until known, `null` when logged out). */
  user: User | null | undefined;
  /** Ask the server who the session belongs to (a 401 sends the page to the login). */
  load: () => Promise<void>;
  /** Log in with a password; rejects with the server's `ApiError` (wrong password…). */
  logIn: (name: string, password: string) => Promise<User>;
  /** End the session on the server and here. */
  logOut: () => Promise<void>;
}

export const useSession = create<SessionState>()((set) => ({
  user: undefined,
  async load() {
    try {
      set({ user: unwrap(await api.GET("/api/me")) });
    } catch {
      set({ user: null });
    }
  },
  async logIn(name, password) {
    const { user } = unwrap(await api.POST("/api/auth/login", { body: { name, password } }));
    set({ user });
    return user;
  },
  async logOut() {
    await api.POST("/api/auth/logout");
    set({ user: null });
  },
}));

/**
 * The web UI's typed client of the Rosetta HTTP API.
 *
 * Every path, parameter, body and response type comes from `schema.d.ts`, which
 * `npm run gen:api` generates from `../../openapi.json` (written by `scripts/openapi.py`);
 * nothing here restates a request or response shape.
 *
 *     const api = createApi();                        // the page's own session
 *     const { data } = await api.GET("/api/samples/{sample_id}", {
 *       params: { path: { sample_id: "s1" } },
 *     });
 *     const sample = unwrap(await api.GET("/api/projects"));   // or throw ApiError
 *
 * In the browser the session cookie authenticates and unsafe requests send the CSRF
 * token from the readable `rosetta_csrf` cookie in `X-CSRF-Token`; a script outside
 * the browser passes an API `token` instead.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

/** The API's named schemas: `Schemas["Sample"]`, `Schemas["Job"]`, ... */
export type Schemas = components["schemas"];

/** The one error shape of every non-2xx answer: `{"error": {"type", "message", ...}}`. */
export interface ErrorBody {
  error: {
    type:
      | "not_found"
      | "rule_violation"
      | "conflict"
      | "already_exists"
      | "ontology_error"
      | "import_failed"
      | "not_authenticated"
      | "permission_denied"
      | "bad_request"
      | "invalid_request"
      | "http_error";
    message: string;
    [field: string]: unknown;
  };
}

/** A non-2xx answer: its status, error type and fields, with the server's message. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly fields: Record<string, unknown>;

  constructor(status: number, body: unknown) {
    const error = isErrorBody(body) ? body.error : undefined;
    super(error?.message ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.type = error?.type ?? "http_error";
    this.fields = error ?? {};
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const error = (body as { error: unknown }).error;
  return typeof error === "object" && error !== null && "message" in error;
}

/** Options of `createApi`. */
export interface ApiOptions {
  /** Where the API is (default: this page's origin). */
  baseUrl?: string;
  /** An API token (`Authorization: Bearer`), for use outside the browser session. */
  token?: string;
}

/** The client type `createApi` returns. */
export type Api = Client<paths>;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
export const CSRF_COOKIE = "rosetta_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

/** The CSRF token of the browser session, from its readable cookie. */
export function csrfToken(): string | undefined {
  if (typeof document === "undefined") return undefined;
  const prefix = `${CSRF_COOKIE}=`;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return cookie === undefined ? undefined : decodeURIComponent(cookie.slice(prefix.length));
}

function credentials(token: string | undefined): Middleware {
  return {
    onRequest({ request }) {
      if (token !== undefined) {
        request.headers.set("Authorization", `Bearer ${token}`);
      } else if (!SAFE_METHODS.has(request.method)) {
        const csrf = csrfToken();
        if (csrf !== undefined) request.headers.set(CSRF_HEADER, csrf);
      }
      return request;
    },
  };
}

/** A typed client of the API (see the module's comment). */
export function createApi(options: ApiOptions = {}): Api {
  const api = createClient<paths>({
    baseUrl: options.baseUrl ?? "",
    credentials: options.token === undefined ? "same-origin" : "omit",
  });
  api.use(credentials(options.token));
  return api;
}

/** The data of a successful answer, or an `ApiError` thrown for an error answer. */
export function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(
  result: R,
): NonNullable<R["data"]> {
  if (result.error !== undefined) throw new ApiError(result.response.status, result.error);
  return result.data as NonNullable<R["data"]>;
}

/** The revision an answer's `ETag: "<n>"` names: send it back as `ifMatch(revision)`. */
export function revisionOf(response: Response): number | undefined {
  const match = /^"(\d+)"$/.exec(response.headers.get("ETag") ?? "");
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The `If-Match` header of a write based on `revision`. */
export function ifMatch(revision: number): { "if-match": string } {
  return { "if-match": `"${revision}"` };
}

/**
 * The workspace's one API client (the browser session's cookie and CSRF token), which
 * sends the person to the login page when the server answers 401 to anything but a login.
 */
import { createApi, type Api } from "../api/client";
import { BASE, currentPath, loginPath, navigate } from "./router";

/** Where a stream's media file is served (with range requests). */
export function mediaUrl(streamId: string): string {
  return `/media/${encodeURIComponent(streamId)}`;
}

/** Go to the login page, coming back here afterwards (unless already there). */
export function sendToLogin(): void {
  const here = currentPath();
  if (here.startsWith(`${BASE}/login`)) return;
  navigate(loginPath(here), { replace: true });
}

export const api: Api = createApi();

api.use({
  onResponse({ request, response }) {
    const path = new URL(request.url, window.location.href).pathname;
    if (response.status === 401 && path !== "/api/auth/login") sendToLogin();
    return response;
  },
});

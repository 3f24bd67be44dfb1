import { Suspense, lazy, useEffect, useMemo } from "react";

import { LoginPage } from "../pages/LoginPage";
import { ProjectsPage } from "../pages/ProjectsPage";
import { ReviewQueuePage } from "../pages/ReviewQueuePage";
import { SamplesPage } from "../pages/SamplesPage";
import { sendToLogin } from "./api";
import { Link } from "./Link";
import { BASE, navigate, parseRoute, useLocation, type Route } from "./router";
import { useSession } from "./session";

/** The workspace page (Konva and the panes) loads when a sample is first opened. */
const SamplePage = lazy(() => import("../pages/SamplePage"));
/** The metrics page (Observable Plot) loads when first opened. */
const MetricsPage = lazy(() => import("../pages/MetricsPage"));
/** The quality page loads when first opened. */
const QualityPage = lazy(() => import("../pages/QualityPage"));

/** The whole workspace: the login page, or the shell around the page the address names. */
export function App() {
  const location = useLocation();
  const route = useMemo(() => {
    const query = location.indexOf("?");
    return query === -1 ? parseRoute(location, "") : parseRoute(location.slice(0, query), location.slice(query));
  }, [location]);
  useEffect(() => {
    document.title = `Rosetta · ${title(route)}`;
  }, [route]);
  if (route.name === "login") return <LoginPage next={route.next} />;
  return <Shell route={route} />;
}

function title(route: Route): string {
  switch (route.name) {
    case "login":
      return "log in";
    case "projects":
      return "projects";
    case "samples":
      return route.project;
    case "review":
      return `review queue of ${route.project}`;
    case "metrics":
      return `annotator metrics of ${route.project}`;
    case "quality":
      return `quality of ${route.project}`;
    case "sample":
      return route.sample;
    case "not-found":
      return "not found";
  }
}

/** The top bar (home, the person, logging out) and the page of `route`, once the session
 * is known; without one the browser goes to the login page. */
function Shell({ route }: { route: Exclude<Route, { name: "login" }> }) {
  const { user, load, logOut } = useSession();
  useEffect(() => {
    if (user === undefined) void load();
    else if (user === null) sendToLogin();
  }, [user, load]);
  if (user == null) return <p className="muted page">Loading…</p>;

  async function leave(): Promise<void> {
    await logOut();
    navigate(`${BASE}/login`, { replace: true });
  }

  return (
    <>
      <header className="topbar">
        <Link href={BASE} className="brand">
          Rosetta
        </Link>
        <span className="spacer" />
        <span className="muted">
          {user.display_name ?? user.name}
          {user.is_admin ? " (site admin)" : ""}
        </span>
        <button type="button" className="quiet" onClick={() => void leave()}>
          Log out
        </button>
      </header>
      <Page route={route} />
    </>
  );
}

function Page({ route }: { route: Exclude<Route, { name: "login" }> }) {
  switch (route.name) {
    case "projects":
      return <ProjectsPage />;
    case "samples":
      return <SamplesPage project={route.project} query={route.query} />;
    case "review":
      return <ReviewQueuePage project={route.project} />;
    case "metrics":
      return (
        <Suspense fallback={<p className="muted page">Loading the metrics…</p>}>
          <MetricsPage project={route.project} />
        </Suspense>
      );
    case "quality":
      return (
        <Suspense fallback={<p className="muted page">Loading the quality page…</p>}>
          <QualityPage project={route.project} />
        </Suspense>
      );
    case "sample":
      return (
        <Suspense fallback={<p className="muted page">Loading the workspace…</p>}>
          <SamplePage sample={route.sample} project={route.project} select={route.select} task={route.task} />
        </Suspense>
      );
    case "not-found":
      return (
        <main className="page">
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <Link href={BASE}>Back to your projects</Link>.
          </p>
        </main>
      );
  }
}

import { api } from "../app/api";
import { Link } from "../app/Link";
import { projectPath } from "../app/router";
import { useLoad } from "../app/useLoad";
import { unwrap } from "../api/client";
import { LoadState } from "../ui/feedback";

/** The caller's projects, with their role in each. */
export function ProjectsPage() {
  const projects = useLoad(async (signal) => unwrap(await api.GET("/api/projects", { signal })), []);
  return (
    <main className="page">
      <h1>Projects</h1>
      <LoadState loaded={projects} what="your projects" />
      {projects.state === "done" &&
        (projects.data.length === 0 ? (
          <p className="muted">You are not a member of any project yet.</p>
        ) : (
          <ul className="cards" aria-label="Projects">
            {projects.data.map((project, index) => (
              <li key={project.id}>
                <Link href={projectPath(project.name)} className="card" autoFocus={index === 0}>
                  <strong>{project.name}</strong>
                  <span className="muted">
                    {project.role} · ontology v{project.ontology_version}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        ))}
    </main>
  );
}

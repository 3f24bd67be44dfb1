/**
 * Vite builds the web workspace into the Python package (`src/rosetta/web_dist/`), which
 * the server answers under `/app` (`rosetta.api.spa`). `npm run dev` serves it with hot
 * reload and passes the API and media requests on to a Rosetta server on port 8000
 * (`make demo`). Vitest has its own settings (`vitest.config.ts`).
 */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const SERVER = "http://127.0.0.1:8000";

export default defineConfig({
  base: "/app/",
  plugins: [react()],
  build: {
    outDir: "../src/rosetta/web_dist",
    emptyOutDir: true,
  },
  server: {
    proxy: {
      "/api": SERVER,
      "/media": SERVER,
    },
  },
});

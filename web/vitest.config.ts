import { defineConfig } from "vitest/config";

// The framework-free core (clock, text, ontology, work) is tested in plain Node.
export default defineConfig({
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});

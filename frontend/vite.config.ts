import { defineConfig } from "vitest/config";

// The bundle is served by Django: index.html at "/", the assets under /static/.
export default defineConfig({
  base: "/static/",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  test: { include: ["tests/**/*.test.ts"], environment: "node" },
});

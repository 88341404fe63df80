import { defineConfig } from "vitest/config";

// The bundle is served by Django: index.html at "/", the assets under /static/.
export default defineConfig({
  base: "/static/",
  build: {
    outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500,
    // two pages: the editor, and the class page (src/class/) served at /class/
    rollupOptions: { input: { main: "index.html", class: "class.html" } },
  },
  test: { include: ["tests/**/*.test.ts"], environment: "node" },
});

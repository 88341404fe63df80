import { defineConfig } from "vitest/config";

// The bundle is served by Django: index.html at "/", the assets under /static/.
// `npm run dev` serves the editor at /static/ and passes the API and websockets to MVLAB_SITE.
const site = process.env.MVLAB_SITE ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/static/",
  server: { proxy: { "/api": site, "/accounts": site, "/ws": { target: site, ws: true } } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    // two pages: the editor, and the class page (src/class/) served at /class/
    rollupOptions: { input: { main: "index.html", class: "class.html" } },
  },
  test: { include: ["tests/**/*.test.ts"], environment: "node" },
});

import { defineConfig } from "vite";

// Preact's JSX through Vite's own transform (oxc): @preact/preset-vite would
// add Babel for hot-reload and devtools hooks the console does not need.
export default defineConfig({
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The server serves everything under /assets/ as immutable: names carry a content hash.
    assetsDir: "assets",
    // No inline <script>: the Content-Security-Policy forbids them (docs/console.md).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
  },
  // `npm run dev -w @botbox/web`: the console with hot reload, the API (and terminal WebSockets) from a running `npm start`.
  server: {
    proxy: { "^/(bots|tokens|whoami|openapi\\.json|health)": { target: "http://127.0.0.1:8080", ws: true } },
  },
});

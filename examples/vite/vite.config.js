import { defineConfig } from "vite";

// Relative asset URLs so the built page works under any path; no inline scripts (strict CSP).
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, modulePreload: { polyfill: false } },
});

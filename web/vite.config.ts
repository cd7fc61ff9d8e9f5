// Builds the app into dist/, which linli embeds and serves at /app/ (src/http/webapp.rs).
//
// Two entries: the app (index.html) and the service worker (sw.js, at the scope's root so
// it controls all of /app/). After bundling, `precache` writes into sw.js the list of every
// file the app needs offline and a version derived from their contents: a new build is a new
// service worker, which replaces the old cache; an unchanged build is byte-for-byte the same,
// so CI can check that the committed dist/ matches the sources.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function precache(): Plugin {
  return {
    name: "linli-precache",
    apply: "build",
    enforce: "post",
    generateBundle(_options, bundle) {
      const sw = bundle["sw.js"];
      if (!sw || sw.type !== "chunk") throw new Error("the service worker was not built");
      const hash = createHash("sha256");
      const files: string[] = [];
      for (const name of Object.keys(bundle).sort()) {
        const item = bundle[name]!;
        if (name === "sw.js" || name.endsWith(".map")) continue;
        files.push(name);
        hash.update(name).update(item.type === "chunk" ? item.code : item.source);
      }
      for (const name of readdirSync(here("public")).sort()) {
        files.push(name);
        hash.update(name).update(readFileSync(here(`public/${name}`)));
      }
      const manifest = { version: hash.digest("hex").slice(0, 16), files: ["./", ...files] };
      if (!sw.code.includes('"__PRECACHE__"')) throw new Error("sw.ts lost its placeholder");
      sw.code = sw.code.replace('"__PRECACHE__"', JSON.stringify(manifest));
    },
  };
}

export default defineConfig({
  base: "/app/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  resolve: {
    alias: {
      "@linli/sdk": here("../openapi/sdk/typescript/src/index.ts"),
      "openapi-fetch": here("node_modules/openapi-fetch"),
    },
  },
  plugins: [precache()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { index: here("index.html"), sw: here("src/sw.ts") },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
      },
    },
  },
});

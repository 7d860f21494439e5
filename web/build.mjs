// Builds the web client into messenger_gateway/rest/web/ (committed: installing the server needs no node).
// `node build.mjs [outdir]`; CI builds into a temp dir and fails when the result differs from the committed files.
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2] ?? path.join(here, "..", "messenger_gateway", "rest", "web");

await esbuild.build({
  entryPoints: { app: path.join(here, "src", "main.js") },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  outdir,
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
});

// Builds the dashboard into dist/, which the gateway embeds. The output is a
// function of the sources and the locked packages only (no hashes, no
// timestamps, no source maps), so tests/run can rebuild it and compare.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

await rm("dist", { recursive: true, force: true });
await mkdir("dist/assets", { recursive: true });
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  outfile: "dist/assets/app.js",
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
});
await copyFile("index.html", "dist/index.html");

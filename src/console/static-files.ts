import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/*
 * The files the console sends besides its pages, read once at start: htmx from node_modules
 * (pinned in package.json, served as shipped: no bundler, no build step), the few lines of live
 * updates and the stylesheet beside this file. Paths carry the htmx version, so a browser never
 * keeps an old copy after an upgrade.
 */

const require = createRequire(import.meta.url);
const HTMX_VERSION = (require("htmx.org/package.json") as { version: string }).version;

/** The fixed paths pages link to. */
export const STATIC = {
  htmx: `/static/htmx-${HTMX_VERSION}.min.js`,
  live: "/static/live.js",
  css: "/static/console.css",
} as const;

/** One file to send. */
export interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

/** Reads the static files (at console start). */
export function loadStaticFiles(): ReadonlyMap<string, StaticFile> {
  const js = "text/javascript; charset=utf-8";
  return new Map<string, StaticFile>([
    [STATIC.htmx, { type: js, body: readFileSync(require.resolve("htmx.org/dist/htmx.min.js")) }],
    [STATIC.live, { type: js, body: readFileSync(new URL("./assets/live.js", import.meta.url)) }],
    [
      STATIC.css,
      {
        type: "text/css; charset=utf-8",
        body: readFileSync(new URL("./assets/console.css", import.meta.url)),
      },
    ],
  ]);
}

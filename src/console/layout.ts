import { html, type SafeHtml } from "./html.ts";
import { STATIC } from "./static-files.ts";
import type { Viewer } from "./viewer.ts";

/*
 * The page around every view. htmx boosts links and forms (so moving between pages swaps the
 * body without a reload), but every page is a plain server-rendered document: with
 * JavaScript off, links and GET forms read exactly the same, and POST forms still post. The
 * htmx config swaps error pages too (a refused change shows its reason) and keeps htmx from
 * injecting inline styles, which the Content-Security-Policy forbids.
 */

const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  responseHandling: [
    { code: "204", swap: false },
    { code: "[2345]..", swap: true },
  ],
});

/** What a page shows around its body. */
export interface PageFrame {
  readonly title: string;
  /** Undefined on the login page. */
  readonly viewer: Viewer | undefined;
  /** The session's CSRF token, for the logout form. */
  readonly csrf: string | undefined;
  /** Which nav entry is current. */
  readonly section?: "overview" | "tasks";
}

/** A whole HTML document. */
export function page(frame: PageFrame, body: SafeHtml): SafeHtml {
  const nav = (href: string, label: string, key: PageFrame["section"]) =>
    html`<a href="${href}"${frame.section === key ? html` aria-current="page"` : ""}>${label}</a>`;
  const who =
    frame.viewer === undefined
      ? ""
      : frame.viewer.authenticated
        ? html`<span class="who">${frame.viewer.name} (${[...frame.viewer.roles].join(", ")})</span>
          <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="${frame.csrf ?? ""}"><button>Log out</button></form>`
        : html`<span class="who">no tokens configured: loopback only</span>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${frame.title} · Partitura</title>
<link rel="stylesheet" href="${STATIC.css}">
<script src="${STATIC.htmx}" defer></script>
<script src="${STATIC.live}" defer></script>
</head>
<body hx-boost="true">
<header><strong>Partitura</strong> ${nav("/", "Overview", "overview")} ${nav("/tasks", "Tasks", "tasks")} ${who}</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}

/** A message box (error or notice). */
export function notice(kind: "error" | "info", text: string): SafeHtml {
  return html`<p class="notice ${kind}" role="${kind === "error" ? "alert" : "status"}">${text}</p>`;
}

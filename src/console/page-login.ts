import { html, type SafeHtml } from "./html.ts";
import { notice } from "./layout.ts";

/*
 * The login form: the same bearer token the gRPC API takes. It is posted once and kept in an
 * HttpOnly cookie; it is never put into a page, a URL or a log.
 */

/** The login page's body; `error` when the last attempt failed. */
export function loginBody(error: string | undefined, next: string): SafeHtml {
  return html`<h1>Log in</h1>
${error === undefined ? "" : notice("error", error)}
<form method="post" action="/login" class="login" hx-boost="false">
<input type="hidden" name="next" value="${next}">
<label>Bearer token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>
<p class="muted">Use a token from PARTITURA_AUTH_TOKENS_FILE. Readers see; the admin role changes.</p>`;
}

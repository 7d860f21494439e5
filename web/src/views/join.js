// An invite link (/messenger/join/{code}): what group it opens, then joining it, after logging in if needed.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { go } from "../router.js";
import { AuthView } from "./auth.js";

export function JoinView({ code, signedIn, onSignedIn }) {
  const [invite, setInvite] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api(`join/${encodeURIComponent(code)}`).then(setInvite).catch((e) => setError(e.status === 404 ? "This invite link does not exist." : e.message));
  }, [code, signedIn]);

  async function join() {
    try {
      const joined = await api(`join/${encodeURIComponent(code)}`, { method: "POST" });
      go(`threads/${joined.thread_id}`);
    } catch (e) { setError(e.message); }
  }

  const o = invite?.options;
  return html`<section class="join card" aria-labelledby="join-title">
    <h2 id="join-title">${o?.is_valid ? `Join ${o.thread_name}` : "Invitation"}</h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${o && !o.is_valid && html`<p>This invite link has expired or has been used up.</p>`}
    ${o?.is_valid && (signedIn
      ? (o.in_thread
        ? html`<p>You are already in this group.</p><button type="button" class="primary" onClick=${() => go(`threads/${invite.thread_id}`)}>Open it</button>`
        : html`<button type="button" class="primary" onClick=${join}>Join the group</button>`)
      : html`<p>Log in or create an account to join.</p><${AuthView} onSignedIn=${onSignedIn} />`)}
  </section>`;
}

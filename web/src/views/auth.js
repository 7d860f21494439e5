// Register or log in; the token is kept in this browser until log-out.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { api, auth } from "../api.js";
import { settings } from "../settings.js";

export function AuthView({ onSignedIn, reason }) {
  const [mode, setMode] = useState("login");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = { email: form.get("email"), password: form.get("password") };
    if (mode === "register") body.name = form.get("name");
    setBusy(true);
    setError(null);
    try {
      const issued = await api(`/api/auth/${mode}`, { method: "POST", json: body });
      auth.set(issued.token);
      onSignedIn();
    } catch (failure) {
      const details = Object.values(failure.errors || {}).flat();
      setError(details.length ? details.join(" ") : failure.message);
    } finally {
      setBusy(false);
    }
  }

  const registering = mode === "register";
  return html`<main class="auth">
    <form class="card" onSubmit=${submit} aria-labelledby="auth-title">
      <h1 id="auth-title">${settings.siteName || "Messenger"}</h1>
      ${reason && html`<p class="hint">${reason}</p>`}
      <h2>${registering ? "Create an account" : "Log in"}</h2>
      ${registering && html`<label>Name<input name="name" autocomplete="name" required maxlength="255" /></label>`}
      <label>Email<input name="email" type="email" autocomplete="email" required /></label>
      <label>Password<input name="password" type="password" autocomplete=${registering ? "new-password" : "current-password"}
        required /></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>${registering ? "Create account" : "Log in"}</button>
      <button type="button" class="link" onClick=${() => { setMode(registering ? "login" : "register"); setError(null); }}>
        ${registering ? "I have an account: log in" : "New here? Create an account"}
      </button>
    </form>
  </main>`;
}

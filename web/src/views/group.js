// Groups: create one; and the panel of a thread: participants (admins manage them), settings, avatar, invites,
// mute, leave, archive.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { state, update, notify, statusOf } from "../store.js";
import * as threads from "../threads.js";
import { go } from "../router.js";
import { Avatar } from "../images.js";

const PERMISSIONS = [["send_messages", "Send messages"], ["send_knocks", "Knock"], ["start_calls", "Start calls"],
                     ["add_participants", "Add people"], ["manage_invites", "Manage invites"]];
const GROUP_SETTINGS = [["messaging", "Messaging"], ["add_participants", "Members may add people"],
                        ["invitations", "Invite links"], ["calling", "Calls"], ["knocks", "Knocks"]];
const EXPIRY = [[0, "Never"], [1, "30 minutes"], [2, "1 hour"], [3, "6 hours"], [4, "12 hours"], [5, "1 day"], [6, "1 week"]];

function ProviderPicker({ candidates, name }) {
  if (!candidates.length) return html`<p class="hint">No friends to add.</p>`;
  return html`<fieldset class="picker"><legend>People</legend>${candidates.map((p) => html`<label class="check" key=${p.provider_id}>
    <input type="checkbox" name=${name} value=${`${p.provider_alias}:${p.provider_id}`} /> ${p.name}</label>`)}</fieldset>`;
}

const picked = (form, name) => form.getAll(name).map((v) => { const [alias, ...id] = v.split(":"); return { alias, id: id.join(":") }; });

export function NewGroupView() {
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const thread = await api("groups", { method: "POST", json: { subject: form.get("subject"), providers: picked(form, "providers") } });
      update((s) => { s.threads.set(thread.id, thread); });
      go(`threads/${thread.id}`);
    } catch (error) { notify(error.message); }
  }
  return html`<form class="card" onSubmit=${submit} aria-labelledby="new-group-title">
    <h2 id="new-group-title">New group</h2>
    <label>Name<input name="subject" required minlength="3" maxlength="255" /></label>
    <${ProviderPicker} candidates=${state.friends.map((f) => f.party)} name="providers" />
    <button type="submit" class="primary">Create group</button>
  </form>`;
}

export function GroupPanel({ thread, onClose }) {
  const [participants, setParticipants] = useState([]);
  const [candidates, setCandidates] = useState([]);
  const [settings, setSettings] = useState(null);
  const [invites, setInvites] = useState([]);
  const options = thread.options || {};
  const id = thread.id;

  async function reload() {
    const list = await api(`threads/${id}/participants`).catch(() => null);
    if (list) setParticipants(list.data);
    if (thread.group && options.admin) setSettings(await api(`threads/${id}/settings`).catch(() => null));
    if (thread.group && options.add_participants) setCandidates((await api(`threads/${id}/add-participants`).catch(() => []))?.data ?? []);
    if (thread.group && options.invitations) setInvites((await api(`threads/${id}/invites`).catch(() => null))?.data ?? []);
  }
  useEffect(() => { reload(); }, [id, options.admin]);

  const run = (path, method = "POST", json) => api(`threads/${id}/${path}`, { method, json })
    .then(async (r) => { await threads.load(id); await reload(); return r; })
    .catch((e) => { notify(e.message); return null; });

  async function leave() {
    if (!window.confirm("Leave this group?")) return;
    if (await run("leave") !== null) { threads.forget(id); go(""); }
  }
  async function archive() {
    if (!window.confirm("Delete this conversation for everyone?")) return;
    try { await api(`threads/${id}`, { method: "DELETE" }); threads.forget(id); go(""); } catch (e) { notify(e.message); }
  }
  // the settings form shows defaults, not values: a reload arriving while someone types must not undo the typing
  async function saveSettings(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = { subject: form.get("subject") };
    for (const [key] of GROUP_SETTINGS) body[key] = form.get(key) === "on";
    await run("settings", "PUT", body);
  }
  async function avatar(event) {
    const file = event.currentTarget.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("image", file);
    await api(`threads/${id}/avatar`, { method: "POST", form }).then(() => threads.load(id)).catch((e) => notify(e.message));
  }
  async function addPeople(event) {
    event.preventDefault();
    const providers = picked(new FormData(event.currentTarget), "add");
    if (providers.length) await run("participants", "POST", { providers });
  }
  async function createInvite(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    await run("invites", "POST", { expires: Number(form.get("expires")), uses: Number(form.get("uses")) });
  }
  function permissions(p) {
    return (event) => {
      const form = new FormData(event.currentTarget.form);
      const body = {};
      for (const [key] of PERMISSIONS) body[key] = form.get(key) === "on";
      run(`participants/${p.id}`, "PUT", body);
    };
  }

  return html`<section class="panel" aria-label="Conversation details">
    <button type="button" class="close" onClick=${onClose} aria-label="Close details">×</button>
    <h3>People</h3>
    <ul class="people" aria-label="Participants">${participants.map((p) => html`<li class="person" key=${p.id}>
      <${Avatar} provider=${p.owner} status=${statusOf(p.owner)} />
      <span class="person-name">${p.owner.name}${p.admin ? html` <span class="badge muted">admin</span>` : ""}</span>
      ${thread.group && options.admin && p.owner_id !== state.me.provider_id && html`<span class="person-actions">
        ${p.admin ? html`<button type="button" onClick=${() => run(`participants/${p.id}/demote`)}>Demote</button>`
          : html`<button type="button" onClick=${() => run(`participants/${p.id}/promote`)}>Make admin</button>`}
        <button type="button" onClick=${() => run(`participants/${p.id}`, "DELETE")}>Remove</button>
        ${!p.admin && html`<details><summary>Permissions</summary><form>${PERMISSIONS.map(([key, label]) => html`<label class="check" key=${key}>
          <input type="checkbox" name=${key} checked=${p[key]} onChange=${permissions(p)} /> ${label}</label>`)}</form></details>`}
      </span>`}
    </li>`)}</ul>
    ${thread.group && options.add_participants && html`<form onSubmit=${addPeople}>
      <${ProviderPicker} candidates=${candidates.map((c) => c.owner ?? c)} name="add" />
      ${candidates.length > 0 && html`<button type="submit">Add</button>`}</form>`}
    ${settings && html`<form class="group-settings" onSubmit=${saveSettings} key=${id}>
      <h3>Group settings</h3>
      <label>Name<input name="subject" defaultValue=${settings.name} required minlength="3" maxlength="255" /></label>
      ${GROUP_SETTINGS.map(([key, label]) => html`<label class="check" key=${key}>
        <input type="checkbox" name=${key} defaultChecked=${settings[key]} /> ${label}</label>`)}
      <button type="submit">Save</button>
      <label class="button">Change the picture<input type="file" accept="image/*" class="sr-only" onChange=${avatar} /></label>
    </form>`}
    ${thread.group && options.invitations && html`<div class="invites">
      <h3>Invite links</h3>
      <ul>${invites.map((i) => html`<li key=${i.id}><input readonly value=${i.route} aria-label="Invite link" onFocus=${(e) => e.currentTarget.select()} />
        <span class="hint">${i.uses}${i.max_use ? `/${i.max_use}` : ""} used</span>
        <button type="button" onClick=${() => navigator.clipboard?.writeText(i.route).then(() => notify("Link copied"))}>Copy</button>
        <button type="button" onClick=${() => run(`invites/${i.id}`, "DELETE")}>Delete</button></li>`)}</ul>
      <form onSubmit=${createInvite} class="inline">
        <label>Expires<select name="expires">${EXPIRY.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select></label>
        <label>Uses (0 = unlimited)<input name="uses" type="number" min="0" max="100" value="0" /></label>
        <button type="submit">Create link</button>
      </form>
    </div>`}
    <div class="danger">
      <button type="button" onClick=${() => run(options.muted ? "unmute" : "mute")}>${options.muted ? "Unmute" : "Mute"}</button>
      ${thread.group && html`<button type="button" onClick=${leave}>Leave group</button>`}
      ${(!thread.group || options.admin) && html`<button type="button" class="danger" onClick=${archive}>Delete conversation</button>`}
    </div>
  </section>`;
}

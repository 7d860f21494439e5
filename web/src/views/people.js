// People: friend requests to answer, requests I sent, my friends with their online dots, and search.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { state, update, notify, statusOf } from "../store.js";
import * as people from "../people.js";
import { go } from "../router.js";
import { Avatar } from "../images.js";

export async function openPrivate(provider) {
  const found = await api(`privates/recipient/${provider.provider_alias}/${provider.provider_id}`).catch((e) => { notify(e.message); return null; });
  if (!found) return;
  if (found.thread_id) go(`threads/${found.thread_id}`);
  else update((s) => { s.firstMessageTo = found.recipient; });
}

function FirstMessage() {
  const recipient = state.firstMessageTo;
  if (!recipient) return null;
  async function submit(event) {
    event.preventDefault();
    const message = new FormData(event.currentTarget).get("message").trim();
    if (!message) return;
    try {
      const thread = await api("privates", { method: "POST", json: { recipient_id: recipient.provider_id, recipient_alias: recipient.provider_alias, message } });
      update((s) => { s.threads.set(thread.id, thread); s.firstMessageTo = null; });
      go(`threads/${thread.id}`);
    } catch (error) { notify(error.message); }
  }
  return html`<form class="card first-message" onSubmit=${submit} aria-label=${`Message ${recipient.name}`}>
    <h3>Message ${recipient.name}</h3>
    <label>First message<textarea name="message" required maxlength="5000" autofocus></textarea></label>
    <button type="submit" class="primary">Send</button>
    <button type="button" onClick=${() => update((s) => { s.firstMessageTo = null; })}>Cancel</button>
  </form>`;
}

function Person({ provider, children }) {
  return html`<li class="person">
    <${Avatar} provider=${provider} status=${statusOf(provider)} />
    <span class="person-name">${provider.name}</span>
    <span class="person-actions">${children}</span>
  </li>`;
}

function SearchResults({ results }) {
  if (results === null) return null;
  if (results.length === 0) return html`<p class="hint">Nobody found.</p>`;
  return html`<ul class="people" aria-label="Search results">${results.map((p) => {
    const o = p.options || {};
    const action = {
      0: o.can_friend && html`<button type="button" onClick=${() => people.sendRequest(p)}>Add friend</button>`,
      1: html`<span class="hint">Friend</span>`,
      2: html`<button type="button" onClick=${() => people.cancel({ id: o.sent_friend_id })}>Cancel request</button>`,
      3: html`<button type="button" onClick=${() => people.accept({ id: o.pending_friend_id })}>Accept request</button>`,
    }[o.friend_status ?? 0];
    return html`<${Person} key=${p.provider_id} provider=${p}>${action}
      <button type="button" onClick=${() => openPrivate(p)}>Message</button><//>`;
  })}</ul>`;
}

export function PeopleView() {
  const [results, setResults] = useState(null);
  async function search(event) {
    event.preventDefault();
    const query = new FormData(event.currentTarget).get("query");
    setResults(await people.search(query).catch((e) => { notify(e.message); return []; }));
  }
  return html`<section class="people-view" aria-labelledby="people-title">
    <h2 id="people-title">People</h2>
    <${FirstMessage} />
    <form role="search" class="search" onSubmit=${search}>
      <label>Find people by name or email<input name="query" type="search" autocomplete="off" /></label>
      <button type="submit">Search</button>
    </form>
    <${SearchResults} results=${results} />
    ${state.pending.length > 0 && html`<h3>Friend requests</h3><ul class="people" aria-label="Friend requests">
      ${state.pending.map((r) => html`<${Person} key=${r.id} provider=${r.sender}>
        <button type="button" class="primary" onClick=${() => people.accept(r)}>Accept</button>
        <button type="button" onClick=${() => people.deny(r)}>Deny</button><//>`)}</ul>`}
    ${state.sent.length > 0 && html`<h3>Requests I sent</h3><ul class="people" aria-label="Requests I sent">
      ${state.sent.map((r) => html`<${Person} key=${r.id} provider=${r.recipient}>
        <button type="button" onClick=${() => people.cancel(r)}>Cancel</button><//>`)}</ul>`}
    <h3>Friends</h3>
    ${state.friends.length === 0 ? html`<p class="hint">No friends yet: search for people above.</p>`
      : html`<ul class="people" aria-label="Friends">${state.friends.map((f) => html`<${Person} key=${f.id} provider=${f.party}>
        <button type="button" onClick=${() => openPrivate(f.party)}>Message</button>
        <button type="button" onClick=${() => window.confirm(`Remove ${f.party.name} from your friends?`) && people.unfriend(f)}>Remove</button><//>`)}</ul>`}
  </section>`;
}

// One conversation: its header, the messages (older pages load as you scroll up), typing, read receipts, the composer.
import { html } from "htm/preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api } from "../api.js";
import { state, update, notify, statusOf } from "../store.js";
import * as threads from "../threads.js";
import * as realtime from "../realtime.js";
import { go } from "../router.js";
import { Avatar, AuthImage, download } from "../images.js";
import { Composer } from "./composer.js";
import { GroupPanel } from "./group.js";
import { startCall, joinCall } from "./call.js";

// a stored document is named {uploaded name}_{time}[_{random}].{ext}: people see the name they uploaded
const documentName = (stored) => stored.replace(/_\d+(?:_[0-9a-f]{16})?(\.[A-Za-z0-9]+)$/, "$1");
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export function ThreadView({ id }) {
  const thread = state.threads.get(id);
  const [panel, setPanel] = useState(false);

  useEffect(() => {
    threads.setViewing(id);
    if (!state.threads.has(id)) threads.load(id);
    threads.loadMessages(id, true).then(() => threads.markRead(id));
    threads.loadReads(id);
    const leaveChannel = realtime.joinThread(id);
    const leave = (event) => { if (event.detail === id) go(""); };
    window.addEventListener("messenger:leave-thread", leave);
    return () => { threads.setViewing(null); leaveChannel(); window.removeEventListener("messenger:leave-thread", leave); };
  }, [id]);

  if (!thread) return html`<p class="loading" role="status">Loading…</p>`;
  const options = thread.options || {};
  const here = (state.here.get(id) || []).filter((m) => m.provider_id !== state.me.provider_id);
  const recipient = thread.resources?.recipient;

  async function approve(approveIt) {
    await api(`threads/${id}/approval`, { method: "POST", json: { approve: approveIt } }).catch((e) => notify(e.message));
    if (approveIt) threads.load(id); else { threads.forget(id); go(""); }
  }
  async function knock() {
    await api(`threads/${id}/knock-knock`, { method: "POST" }).then(() => notify("Knock sent")).catch((e) => notify(e.message));
  }

  return html`<section class="thread" aria-labelledby="thread-title">
    <header class="thread-header">
      <button type="button" class="back" onClick=${() => go("")} aria-label="Back to conversations">‹</button>
      <${Avatar} thread=${thread} status=${thread.group ? undefined : statusOf(recipient)} />
      <div class="thread-title">
        <h2 id="thread-title">${thread.name}</h2>
        <p class="here" aria-live="polite">${here.length ? `Here now: ${here.map((m) => m.name).join(", ")}` : "Nobody else here"}</p>
      </div>
      <div class="actions">
        ${options.knock && html`<button type="button" onClick=${knock}>Knock</button>`}
        ${state.call?.call.thread_id === id ? null : thread.has_call && thread.resources?.active_call
          ? html`<button type="button" class="primary" onClick=${() => joinCall(thread.resources.active_call, thread)}>Join call</button>`
          : options.call && html`<button type="button" onClick=${() => startCall(thread, false)}>Audio call</button>
             <button type="button" onClick=${() => startCall(thread, true)}>Video call</button>`}
        <button type="button" aria-expanded=${panel} onClick=${() => setPanel(!panel)}>${thread.group ? "Group" : "Details"}</button>
      </div>
    </header>
    ${panel && html`<${GroupPanel} thread=${thread} onClose=${() => setPanel(false)} />`}
    ${options.awaiting_my_approval && html`<div class="approval" role="region" aria-label="Message request">
      <p>${recipient?.name} wants to start a conversation with you.</p>
      <button type="button" class="primary" onClick=${() => approve(true)}>Accept</button>
      <button type="button" onClick=${() => approve(false)}>Deny</button>
    </div>`}
    <${MessageList} thread=${thread} />
    <${Typing} id=${id} />
    ${options.message ? html`<${Composer} thread=${thread} />`
      : html`<p class="hint composer-off">${thread.pending ? "Waiting for approval." : "You cannot send messages here."}</p>`}
  </section>`;
}

function Typing({ id }) {
  const names = [...(state.typing.get(id)?.values() || [])];
  return html`<p class="typing" aria-live="polite">${names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : ""}</p>`;
}

function MessageList({ thread }) {
  const list = state.messages.get(thread.id);
  const box = useRef(null);
  const pinned = useRef(true); // at the bottom: stay there as messages arrive
  const before = useRef(null); // scroll height before older messages were added above
  const items = list?.items || [];

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (before.current !== null) {
      el.scrollTop += el.scrollHeight - before.current;
      before.current = null;
    } else if (pinned.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [items.length, items[0]?.id]);

  function scrolled() {
    const el = box.current;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 200 && list?.next && !list.loading) {
      before.current = el.scrollHeight;
      threads.loadMessages(thread.id);
    }
  }

  const reads = state.reads.get(thread.id) || new Map();
  const readers = new Map(); // message id -> names of those who read up to it
  const names = new Map((state.here.get(thread.id) || []).map((m) => [m.provider_id, m.name]));
  if (!thread.group && thread.resources?.recipient) names.set(thread.resources.recipient.provider_id, thread.resources.recipient.name);
  const position = new Map(items.map((m, index) => [m.id, index]));
  for (const [providerId, messageId] of reads) {
    if (providerId === state.me.provider_id || !position.has(messageId)) continue;
    // shown under the last message they read that someone else wrote (their own say nothing)
    let index = position.get(messageId);
    while (index > 0 && items[index].owner_id === providerId) index -= 1;
    if (items[index].owner_id === providerId) continue;
    const shownAt = items[index].id;
    readers.set(shownAt, [...(readers.get(shownAt) || []), names.get(providerId) || "someone"]);
  }

  return html`<div class="messages" ref=${box} onScroll=${scrolled} role="log" aria-label="Messages" tabindex="0">
    ${list?.next && html`<p class="hint">${list.loading ? "Loading older messages…" : "Scroll up for older messages"}</p>`}
    ${!list?.next && list?.loaded && html`<p class="hint">The beginning of the conversation</p>`}
    ${items.map((m) => html`<${Message} key=${m.id} message=${m} thread=${thread} readBy=${readers.get(m.id)} />`)}
  </div>`;
}

function Message({ message: m, thread, readBy }) {
  const [editing, setEditing] = useState(false);
  const mine = m.owner_id === state.me.provider_id;
  if (m.system_message) return html`<p class="system" data-message=${m.id}>${m.owner?.name} ${m.body} · ${time(m.created_at)}</p>`;

  async function saveEdit(event) {
    event.preventDefault();
    const text = new FormData(event.currentTarget).get("text").trim();
    setEditing(false);
    if (text && text !== m.body) await threads.edit(thread.id, m.id, text).catch((e) => notify(e.message));
  }
  async function remove() {
    if (window.confirm("Delete this message?")) await threads.remove(thread.id, m.id).catch((e) => notify(e.message));
  }

  let body;
  if (editing) {
    body = html`<form onSubmit=${saveEdit} class="edit"><label class="sr-only" for=${`edit-${m.id}`}>Edit message</label>
      <input id=${`edit-${m.id}`} name="text" value=${m.body} autofocus />
      <button type="submit">Save</button><button type="button" onClick=${() => setEditing(false)}>Cancel</button></form>`;
  } else if (m.type === 1) {
    body = m.pending ? html`<span class="hint">Uploading ${m.body}…</span>`
      : html`<${AuthImage} class="picture" src=${m.api_image?.md} alt=${`Image from ${m.owner?.name}`} />`;
  } else if (m.type === 2) {
    body = m.pending ? html`<span class="hint">Uploading ${m.body}…</span>`
      : html`<button type="button" class="file" onClick=${() => download(m.api_document, documentName(m.body))}
                     aria-label=${`Download ${documentName(m.body)}`}>${documentName(m.body)}</button>`;
  } else {
    body = html`<span class="text">${m.body}</span>`;
  }
  return html`<article class=${`message ${mine ? "mine" : ""} ${m.pending ? "pending" : ""}`} data-message=${m.id}
                       aria-label=${`${m.owner?.name} at ${time(m.created_at)}`}>
    ${!mine && html`<${Avatar} provider=${m.owner} />`}
    <div class="bubble">
      ${thread.group && !mine && html`<span class="author">${m.owner?.name}</span>`}
      ${body}
      <span class="meta">${time(m.created_at)}${m.edited ? " · edited" : ""}${m.failed ? html` · <span class="error">${m.failed}</span>` : ""}</span>
      ${mine && !m.pending && !editing && html`<span class="message-actions">
        ${m.type === 0 && html`<button type="button" class="link" onClick=${() => setEditing(true)}>Edit</button>`}
        <button type="button" class="link" onClick=${remove}>Delete</button></span>`}
    </div>
    ${readBy && html`<p class="seen" aria-label=${`Seen by ${readBy.join(", ")}`}>Seen by ${readBy.join(", ")}</p>`}
  </article>`;
}

export { update };

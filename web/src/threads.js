// Threads and their messages: loading, paging, sending, and applying what the sockets say.
import { api, nextPage } from "./api.js";
import { state, update, notify } from "./store.js";
import { preview } from "./preview.js";

let viewing = null; // the thread on screen (its new messages count as read)
export const setViewing = (id) => { viewing = id; };

export async function refresh() {
  const threads = new Map();
  let path = "threads";
  for (let page = 0; path && page < 4; page += 1) { // the 4 most recent pages; older ones on demand
    const list = await api(path);
    for (const t of list.data) threads.set(t.id, t);
    path = nextPage(list.meta);
  }
  update((s) => { s.threads = threads; });
  if (viewing && threads.has(viewing)) await loadMessages(viewing, true);
}

const loading = new Map(); // thread id -> the latest load's number: an older answer arriving later is dropped

export async function load(id) {
  const mine = (loading.get(id) || 0) + 1;
  loading.set(id, mine);
  try {
    const thread = await api(`threads/${id}`);
    if (loading.get(id) !== mine) return state.threads.get(id) || null;
    update((s) => { s.threads.set(id, keepNewestMessage(thread, s.threads.get(id))); });
    return thread;
  } catch (error) {
    if (loading.get(id) !== mine) return null;
    if (error.status === 404 || error.status === 403) forget(id);
    return null;
  }
}

/** A thread as loaded, but with the latest message the sockets brought meanwhile if that one is newer. */
function keepNewestMessage(loaded, known) {
  const mine = loaded.resources?.latest_message;
  const theirs = known?.resources?.latest_message;
  if (!theirs || (mine && mine.created_at >= theirs.created_at)) return loaded;
  return { ...loaded, resources: { ...loaded.resources, latest_message: theirs } };
}

export function forget(id) {
  update((s) => {
    s.threads.delete(id);
    s.messages.delete(id);
  });
  if (viewing === id) window.dispatchEvent(new CustomEvent("messenger:leave-thread", { detail: id }));
}

/** The newest page (`fresh`), or the next older one. Messages are kept oldest first. */
export async function loadMessages(id, fresh = false) {
  const current = state.messages.get(id);
  if (!fresh && (current?.loading || (current && !current.next))) return;
  const path = fresh || !current ? `threads/${id}/messages` : current.next;
  update((s) => { s.messages.set(id, { items: [], next: null, ...current, loading: true }); });
  try {
    const page = await api(path);
    const older = [...page.data].reverse();
    update((s) => {
      const known = fresh || !current ? [] : current.items;
      const ids = new Set(known.map((m) => m.id));
      const pending = fresh && current ? current.items.filter((m) => m.pending) : [];
      s.messages.set(id, { items: [...older.filter((m) => !ids.has(m.id)), ...known, ...pending],
                          next: nextPage(page.meta), loading: false, loaded: true });
    });
  } catch (error) {
    update((s) => { s.messages.set(id, { items: [], next: null, ...current, loading: false }); });
    notify(error.message);
  }
}

export async function loadReads(id) {
  const list = await api(`threads/${id}/participants`).catch(() => null);
  if (!list) return;
  update((s) => {
    const reads = new Map();
    for (const p of list.data) if (p.last_read?.message_id) reads.set(p.owner_id, p.last_read.message_id);
    s.reads.set(id, reads);
  });
}

function bump(thread, message) {
  const unread = message.owner_id !== state.me?.provider_id && viewing !== thread.id;
  return { ...thread, updated_at: message.created_at, unread: thread.unread || unread,
           unread_count: (thread.unread_count || 0) + (unread ? 1 : 0),
           resources: { ...thread.resources, latest_message: message } };
}

export function receiveMessage(message) {
  const thread = state.threads.get(message.thread_id);
  if (!thread) { load(message.thread_id); return; }
  update((s) => {
    s.threads.set(thread.id, bump(thread, message));
    const list = s.messages.get(thread.id);
    if (list) {
      const items = list.items.filter((m) => m.id !== message.id &&
        !(message.temporary_id && m.temporary_id === message.temporary_id));
      s.messages.set(thread.id, { ...list, items: [...items, message] });
    }
    s.typing.get(thread.id)?.delete(message.owner_id);
  });
  if (viewing === thread.id) markRead(thread.id);
  else if (message.owner_id !== state.me?.provider_id) alertNewMessage(message);
}

export function receiveEdit(message) {
  update((s) => {
    const list = s.messages.get(message.thread_id);
    if (list) s.messages.set(message.thread_id, { ...list, items: list.items.map((m) => (m.id === message.id ? message : m)) });
  });
}

export function removeMessage(threadId, messageId) {
  update((s) => {
    const list = s.messages.get(threadId);
    if (list) s.messages.set(threadId, { ...list, items: list.items.filter((m) => m.id !== messageId) });
    const thread = s.threads.get(threadId);
    if (thread?.resources?.latest_message?.id === messageId) {
      s.threads.set(threadId, { ...thread, resources: { ...thread.resources, latest_message: null } });
    }
  });
}

export function markedRead(threadId) {
  update((s) => {
    const t = s.threads.get(threadId);
    if (t) s.threads.set(threadId, { ...t, unread: false, unread_count: 0 });
  });
}

export async function markRead(threadId) {
  markedRead(threadId);
  await api(`threads/${threadId}/mark-read`).catch(() => {});
  const list = state.messages.get(threadId);
  const last = list?.items.filter((m) => !m.pending).at(-1);
  if (last && state.me) {
    const { whisper } = await import("./realtime.js");
    whisper(threadId, "read", { provider_id: state.me.provider_id, provider_alias: state.me.provider_alias, message_id: last.id });
  }
}

export function callFinished(callId) {
  for (const t of state.threads.values()) {
    if (t.resources?.active_call?.id === callId) load(t.id);
  }
}

/** Text, an image or a document; shown at once as pending, replaced by the stored message when it arrives. */
export async function send(threadId, { text, file, kind }) {
  const temporaryId = crypto.randomUUID();
  const me = state.me;
  const draft = { id: temporaryId, temporary_id: temporaryId, pending: true, thread_id: threadId, owner_id: me.provider_id,
                  owner: me, type: kind === "image" ? 1 : kind === "document" ? 2 : 0, body: text ?? file?.name,
                  created_at: new Date().toISOString() };
  update((s) => {
    const list = s.messages.get(threadId) || { items: [], next: null };
    s.messages.set(threadId, { ...list, items: [...list.items, draft] });
  });
  try {
    let stored;
    if (kind) {
      const form = new FormData();
      form.append(kind, file);
      form.append("temporary_id", temporaryId);
      stored = await api(`threads/${threadId}/${kind}s`, { method: "POST", form });
    } else {
      stored = await api(`threads/${threadId}/messages`, { method: "POST", json: { message: text, temporary_id: temporaryId } });
    }
    receiveMessage(stored);
  } catch (error) {
    update((s) => {
      const list = s.messages.get(threadId);
      if (list) s.messages.set(threadId, { ...list, items: list.items.map((m) => (m.id === temporaryId ? { ...m, failed: error.message } : m)) });
    });
  }
}

export async function edit(threadId, messageId, text) {
  receiveEdit(await api(`threads/${threadId}/messages/${messageId}`, { method: "PUT", json: { message: text } }));
}

export async function remove(threadId, messageId) {
  await api(`threads/${threadId}/messages/${messageId}`, { method: "DELETE" });
  removeMessage(threadId, messageId);
}

let audioContext = null;
function alertNewMessage(message) {
  const settings = state.settings;
  if (!settings) return;
  if (settings.message_sound) {
    try {
      audioContext ??= new AudioContext();
      const tone = audioContext.createOscillator();
      const gain = audioContext.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.05;
      tone.connect(gain).connect(audioContext.destination);
      tone.start();
      tone.stop(audioContext.currentTime + 0.12);
    } catch { /* no audio on this device */ }
  }
  if (settings.message_popups) notify(preview(message, state.me));
}

// The page's state in one place: views read it with useStore(), changes go through update().
import { useEffect, useState } from "preact/hooks";

export const state = {
  me: null,            // my provider (from the heartbeat)
  settings: null,      // my six messenger settings
  threads: new Map(),  // id -> thread resource
  messages: new Map(), // thread id -> {items: oldest first, next: older page path | null, loaded, loading}
  friends: [], pending: [], sent: [],
  statuses: new Map(), // "alias:id" -> 0 offline | 1 online | 2 away
  here: new Map(),     // thread id -> presence members
  typing: new Map(),   // thread id -> Map(provider id -> name)
  reads: new Map(),    // thread id -> Map(provider id -> last read message id)
  incomingCall: null,  // {call, sender} while ringing
  call: null,          // the call I am in: {call, thread}
  notices: [],         // short lines for the user (errors, "you were removed"...), see notify()
  firstMessageTo: null, // the person a new private conversation is being written to
  connected: false,
};

const listeners = new Set();
let version = 0;

export function update(change) {
  if (change) change(state);
  version += 1;
  for (const listener of listeners) listener(version);
}

export function useStore() {
  const [, setVersion] = useState(version);
  useEffect(() => {
    listeners.add(setVersion);
    return () => listeners.delete(setVersion);
  }, []);
  return state;
}

const NOTICE_MS = 6000;
const MAX_NOTICES = 3;
let noticeSerial = 0;

/** A short line for the user; several at once are stacked (the newest last), each for a few seconds. */
export function notify(text) {
  const notice = { id: (noticeSerial += 1), text };
  update((s) => { s.notices = [...s.notices, notice].slice(-MAX_NOTICES); });
  setTimeout(() => update((s) => { s.notices = s.notices.filter((n) => n !== notice); }), NOTICE_MS);
}

/** Threads by latest activity, newest first. */
export function sortedThreads() {
  const activity = (t) => t.resources?.latest_message?.created_at || t.updated_at || t.created_at || "";
  return [...state.threads.values()].sort((a, b) => (activity(b) > activity(a) ? 1 : activity(b) < activity(a) ? -1 : 0));
}

export function statusOf(provider) {
  if (!provider) return 0;
  return state.statuses.get(`${provider.provider_alias}:${provider.provider_id}`) ?? provider.options?.online_status ?? 0;
}

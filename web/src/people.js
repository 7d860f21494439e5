// Friends, friend requests and search.
import { api } from "./api.js";
import { update, notify } from "./store.js";

export async function refresh() {
  const [friends, pending, sent] = await Promise.all(["friends", "friends/pending", "friends/sent"].map((p) => api(p).catch(() => null)));
  update((s) => {
    if (friends) s.friends = friends.data ?? friends;
    if (pending) s.pending = pending.data ?? pending;
    if (sent) s.sent = sent.data ?? sent;
    for (const f of s.friends) {
      const party = f.party;
      if (party?.options?.online_status !== undefined) s.statuses.set(`${party.provider_alias}:${party.provider_id}`, party.options.online_status);
    }
  });
}

export async function search(query) {
  if (!query.trim()) return [];
  const found = await api(`search/${encodeURIComponent(query.trim())}`);
  return found.data ?? [];
}

async function act(path, method, json) {
  try {
    await api(path, { method, json });
  } catch (error) {
    notify(error.message);
  }
  await refresh();
}

export const sendRequest = (p) => act("friends/sent", "POST", { recipient_id: p.provider_id, recipient_alias: p.provider_alias });
export const accept = (pending) => act(`friends/pending/${pending.id}`, "PUT");
export const deny = (pending) => act(`friends/pending/${pending.id}`, "DELETE");
export const cancel = (sent) => act(`friends/sent/${sent.id}`, "DELETE");
export const unfriend = (friend) => act(`friends/${friend.id}`, "DELETE");

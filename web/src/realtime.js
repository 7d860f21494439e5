// Sockets: laravel-echo over socket.io-client on our gateway. My private channel carries what concerns me
// (messages, threads, friends, calls, statuses); a thread's presence channel says who is here, carries whispers
// (typing, read) and edits.
import Echo from "laravel-echo";
import { io } from "socket.io-client";
import { api, auth } from "./api.js";
import { state, update, notify } from "./store.js";
import * as threads from "./threads.js";
import * as people from "./people.js";
import { withRecovery } from "./echo-recovery.js";

let echo = null;
const joined = new Map(); // thread id -> presence channel

export function socketId() {
  return echo?.socketId() || null;
}

export function connect(me) {
  disconnect();
  echo = new Echo({
    broadcaster: "socket.io", client: io, host: window.location.origin, bearerToken: auth.token,
    transports: ["websocket", "polling"],
  });
  // after a reconnect the gateway sends what was missed; only when it no longer can, the lists are reloaded
  withRecovery(echo, { onRecoveryFailed: catchUp });
  const socket = echo.connector.socket;
  socket.on("connect", () => update((s) => { s.connected = true; }));
  socket.on("disconnect", () => update((s) => { s.connected = false; }));

  echo.private(`messenger.${me.provider_alias}.${me.provider_id}`)
    .listen(".new.message", (m) => threads.receiveMessage(m))
    .listen(".message.archived", (e) => threads.removeMessage(e.thread_id, e.message_id))
    .listen(".new.thread", (e) => threads.load(e.thread.id))
    .listen(".thread.approval", (e) => (e.thread.approved ? threads.load(e.thread.id) : threads.forget(e.thread.id)))
    .listen(".thread.archived", (e) => threads.forget(e.thread_id))
    .listen(".thread.left", (e) => threads.forget(e.thread_id))
    .listen(".thread.read", (e) => threads.markedRead(e.thread_id))
    .listen(".promoted.admin", (e) => threads.load(e.thread_id))
    .listen(".demoted.admin", (e) => threads.load(e.thread_id))
    .listen(".permissions.updated", (e) => threads.load(e.thread_id))
    .listen(".knock.knock", (e) => notify(`${e.sender.name} knocked${e.thread.group ? ` in ${e.thread.name}` : ""}`))
    .listen(".online.status", (e) => update((s) => { s.statuses.set(`${e.provider_alias}:${e.provider_id}`, e.online_status); }))
    .listen(".friend.request", () => people.refresh())
    .listen(".friend.approved", () => people.refresh())
    .listen(".friend.denied", () => people.refresh())
    .listen(".friend.cancelled", () => people.refresh())
    .listen(".friend.removed", () => people.refresh())
    .listen(".incoming.call", (e) => update((s) => { s.incomingCall = e; }))
    .listen(".call.ended", (e) => callEnded(e.id))
    .listen(".call.unanswered", (e) => callEnded(e.id, true, "No one answered the call"))
    .listen(".left.call", (e) => callEnded(e.id, true))
    .listen(".call.kicked", (e) => e.kicked && callEnded(e.call_id, true, "You were removed from the call"));
}

let catchingUp = null;
function catchUp() {
  catchingUp ??= Promise.all([threads.refresh(), people.refresh()]).finally(() => { catchingUp = null; });
  return catchingUp;
}

function callEnded(callId, onlyMe = false, message = null) {
  const ringing = state.incomingCall?.call.id === callId ? state.incomingCall : null;
  if (ringing) notify(`Missed call from ${ringing.sender.name}`);
  update((s) => {
    if (s.incomingCall?.call.id === callId) s.incomingCall = null;
    if (s.call?.call.id === callId) s.call.ended = true;
  });
  if (message && state.call?.call.id === callId) notify(message);
  if (!onlyMe) threads.callFinished(callId);
}

export function disconnect() {
  if (echo) echo.disconnect();
  echo = null;
  joined.clear();
}

/** Join the presence channel of a thread I am reading; returns a function that leaves it. */
export function joinThread(threadId) {
  if (!echo || joined.has(threadId)) return () => {};
  const name = `messenger.thread.${threadId}`;
  const channel = echo.join(name)
    .here((members) => update((s) => { s.here.set(threadId, members); }))
    .joining((member) => update((s) => {
      s.here.set(threadId, [...(s.here.get(threadId) || []).filter((m) => m.provider_id !== member.provider_id), member]);
    }))
    .leaving((member) => update((s) => {
      s.here.set(threadId, (s.here.get(threadId) || []).filter((m) => m.provider_id !== member.provider_id));
      s.typing.get(threadId)?.delete(member.provider_id);
    }))
    .listen(".message.edited", (m) => threads.receiveEdit(m))
    .listen(".thread.settings", () => threads.load(threadId))
    .listen(".thread.avatar", () => threads.load(threadId))
    .listenForWhisper("typing", (e) => update((s) => {
      const typing = s.typing.get(threadId) || new Map();
      if (e.typing) typing.set(e.provider_id, e.name); else typing.delete(e.provider_id);
      s.typing.set(threadId, typing);
    }))
    .listenForWhisper("read", (e) => update((s) => {
      const reads = s.reads.get(threadId) || new Map();
      reads.set(e.provider_id, e.message_id);
      s.reads.set(threadId, reads);
    }))
    .listenForWhisper("online", (e) => update((s) => { s.statuses.set(`${e.provider_alias}:${e.provider_id}`, e.online_status); }));
  joined.set(threadId, channel);
  return () => {
    echo?.leave(name);
    joined.delete(threadId);
    update((s) => { s.here.delete(threadId); s.typing.delete(threadId); });
  };
}

export function whisper(threadId, event, data) {
  joined.get(threadId)?.whisper(event, data);
}

/** A call's presence channel, for WebRTC signalling between its participants. */
export function joinCall(call, handlers) {
  const name = `messenger.call.${call.id}.thread.${call.thread_id}`;
  const channel = echo.join(name)
    .here(handlers.here)
    .joining(handlers.joining)
    .leaving(handlers.leaving)
    .listenForWhisper("signal", handlers.signal);
  return {
    signal: (data) => channel.whisper("signal", data),
    leave: () => echo?.leave(name),
  };
}

/** My status, every 2 minutes (half the server's 4-minute lifetime), away when the page is hidden. */
export function startHeartbeat(onBeat) {
  const beat = () => api("heartbeat", { method: "POST", json: { away: document.hidden } }).then(onBeat).catch(() => {});
  beat();
  const timer = setInterval(beat, 120_000);
  const visibility = () => beat();
  document.addEventListener("visibilitychange", visibility);
  return () => { clearInterval(timer); document.removeEventListener("visibilitychange", visibility); };
}

export function isJoined(threadId) {
  return joined.has(threadId);
}

export { state };

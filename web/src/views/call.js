// Calls: start one (audio or video), ring on the other side, join, and talk peer to peer over WebRTC with the
// signalling relayed by our gateway (`client-signal` on the call's presence channel, to one named participant).
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api.js";
import { state, update, notify } from "../store.js";
import * as realtime from "../realtime.js";
import * as threads from "../threads.js";
import { iceServers } from "../settings.js";

const RING_FOR_MS = 90_000; // the server ends an unanswered call first (call.ended): this is for a lost event
const CALL_HEARTBEAT_MS = 30_000;
export const peers = new Map(); // provider id -> RTCPeerConnection (window.messengerPeers, for diagnostics)
window.messengerPeers = peers;

export async function startCall(thread, video) {
  try {
    const call = await api(`threads/${thread.id}/calls`, { method: "POST" });
    update((s) => { s.call = { call, thread, video, streams: new Map() }; });
    threads.load(thread.id);
  } catch (error) { notify(error.message); }
}

export async function joinCall(call, thread, video = true) {
  try {
    await api(`threads/${call.thread_id}/calls/${call.id}/join`, { method: "POST" });
    update((s) => { s.call = { call, thread: thread || s.threads.get(call.thread_id), video, streams: new Map() }; s.incomingCall = null; });
  } catch (error) { notify(error.message); }
}

function ring(on) {
  if (!state.settings?.call_ringtone_sound) return;
  try {
    if (on && !ring.context) {
      ring.context = new AudioContext();
      const tone = ring.context.createOscillator();
      const gain = ring.context.createGain();
      tone.frequency.value = 440;
      gain.gain.value = 0.04;
      tone.connect(gain).connect(ring.context.destination);
      tone.start();
    } else if (!on && ring.context) {
      ring.context.close();
      ring.context = null;
    }
  } catch { /* no audio */ }
}

function Incoming() {
  const incoming = state.incomingCall;
  useEffect(() => {
    ring(true);
    const missed = setTimeout(() => {
      update((s) => { if (s.incomingCall === incoming) s.incomingCall = null; });
    }, RING_FOR_MS);
    return () => { clearTimeout(missed); ring(false); };
  }, [incoming]);
  async function ignore() {
    update((s) => { s.incomingCall = null; });
    await api(`threads/${incoming.call.thread_id}/calls/${incoming.call.id}/ignore`, { method: "POST" }).catch(() => {});
  }
  const where = incoming.call.thread_name ? ` in ${incoming.call.thread_name}` : "";
  return html`<div class="call-bar ringing" role="alertdialog" aria-label="Incoming call">
    <p><strong>${incoming.sender.name}</strong> is calling${where}</p>
    <button type="button" class="primary" onClick=${() => joinCall(incoming.call, null, true)}>Join with video</button>
    <button type="button" onClick=${() => joinCall(incoming.call, null, false)}>Join with audio</button>
    <button type="button" onClick=${ignore}>Ignore</button>
  </div>`;
}

function Video({ stream, muted, label }) {
  const ref = useRef(null);
  useEffect(() => { if (ref.current) ref.current.srcObject = stream; }, [stream]);
  return html`<figure class="tile"><video ref=${ref} autoplay playsinline muted=${muted} aria-label=${label}></video>
    <figcaption>${label}</figcaption></figure>`;
}

function InCall({ current }) {
  const { call } = current; // from props: the component may render once more after the call is gone from the state
  const [local, setLocal] = useState(null);
  const [remote, setRemote] = useState(new Map()); // provider id -> {stream, name}
  const [participants, setParticipants] = useState([]);
  const base = `threads/${call.thread_id}/calls/${call.id}`;

  useEffect(() => {
    let media = null;
    let signalling = null;
    let closed = false;
    const names = new Map();

    function peer(providerId) {
      if (peers.has(providerId)) return peers.get(providerId);
      const pc = new RTCPeerConnection({ iceServers });
      peers.set(providerId, pc);
      media?.getTracks().forEach((track) => pc.addTrack(track, media));
      pc.onicecandidate = (e) => e.candidate && signalling?.signal({ to: providerId, type: "candidate", payload: e.candidate.toJSON() });
      pc.ontrack = (e) => setRemote((r) => new Map(r).set(providerId, { stream: e.streams[0], name: names.get(providerId) || "" }));
      pc.onconnectionstatechange = () => { if (pc.connectionState === "failed") notify("The call connection failed"); };
      return pc;
    }
    function drop(providerId) {
      peers.get(providerId)?.close();
      peers.delete(providerId);
      setRemote((r) => { const next = new Map(r); next.delete(providerId); return next; });
    }
    async function offer(providerId) {
      const pc = peer(providerId);
      await pc.setLocalDescription(await pc.createOffer());
      signalling.signal({ to: providerId, type: "offer", payload: pc.localDescription.toJSON() });
    }
    async function onSignal(e) {
      const pc = peer(e.from);
      if (e.type === "offer") {
        await pc.setRemoteDescription(e.payload);
        await pc.setLocalDescription(await pc.createAnswer());
        signalling.signal({ to: e.from, type: "answer", payload: pc.localDescription.toJSON() });
      } else if (e.type === "answer") {
        await pc.setRemoteDescription(e.payload);
      } else if (e.type === "candidate") {
        await pc.addIceCandidate(e.payload).catch(() => {});
      }
    }

    (async () => {
      try {
        media = await navigator.mediaDevices.getUserMedia({ audio: true, video: current.video });
      } catch {
        notify("No camera or microphone: you can listen and watch only");
        media = new MediaStream();
      }
      if (closed) { media.getTracks().forEach((t) => t.stop()); return; }
      setLocal(media);
      signalling = realtime.joinCall(call, {
        // whoever arrives calls everyone already there; those already there answer
        here: (members) => members.filter((m) => m.provider_id !== state.me.provider_id).forEach((m) => { names.set(m.provider_id, m.name); offer(m.provider_id); }),
        joining: (m) => names.set(m.provider_id, m.name),
        leaving: (m) => drop(m.provider_id),
        signal: (e) => onSignal(e).catch(() => {}),
      });
    })();
    const beat = setInterval(() => api(`${base}/heartbeat`).catch(() => {}), CALL_HEARTBEAT_MS);
    return () => {
      closed = true;
      clearInterval(beat);
      signalling?.leave();
      for (const id of [...peers.keys()]) drop(id);
      media?.getTracks().forEach((t) => t.stop());
    };
  }, [call.id]);

  useEffect(() => { if (current.ended) { notify("The call has ended"); finish(); } }, [current.ended]);

  async function loadParticipants() {
    const list = await api(`${base}/participants`).catch(() => null);
    setParticipants(list?.data ?? []);
  }
  function finish() {
    update((s) => { s.call = null; });
    threads.load(call.thread_id);
  }
  async function leave() { await api(`${base}/leave`, { method: "POST" }).catch(() => {}); finish(); }
  async function end() { await api(`${base}/end`, { method: "POST" }).catch((e) => notify(e.message)); finish(); }
  async function kick(p) {
    await api(`${base}/participants/${p.id}`, { method: "PUT", json: { kicked: true } }).catch((e) => notify(e.message));
    loadParticipants();
  }

  const admin = current.thread?.options?.admin || call.options?.admin || call.owner_id === state.me.provider_id;
  return html`<section class="call-bar in-call" aria-label="Call">
    <div class="tiles">
      ${local && html`<${Video} stream=${local} muted=${true} label="You" />`}
      ${[...remote].map(([id, r]) => html`<${Video} key=${id} stream=${r.stream} muted=${false} label=${r.name} />`)}
      ${remote.size === 0 && html`<p class="hint" role="status">Waiting for others to join…</p>`}
    </div>
    <div class="call-actions">
      <button type="button" onClick=${leave}>Leave</button>
      ${admin && html`<button type="button" class="danger" onClick=${end}>End for everyone</button>`}
      ${admin && html`<details onToggle=${(e) => e.currentTarget.open && loadParticipants()}><summary>Participants</summary>
        <ul>${participants.filter((p) => p.owner_id !== state.me.provider_id && !p.left_call).map((p) => html`<li key=${p.id}>${p.owner?.name}
          <button type="button" onClick=${() => kick(p)}>Remove</button></li>`)}</ul></details>`}
    </div>
  </section>`;
}

export function CallBar() {
  if (state.call) return html`<${InCall} key=${state.call.call.id} current=${state.call} />`;
  if (state.incomingCall) return html`<${Incoming} />`;
  return null;
}

// The page: signed out, the log-in form; signed in, the thread list beside the open screen.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, auth } from "../api.js";
import { state, update, useStore } from "../store.js";
import { useRoute, go, linkProps } from "../router.js";
import * as realtime from "../realtime.js";
import * as threads from "../threads.js";
import * as people from "../people.js";
import { Avatar } from "../images.js";
import { AuthView } from "./auth.js";
import { ThreadList } from "./thread_list.js";
import { ThreadView } from "./thread.js";
import { PeopleView } from "./people.js";
import { SettingsView } from "./settings.js";
import { NewGroupView } from "./group.js";
import { JoinView } from "./join.js";
import { CallBar } from "./call.js";

auth.useSocketId(realtime.socketId);

export function App() {
  const s = useStore();
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(Boolean(auth.token));
  const [reason, setReason] = useState(null);

  useEffect(() => {
    auth.onUnauthorized(() => { signOut("Your session ended: please log in again."); });
  }, []);

  useEffect(() => {
    if (!signedIn) return undefined;
    let stop = () => {};
    api("heartbeat", { method: "POST", json: { away: false } }).then((beat) => {
      update((st) => { st.me = beat.provider; st.settings = beat.settings; });
      realtime.connect(beat.provider);
      stop = realtime.startHeartbeat((b) => update((st) => { st.me = b.provider; }));
      threads.refresh();
      people.refresh();
    }).catch(() => {});
    return () => { stop(); realtime.disconnect(); };
  }, [signedIn]);

  useEffect(() => {
    document.documentElement.dataset.theme = s.settings?.dark_mode ? "dark" : "light";
  }, [s.settings?.dark_mode]);

  function signOut(why = null) {
    realtime.disconnect();
    auth.set(null);
    update((st) => { Object.assign(st, { me: null, settings: null, threads: new Map(), messages: new Map(), friends: [],
                                         pending: [], sent: [], call: null, incomingCall: null }); });
    setReason(why);
    setSignedIn(false);
  }

  if (!signedIn) {
    if (route.name === "join") return html`<${JoinView} code=${route.id} signedIn=${false} onSignedIn=${() => setSignedIn(true)} />`;
    return html`<${AuthView} reason=${reason} onSignedIn=${() => { setReason(null); setSignedIn(true); }} />`;
  }
  if (!s.me) return html`<p class="loading" role="status">Loading…</p>`;

  async function logOut() {
    await api("/api/auth/logout", { method: "POST" }).catch(() => {});
    signOut();
    go("");
  }

  const screen = {
    threads: () => html`<${ThreadView} id=${route.id} key=${route.id} />`,
    friends: () => html`<${PeopleView} />`,
    settings: () => html`<${SettingsView} />`,
    groups: () => html`<${NewGroupView} />`,
    join: () => html`<${JoinView} code=${route.id} signedIn=${true} />`,
  }[route.name];

  return html`<div class=${`layout ${screen ? "has-screen" : ""}`}>
    <a class="skip" href="#screen">Skip to content</a>
    <aside class="sidebar" aria-label="Conversations">
      <header class="me">
        <${Avatar} provider=${s.me} status=${s.me.options?.online_status ?? (s.settings?.online_status === 0 ? 0 : 1)} />
        <strong>${s.me.name}</strong>
        ${!s.connected && html`<span class="badge warn" role="status">offline</span>`}
      </header>
      <nav class="nav">
        <a ...${linkProps("")} aria-current=${route.name === "home" ? "page" : null}>Chats</a>
        <a ...${linkProps("friends")} aria-current=${route.name === "friends" ? "page" : null}>
          People${s.pending.length > 0 && html` <span class="badge" aria-label=${`${s.pending.length} friend requests`}>${s.pending.length}</span>`}</a>
        <a ...${linkProps("groups/new")} aria-current=${route.name === "groups" ? "page" : null}>New group</a>
        <a ...${linkProps("settings")} aria-current=${route.name === "settings" ? "page" : null}>Settings</a>
        <button type="button" class="link" onClick=${logOut}>Log out</button>
      </nav>
      <${ThreadList} current=${route.name === "threads" ? route.id : null} />
    </aside>
    <main id="screen" class="screen" tabindex="-1">
      ${s.incomingCall || s.call ? html`<${CallBar} />` : null}
      ${screen && route.name !== "threads" && html`<button type="button" class="back screen-back" onClick=${() => go("")}>‹ Chats</button>`}
      ${screen ? screen() : html`<p class="empty">Pick a conversation, or find people to talk to.</p>`}
    </main>
    <div class="toasts" role="status" aria-live="polite">${s.notices.map((n) => html`<p class="toast" key=${n.id}>${n.text}</p>`)}</div>
  </div>`;
}

export { state };

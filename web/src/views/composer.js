// Writing: Enter sends, Shift+Enter makes a new line; typing is whispered (at most every 1.5 s); images and
// documents are sent from the file picker.
import { html } from "htm/preact";
import { useRef } from "preact/hooks";
import { state } from "../store.js";
import * as threads from "../threads.js";
import * as realtime from "../realtime.js";

const TYPING_EVERY_MS = 1500;
const icon = (d) => html`<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="none" stroke="currentColor"
  stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d=${d} /></svg>`;
const ICONS = {
  image: icon("M4 5h16v14H4zM4 15l4-4 4 4 3-3 5 5M15 9h.01"),
  file: icon("M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"),
};

export function Composer({ thread }) {
  const text = useRef(null);
  const lastTyping = useRef(0);
  const stopTimer = useRef(null);

  function typing(active) {
    const me = state.me;
    realtime.whisper(thread.id, "typing", { provider_id: me.provider_id, provider_alias: me.provider_alias, name: me.name, typing: active });
  }

  function onInput() {
    const now = Date.now();
    if (now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      typing(true);
    }
    clearTimeout(stopTimer.current);
    stopTimer.current = setTimeout(() => { lastTyping.current = 0; typing(false); }, 3000);
  }

  function send(event) {
    event?.preventDefault();
    const value = text.current.value.trim();
    if (!value) return;
    text.current.value = "";
    clearTimeout(stopTimer.current);
    lastTyping.current = 0;
    typing(false);
    threads.send(thread.id, { text: value });
  }

  function onKeyDown(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) send(event);
  }

  function attach(kind) {
    return (event) => {
      for (const file of event.currentTarget.files) threads.send(thread.id, { file, kind });
      event.currentTarget.value = "";
    };
  }

  return html`<form class="composer" onSubmit=${send}>
    <label class="attach" title="Send an image">${ICONS.image}<span class="sr-only">Send an image</span>
      <input type="file" accept="image/*" multiple onChange=${attach("image")} class="sr-only" data-kind="image" /></label>
    <label class="attach" title="Send a file">${ICONS.file}<span class="sr-only">Send a file</span>
      <input type="file" multiple onChange=${attach("document")} class="sr-only" data-kind="document" /></label>
    <label for="composer-text" class="sr-only">Message</label>
    <textarea id="composer-text" ref=${text} rows="1" placeholder="Write a message" onInput=${onInput} onKeyDown=${onKeyDown}
              maxlength="5000"></textarea>
    <button type="submit" class="primary">Send</button>
  </form>`;
}

// My threads by latest activity, with unread badges and the last message.
import { html } from "htm/preact";
import { sortedThreads, statusOf, state } from "../store.js";
import { preview } from "../preview.js";
import { linkProps } from "../router.js";
import { Avatar } from "../images.js";

export function ThreadList({ current }) {
  const list = sortedThreads();
  if (list.length === 0) return html`<p class="empty">No conversations yet.</p>`;
  return html`<ul class="threads" aria-label="Threads">
    ${list.map((t) => html`<li key=${t.id}>
      <a ...${linkProps(`threads/${t.id}`)} class=${`thread-item ${t.id === current ? "current" : ""} ${t.unread ? "unread" : ""}`}
         aria-current=${t.id === current ? "page" : null} data-thread=${t.id}>
        <${Avatar} thread=${t} status=${t.group ? undefined : statusOf(t.resources?.recipient)} />
        <span class="thread-text">
          <span class="thread-name">${t.name}${t.pending ? html` <span class="badge muted">pending</span>` : ""}
            ${t.has_call ? html` <span class="badge call" aria-label="call in progress">call</span>` : ""}</span>
          <span class="thread-last">${preview(t.resources?.latest_message, state.me)}</span>
        </span>
        ${t.unread_count > 0 && html`<span class="badge" aria-label=${`${t.unread_count} unread`}>${t.unread_count}</span>`}
      </a>
    </li>`)}
  </ul>`;
}

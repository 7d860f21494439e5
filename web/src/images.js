// Images behind the API need the bearer token, which an <img src> cannot send: they are fetched once and shown
// from a blob URL. Provider avatars are public (/images/...) and load directly.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { auth } from "./api.js";

const cache = new Map(); // url -> Promise<blob url>

function blobUrl(url) {
  if (!cache.has(url)) {
    cache.set(url, fetch(url, { headers: { Authorization: `Bearer ${auth.token}` } })
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
      .then((blob) => URL.createObjectURL(blob))
      .catch((error) => { cache.delete(url); throw error; }));
  }
  return cache.get(url);
}

export function AuthImage({ src, alt, ...rest }) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    let live = true;
    if (src) blobUrl(src).then((u) => live && setUrl(u)).catch(() => {});
    return () => { live = false; };
  }, [src]);
  return url ? html`<img src=${url} alt=${alt} ...${rest} />`
    : html`<span class="image-placeholder" role="img" aria-label=${alt ? `Loading: ${alt}` : "Loading"}></span>`;
}

export async function download(url, name) {
  const link = document.createElement("a");
  link.href = await blobUrl(url);
  link.download = name;
  link.click();
}

const STATUS = ["offline", "online", "away"];

export function Avatar({ provider, thread, size = "sm", status }) {
  const label = provider?.name || thread?.name || "";
  const image = thread?.group
    ? html`<${AuthImage} class="avatar" src=${thread.api_avatar?.[size]} alt="" />`
    : html`<img class="avatar" src=${provider?.avatar?.[size] || thread?.resources?.recipient?.avatar?.[size]} alt="" loading="lazy" />`;
  return html`<span class="avatar-wrap" title=${label}>${image}${status !== undefined &&
    html`<span class=${`dot ${STATUS[status] || "offline"}`} role="img" aria-label=${STATUS[status] || "offline"}></span>`}</span>`;
}

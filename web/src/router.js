// Client-side routes under the web prefix: "", "threads/{id}", "friends", "settings", "groups/new", "join/{code}".
import { useEffect, useState } from "preact/hooks";
import { webPrefix } from "./settings.js";

export function currentRoute() {
  const path = window.location.pathname.startsWith(webPrefix) ? window.location.pathname.slice(webPrefix.length) : "";
  const parts = path.split("/").filter(Boolean);
  return { name: parts[0] || "home", id: parts[1] || null };
}

export function go(path) {
  window.history.pushState({}, "", `${webPrefix}/${path}`.replace(/\/$/, "") || "/");
  window.dispatchEvent(new Event("popstate"));
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    window.addEventListener("popstate", changed);
    return () => window.removeEventListener("popstate", changed);
  }, []);
  return route;
}

/** An <a> that navigates without reloading the page. */
export function linkProps(path) {
  return {
    href: `${webPrefix}/${path}`,
    onClick: (event) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      go(path);
    },
  };
}

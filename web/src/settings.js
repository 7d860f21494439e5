// What the server told the page: its prefixes and name (data-settings on #app).
const root = document.getElementById("app");
export const settings = JSON.parse(root?.dataset.settings || "{}");
export const apiPrefix = settings.apiPrefix || "/api/messenger";
export const webPrefix = settings.webPrefix || "/messenger";
export const iceServers = settings.iceServers || [];

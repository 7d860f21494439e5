// My avatar and the six messenger settings (saved as they change).
import { html } from "htm/preact";
import { api } from "../api.js";
import { state, update, notify } from "../store.js";
import { Avatar } from "../images.js";

const FLAGS = [
  ["message_popups", "Show a pop-up for new messages"],
  ["message_sound", "Play a sound for new messages"],
  ["call_ringtone_sound", "Ring for incoming calls"],
  ["notify_sound", "Play notification sounds"],
  ["dark_mode", "Dark mode"],
];

export function SettingsView() {
  const s = state.settings;
  if (!s) return html`<p class="loading" role="status">Loading…</p>`;

  async function save(change) {
    const next = { ...s, ...change };
    update((st) => { st.settings = next; });
    try {
      const saved = await api("settings", { method: "PUT", json: {
        message_popups: next.message_popups, message_sound: next.message_sound, call_ringtone_sound: next.call_ringtone_sound,
        notify_sound: next.notify_sound, dark_mode: next.dark_mode, online_status: Number(next.online_status) } });
      update((st) => { st.settings = { ...st.settings, ...saved }; });
    } catch (error) {
      update((st) => { st.settings = s; });
      notify(error.message);
    }
  }

  async function avatar(event) {
    const input = event.currentTarget; // gone from the event once it has been handled
    const file = input.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("image", file);
    await changeAvatar(api("avatar", { method: "POST", form }));
    input.value = "";
  }

  async function changeAvatar(request) {
    try {
      await request;
      const beat = await api("heartbeat", { method: "POST", json: { away: false } });
      update((st) => { st.me = beat.provider; });
      notify("Avatar updated");
    } catch (error) { notify(error.message); }
  }

  return html`<section class="settings" aria-labelledby="settings-title">
    <h2 id="settings-title">Settings</h2>
    <div class="card">
      <h3>Avatar</h3>
      <${Avatar} provider=${state.me} size="md" />
      <label class="button">Upload a picture<input type="file" accept="image/*" class="sr-only" onChange=${avatar} /></label>
      ${state.me.base?.avatar && html`<button type="button" onClick=${() => changeAvatar(api("avatar", { method: "DELETE" }))}>Remove</button>`}
    </div>
    <fieldset class="card">
      <legend>Notifications and look</legend>
      ${FLAGS.map(([flag, label]) => html`<label class="check" key=${flag}>
        <input type="checkbox" name=${flag} checked=${s[flag]} onChange=${(e) => save({ [flag]: e.currentTarget.checked })} /> ${label}</label>`)}
    </fieldset>
    <fieldset class="card">
      <legend>Online status others see</legend>
      ${[[1, "Online"], [2, "Away"], [0, "Offline (hidden)"]].map(([value, label]) => html`<label class="check" key=${value}>
        <input type="radio" name="online_status" value=${value} checked=${Number(s.online_status) === value}
               onChange=${() => save({ online_status: value })} /> ${label}</label>`)}
    </fieldset>
  </section>`;
}

// Never miss an event, for laravel-echo on socket.io (docs/recovery.md). Install it right after `new Echo(...)`:
//
//   withRecovery(echo, { onRecoveryFailed: (channel) => reloadFromRest(channel) });
//
// It asks the gateway for positions on every private and presence channel, remembers the last position seen per
// channel, and sends it when Echo subscribes again (after a reconnect): the gateway then sends what was missed, in
// order, before anything new, and says `recovered`, or `recovery_failed` when it no longer has all of it (then
// catch up over REST with `?since=`). With `storage` (sessionStorage, say) positions survive a page reload.
const GUARDED = /^(private|presence)-/;
const NOTICES = new Set(["positioned", "recovered", "recovery_failed"]);

export function withRecovery(echo, { storage = null, onRecovered = () => {}, onRecoveryFailed = () => {} } = {}) {
  const socket = echo.connector.socket;
  const key = "echo-recovery.positions";
  const positions = new Map(Object.entries(JSON.parse(storage?.getItem(key) || "{}")));
  const save = () => storage?.setItem(key, JSON.stringify(Object.fromEntries(positions)));
  const seen = (channel, at) => {
    if (at && typeof at.epoch === "string" && Number.isInteger(at.position)) {
      positions.set(channel, { epoch: at.epoch, position: at.position });
      save();
    }
  };

  const emit = socket.emit.bind(socket);
  socket.emit = (event, payload, ...rest) => {
    if (event === "subscribe" && GUARDED.test(payload?.channel ?? "")) {
      const since = positions.get(payload.channel);
      payload = since ? { ...payload, positions: true, since } : { ...payload, positions: true };
    } else if (event === "unsubscribe" && payload?.channel) {
      positions.delete(payload.channel);
      save();
    }
    return emit(event, payload, ...rest);
  };

  socket.onAny((event, channel, data, position) => {
    if (typeof channel !== "string") return;
    if (!NOTICES.has(event)) {
      seen(channel, position);
      return;
    }
    seen(channel, data);
    if (event === "recovered") onRecovered(channel, data);
    if (event === "recovery_failed") onRecoveryFailed(channel, data);
  });
  return { positions };
}

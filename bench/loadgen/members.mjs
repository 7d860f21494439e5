// Message-path load: M group members, each on its own socket subscribed to their private channel (with their
// token), record when each `new.message` arrives. The sender's POST time travels in the message body as "t=<ms>".
// Reads {cmd:"done"} on stdin, then prints one JSON line: for every message, the time to its last delivery.
import readline from "node:readline";
import { io } from "socket.io-client";

const { url, members } = JSON.parse(process.argv[2]);
const last = new Map(); // body -> [sent ms, last receive ms, count]
let ready = 0;
const sockets = members.map(({ token, id }) => {
  const s = io(url, { transports: ["websocket"], reconnection: false, forceNew: true,
                      auth: { headers: { Authorization: `Bearer ${token}` } } });
  s.on("connect", () => {
    s.emit("subscribe", { channel: `private-messenger.user.${id}`, auth: { headers: { Authorization: `Bearer ${token}` } } });
    if (++ready === members.length) setTimeout(() => process.stdout.write(JSON.stringify({ phase: "ready" }) + "\n"), 300);
  });
  s.on("new.message", (channel, m) => {
    const now = Date.now();
    const sent = Number(m.body.split("=")[1]);
    const entry = last.get(m.body) || [sent, now, 0];
    entry[1] = Math.max(entry[1], now);
    entry[2] += 1;
    last.set(m.body, entry);
  });
  return s;
});

readline.createInterface({ input: process.stdin }).on("line", () => {
  const latencies = [...last.values()].map(([sent, lastAt]) => lastAt - sent).sort((a, b) => a - b);
  const deliveries = [...last.values()].reduce((n, e) => n + e[2], 0);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : null);
  process.stdout.write(JSON.stringify({ messages_seen: latencies.length, deliveries, p50_ms: pct(0.5),
                                        p99_ms: pct(0.99), max_ms: latencies.at(-1) ?? null }) + "\n");
  sockets.forEach((s) => s.close());
  process.exit(0);
});

// Fan-out load: N sockets subscribe to one channel with Echo's `subscribe`; events are published through
// POST /apps/{appId}/events at a fixed rate; every socket records publish->receive latency.
// Prints one JSON line of results.
import { createRequire } from "node:module";
import { join } from "node:path";

const opts = JSON.parse(process.argv[2]);
// socket.io-client 4 from here, or (for laravel-echo-server, which speaks Socket.IO 2) the one in opts.clientDir
const sio = opts.clientDir ? createRequire(join(opts.clientDir, "index.js"))("socket.io-client")
                           : await import("socket.io-client");
const io = sio.io || sio.default || sio;
const { url, sockets: N, channel, events: E, rate, appId, key, connectBatch = 200 } = opts;
const socketUrls = opts.socketUrls || [url]; // with several nodes, sockets are spread over them; events go to `url`
const latencies = [];
let received = 0;
let firstSend = 0;
let lastReceive = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clients = [];
const t0 = Date.now();
for (let i = 0; i < N; i += connectBatch) {
  const batch = [];
  for (let j = i; j < Math.min(N, i + connectBatch); j++) {
    const s = io(socketUrls[j % socketUrls.length], { transports: ["websocket"], reconnection: false, forceNew: true });
    s.on("bench", (ch, data) => {
      const now = Date.now();
      received++;
      lastReceive = now;
      latencies.push(now - data.t);
    });
    clients.push(s);
    batch.push(new Promise((resolve, reject) => {
      s.once("connect", () => { s.emit("subscribe", { channel, auth: { headers: {} } }); resolve(); });
      s.once("connect_error", reject);
    }));
  }
  await Promise.all(batch);
}
const connectSeconds = (Date.now() - t0) / 1000;

const headers = { "Content-Type": "application/json", Authorization: `Bearer ${key}` };
for (;;) {
  const r = await fetch(`${url}/apps/${appId}/channels/${channel}`, { headers });
  const body = await r.json();
  if (body.subscription_count >= N) break;
  await sleep(50);
}
if (opts.holdSeconds) {
  process.stdout.write(JSON.stringify({ phase: "connected", sockets: N, connect_seconds: connectSeconds }) + "\n");
  await sleep(opts.holdSeconds * 1000);
}

const interval = 1000 / rate;
firstSend = Date.now();
const sends = [];
for (let i = 0; i < E; i++) {
  const due = firstSend + i * interval;
  const wait = due - Date.now();
  if (wait > 0) await sleep(wait);
  sends.push(fetch(`${url}/apps/${appId}/events`, {
    method: "POST", headers, body: JSON.stringify({ name: "bench", channel, data: { i, t: Date.now() } }),
  }).then((r) => r.arrayBuffer()));
}
await Promise.all(sends);
const expected = N * E;
const deadline = Date.now() + 15000;
while (received < expected && Date.now() < deadline) await sleep(20);
latencies.sort((a, b) => a - b);
const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : null;
const seconds = Math.max(0.001, (lastReceive - firstSend) / 1000);
process.stdout.write(JSON.stringify({
  phase: "done", sockets: N, events: E, offered_rate: rate, expected, received, lost: expected - received,
  deliveries_per_second: Math.round(received / seconds), p50_ms: pct(0.5), p99_ms: pct(0.99),
  max_ms: latencies.length ? latencies[latencies.length - 1] : null, connect_seconds: connectSeconds,
}) + "\n");
for (const s of clients) s.close();
process.exit(0);

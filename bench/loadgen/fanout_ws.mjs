// Fan-out load with receivers that are never the ceiling: N sockets subscribe to one channel (Echo's `subscribe`);
// events are published through POST /apps/{appId}/events at a fixed rate; every socket records publish->receive
// latency in a histogram of 1 ms buckets.
//
// The receivers speak Engine.IO/Socket.IO over `ws` directly (the same bytes on the wire as socket.io-client, which
// spends several times the CPU per packet): Engine.IO 4 / Socket.IO 5 for ours and python-socketio, Engine.IO 3 /
// Socket.IO 2 for laravel-echo-server. They are spread over several processes (`workers`), all on the load core.
//
// Prints JSON lines: {phase: "connected", pids}, {phase: "sending"}, then the results.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const BUCKETS = 120_000; // ms

if (process.argv[2] === "--receiver") receiver(JSON.parse(process.argv[3]));
else await driver(JSON.parse(process.argv[2]));

function receiver({ urls, sockets: n, channel, eio, event, connectBatch = 200 }) {
  const histogram = new Uint32Array(BUCKETS);
  const marker = `42["${event}",`;
  let received = 0;
  let lastReceive = 0;
  let subscribed = 0;
  const all = [];
  const subscribe = "42" + JSON.stringify(["subscribe", { channel, auth: { headers: {} } }]);

  function open(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, "ws")}/socket.io/?EIO=${eio}&transport=websocket`,
                               { perMessageDeflate: false });
      ws.on("message", (data) => {
        const packet = data.toString();
        if (packet.startsWith(marker)) {
          const now = Date.now();
          const at = packet.lastIndexOf('"t":');
          const latency = now - parseInt(packet.slice(at + 4), 10);
          histogram[Math.min(BUCKETS - 1, Math.max(0, latency))]++;
          received++;
          lastReceive = now;
        } else if (packet === "2") {
          ws.send("3"); // Engine.IO 4: the server pings
        } else if (packet.startsWith("0")) {
          if (eio === 4) ws.send("40"); // Socket.IO 5 connects to the namespace explicitly; Socket.IO 2 does not
        } else if (packet.startsWith("40")) {
          ws.send(subscribe);
          subscribed++;
          resolve(ws);
        } else if (packet.startsWith("44")) {
          reject(new Error(`connect refused: ${packet}`));
        }
      });
      ws.on("error", reject);
      all.push(ws);
    });
  }

  (async () => {
    for (let i = 0; i < n; i += connectBatch) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + connectBatch); j++) batch.push(open(urls[j % urls.length]));
      await Promise.all(batch);
    }
    process.send({ phase: "ready", subscribed });
  })().catch((err) => { process.send({ phase: "failed", error: String(err) }); process.exit(1); });

  if (eio === 3) { // Engine.IO 3: the client pings (Socket.IO 2 servers close sockets silent for 30 s)
    setInterval(() => { for (const ws of all) if (ws.readyState === WebSocket.OPEN) ws.send("2"); }, 20_000);
  }
  process.on("message", (msg) => {
    if (msg.phase === "report") {
      process.send({ phase: "report", received, lastReceive, histogram: Array.from(histogram) });
    } else if (msg.phase === "close") {
      for (const ws of all) ws.terminate();
      process.exit(0);
    }
  });
}

async function driver(opts) {
  const { url, sockets: N, channel, events: E, rate, appId, key, eio = 4, holdSeconds = 1 } = opts;
  const urls = opts.socketUrls || [url]; // with several nodes, sockets are spread over them; events go to `url`
  const workers = Math.max(1, opts.workers || Math.ceil(N / 2500));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const children = [];
  const t0 = Date.now();
  for (let w = 0; w < workers; w++) {
    const share = Math.floor(N / workers) + (w < N % workers ? 1 : 0);
    const spec = { urls, sockets: share, channel, eio, event: opts.event || "bench" };
    children.push(fork(fileURLToPath(import.meta.url), ["--receiver", JSON.stringify(spec)]));
  }
  const next = (child, phase) => new Promise((resolve, reject) => {
    const on = (msg) => {
      if (msg.phase === phase) { child.off("message", on); resolve(msg); }
      else if (msg.phase === "failed") reject(new Error(msg.error));
    };
    child.on("message", on);
  });
  await Promise.all(children.map((c) => next(c, "ready")));
  const connectSeconds = (Date.now() - t0) / 1000;
  const headers = { "Content-Type": "application/json", Authorization: `Bearer ${key}` };
  for (;;) {
    const r = await fetch(`${url}/apps/${appId}/channels/${channel}`, { headers });
    const body = await r.json();
    if (body.subscription_count >= N) break;
    await sleep(50);
  }
  const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");
  say({ phase: "connected", sockets: N, connect_seconds: connectSeconds, pids: [process.pid, ...children.map((c) => c.pid)] });
  await sleep(holdSeconds * 1000);

  say({ phase: "sending" });
  const interval = 1000 / rate;
  const firstSend = Date.now();
  const sends = [];
  for (let i = 0; i < E; i++) {
    const wait = firstSend + i * interval - Date.now();
    if (wait > 0) await sleep(wait);
    sends.push(fetch(`${url}/apps/${appId}/events`, {
      method: "POST", headers, body: JSON.stringify({ name: opts.event || "bench", channel, data: { i, t: Date.now() } }),
    }).then((r) => r.arrayBuffer()));
  }
  await Promise.all(sends);
  const expected = N * E;
  const deadline = Date.now() + (opts.drainSeconds || 20) * 1000;
  let reports;
  for (;;) {
    reports = await Promise.all(children.map((c) => { const p = next(c, "report"); c.send({ phase: "report" }); return p; }));
    const got = reports.reduce((n, r) => n + r.received, 0);
    if (got >= expected || Date.now() > deadline) break;
    await sleep(200);
  }
  const histogram = new Float64Array(BUCKETS);
  let received = 0;
  let lastReceive = 0;
  for (const r of reports) {
    received += r.received;
    lastReceive = Math.max(lastReceive, r.lastReceive);
    r.histogram.forEach((count, ms) => { histogram[ms] += count; });
  }
  const pct = (p) => {
    if (!received) return null;
    const rank = Math.min(received - 1, Math.floor(received * p));
    let seen = 0;
    for (let ms = 0; ms < BUCKETS; ms++) { seen += histogram[ms]; if (seen > rank) return ms; }
    return BUCKETS;
  };
  const seconds = Math.max(0.001, (lastReceive - firstSend) / 1000);
  say({
    phase: "done", sockets: N, events: E, offered_rate: rate, expected, received, lost: expected - received,
    deliveries_per_second: Math.round(received / seconds), p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: pct(1),
    connect_seconds: connectSeconds, receiver_processes: workers,
  });
  for (const c of children) c.send({ phase: "close" });
  process.exit(0);
}

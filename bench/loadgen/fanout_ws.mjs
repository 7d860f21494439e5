// Fan-out load with receivers that are never the ceiling: N sockets subscribe to one channel (Echo's `subscribe`);
// events are published through POST /apps/{appId}/events at a fixed rate; every socket records publish->receive
// latency in a histogram of 1 ms buckets.
//
// The receivers speak WebSocket, Engine.IO and Socket.IO themselves over plain TCP (the same bytes on the wire as
// socket.io-client, which spends many times the CPU per packet; so did the `ws` library's per-message events):
// frames are parsed from the bytes read, and an event's latency is read from its bytes without decoding it.
// Engine.IO 4 / Socket.IO 5 for ours and python-socketio, Engine.IO 3 / Socket.IO 2 for laravel-echo-server. They
// are spread over several processes (`workers`), all on the load core.
//
// Prints JSON lines: {phase: "connected", pids}, {phase: "sending"}, then the results.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";

const BUCKETS = 120_000; // ms


function receiver({ urls, sockets: n, channel, eio, connectBatch = 200 }) {
  const histogram = new Uint32Array(BUCKETS);
  let received = 0;
  let lastReceive = 0;
  let subscribed = 0;
  const all = [];
  const subscribe = "42" + JSON.stringify(["subscribe", { channel, auth: { headers: {} } }]);

  // An event packet `42["event","channel",{"i":..,"t":<ms>}]`: its latency from the digits before the closing `}]`,
  // read from the bytes (no string is made for it).
  function onEvent(buf, start, end) {
    let at = end - 1;
    while (at > start && (buf[at] < 0x30 || buf[at] > 0x39)) at--;
    let t = 0;
    let scale = 1;
    while (at > start && buf[at] >= 0x30 && buf[at] <= 0x39) { t += (buf[at] - 0x30) * scale; scale *= 10; at--; }
    const now = Date.now();
    histogram[Math.min(BUCKETS - 1, Math.max(0, now - t))]++;
    received++;
    lastReceive = now;
  }

  function open(url) {
    return new Promise((resolve, reject) => {
      const { hostname, port } = new URL(url);
      const sock = net.connect(Number(port), hostname);
      sock.setNoDelay(true);
      sock.write(`GET /socket.io/?EIO=${eio}&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
                 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
                 `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n\r\n`);
      const send = (text) => sock.write(maskedFrame(text));
      let buf = null;
      let upgraded = false;
      sock.on("data", (chunk) => {
        buf = buf ? Buffer.concat([buf, chunk]) : chunk;
        let off = 0;
        if (!upgraded) {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          if (!buf.subarray(0, 12).toString().includes("101")) { reject(new Error(buf.subarray(0, end).toString())); return; }
          upgraded = true;
          off = end + 4;
        }
        while (buf.length - off >= 2) {
          let len = buf[off + 1] & 0x7f;
          let head = 2;
          if (len === 126) { if (buf.length - off < 4) break; len = buf.readUInt16BE(off + 2); head = 4; }
          else if (len === 127) { if (buf.length - off < 10) break; len = Number(buf.readBigUInt64BE(off + 2)); head = 10; }
          if (buf.length - off < head + len) break;
          const opcode = buf[off] & 0x0f;
          const start = off + head;
          const end = start + len;
          off = end;
          if (opcode !== 1) { if (opcode === 8) sock.end(); continue; }
          if (buf[start] === 0x34 && buf[start + 1] === 0x32) { onEvent(buf, start, end); continue; } // "42..."
          const packet = buf.subarray(start, end).toString();
          if (packet === "2") send("3"); // Engine.IO 4: the server pings
          else if (packet.startsWith("0")) { if (eio === 4) send("40"); } // Socket.IO 2 connects by itself
          else if (packet.startsWith("40")) { send(subscribe); subscribed++; resolve(sock); }
          else if (packet.startsWith("44")) reject(new Error(`connect refused: ${packet}`));
        }
        buf = off >= buf.length ? null : buf.subarray(off);
      });
      sock.on("error", reject);
      all.push({ sock, send });
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
    setInterval(() => { for (const { send } of all) send("2"); }, 20_000);
  }
  process.on("message", (msg) => {
    if (msg.phase === "report") {
      process.send({ phase: "report", received, lastReceive, histogram: Array.from(histogram) });
    } else if (msg.phase === "close") {
      for (const { sock } of all) sock.destroy();
      process.exit(0);
    }
  });
}

// A client frame (RFC 6455: masked; a zero mask leaves the bytes as they are).
function maskedFrame(text) {
  const payload = Buffer.from(text);
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length])
    : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

// node's http with kept-alive connections: fetch (undici) cost the load core more than all the receivers together
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers, agent }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
    req.end(body);
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
    const spec = { urls, sockets: share, channel, eio };
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
    sends.push(post(`${url}/apps/${appId}/events`, headers,
                    JSON.stringify({ name: opts.event || "bench", channel, data: { i, t: Date.now() } })));
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

if (process.argv[2] === "--receiver") receiver(JSON.parse(process.argv[3]));
else await driver(JSON.parse(process.argv[2]));

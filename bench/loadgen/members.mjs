// Message-path load: M group members, each on its own WebSocket subscribed to their private channel (with their
// token), record when each `new.message` arrives. The sender's POST time travels in the message body as "i=<ms>".
// Reads a line on stdin, then prints one JSON line: for every message, the time to its last delivery.
//
// The receivers speak Engine.IO 4 / Socket.IO 5 over `ws` directly (open, connect with auth, subscribe, answer
// pings, read event packets) rather than through socket.io-client: 100 members at 200 messages/s is 20,000 packets
// a second, and the full client's decoding cost the load core more than the server spends sending them, so the
// latency measured was the receivers' own queueing. The bytes on the wire are the same.
import readline from "node:readline";
import WebSocket from "ws";

const { url, members } = JSON.parse(process.argv[2]);
const wsUrl = url.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
const last = new Map(); // body -> [sent ms, last receive ms, count]
const NEW_MESSAGE = '42["new.message",';
const BODY = /"body":"(\d+)=(\d+)"/;
let ready = 0;

const sockets = members.map(({ token, id }) => {
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  ws.on("message", (data) => {
    const packet = data.toString();
    if (packet.startsWith(NEW_MESSAGE)) {
      const now = Date.now();
      const match = BODY.exec(packet);
      if (!match) return;
      const key = match[1];
      const entry = last.get(key) || [Number(match[2]), now, 0];
      entry[1] = Math.max(entry[1], now);
      entry[2] += 1;
      last.set(key, entry);
    } else if (packet === "2") {
      ws.send("3"); // Engine.IO ping -> pong
    } else if (packet.startsWith("0")) {
      ws.send("40" + JSON.stringify(auth)); // Engine.IO open -> Socket.IO connect
    } else if (packet.startsWith("40")) {
      ws.send("42" + JSON.stringify(["subscribe", { channel: `private-messenger.user.${id}`, auth }]));
      if (++ready === members.length) setTimeout(() => process.stdout.write(JSON.stringify({ phase: "ready" }) + "\n"), 300);
    } else if (packet.startsWith("44")) {
      process.stderr.write(`connect refused: ${packet}\n`);
    }
  });
  return ws;
});

readline.createInterface({ input: process.stdin }).on("line", () => {
  const latencies = [...last.values()].map(([sent, lastAt]) => lastAt - sent).sort((a, b) => a - b);
  const deliveries = [...last.values()].reduce((n, e) => n + e[2], 0);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : null);
  process.stdout.write(JSON.stringify({ messages_seen: latencies.length, deliveries, p50_ms: pct(0.5),
                                        p99_ms: pct(0.99), max_ms: latencies.at(-1) ?? null }) + "\n");
  sockets.forEach((s) => s.terminate());
  process.exit(0);
});

// Capacity load: open up to N sockets in batches (each subscribes to one public channel, or with `guarded` to a
// private channel of its own and a presence channel shared by ten, as user `offset + i`), stop at the first batch
// with failures, report how many are connected, then hold them until stdin closes.
import { createRequire } from "node:module";
import { join } from "node:path";
import readline from "node:readline";

const opts = JSON.parse(process.argv[2]);
const sio = opts.clientDir ? createRequire(join(opts.clientDir, "index.js"))("socket.io-client")
                           : await import("socket.io-client");
const io = sio.io || sio.default || sio;
const { url, sockets: N, channel = "capacity", batch = 250, guarded = false, offset = 0 } = opts;
const clients = [];
let failed = 0;
const t0 = Date.now();
for (let i = 0; i < N && failed === 0; i += batch) {
  const pending = [];
  for (let j = i; j < Math.min(N, i + batch); j++) {
    const s = io(url, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: 20000 });
    clients.push(s);
    pending.push(new Promise((resolve) => {
      s.once("connect", () => {
        if (guarded) {
          const user = offset + j;
          const auth = { headers: { "X-CSRF-TOKEN": `user-${user}` } };
          s.emit("subscribe", { channel: `private-bench.${user}`, auth });
          s.emit("subscribe", { channel: `presence-bench.${Math.floor(user / 10)}`, auth });
        } else {
          s.emit("subscribe", { channel, auth: { headers: {} } });
        }
        resolve(true);
      });
      s.once("connect_error", () => { failed++; resolve(false); });
    }));
  }
  await Promise.all(pending);
}
const connected = clients.filter((s) => s.connected).length;
process.stdout.write(JSON.stringify({ phase: "connected", connected, failed, connect_seconds: (Date.now() - t0) / 1000 }) + "\n");
readline.createInterface({ input: process.stdin }).on("close", () => { clients.forEach((s) => s.close()); process.exit(0); });

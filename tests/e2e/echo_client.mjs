// A browser-like client: laravel-echo + socket.io-client 4, driven by the Python test over stdin/stdout.
// Every line out is JSON {type, ...}; every line in is JSON {cmd, ...}.
import readline from "node:readline";
import { io } from "socket.io-client";
import Echo from "laravel-echo";

const [url, token, userId, threadChannel] = process.argv.slice(2);
const out = (type, data = {}) => process.stdout.write(JSON.stringify({ type, ...data }) + "\n");

const echo = new Echo({
  broadcaster: "socket.io",
  client: io,
  host: url,
  bearerToken: token,
  transports: ["websocket"],
  reconnectionDelay: 100,
  reconnectionDelayMax: 200,
});
const socket = echo.connector.socket;
socket.on("connect", () => out("connected", { id: socket.id }));
socket.on("disconnect", (reason) => out("disconnected", { reason }));
socket.on("subscription_error", (channel, status) => out("subscription_error", { channel, status }));
socket.io.on("reconnect", () => out("reconnected", { id: socket.id }));

echo.private(`messenger.user.${userId}`).listen(".new.message", (e) => out("new.message", { data: e }));
const room = echo
  .join(threadChannel)
  .here((members) => out("here", { members }))
  .joining((member) => out("joining", { member }))
  .leaving((member) => out("leaving", { member }))
  .listenForWhisper("typing", (e) => out("whisper", { data: e }));

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const msg = JSON.parse(line);
  if (msg.cmd === "whisper") room.whisper("typing", msg.data);
  if (msg.cmd === "reconnect") socket.io.engine.close(); // a dropped connection: the Manager reconnects
  if (msg.cmd === "exit") { echo.disconnect(); process.exit(0); }
});

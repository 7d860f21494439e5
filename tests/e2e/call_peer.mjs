// One side of a browser call: laravel-echo joins the call's presence channel and exchanges WebRTC
// signalling with the other participant through `client-signal` whispers. Driven over stdin/stdout as JSON lines.
import readline from "node:readline";
import { io } from "socket.io-client";
import Echo from "laravel-echo";

const [url, token, callChannel] = process.argv.slice(2);
const out = (type, data = {}) => process.stdout.write(JSON.stringify({ type, ...data }) + "\n");

const echo = new Echo({ broadcaster: "socket.io", client: io, host: url, bearerToken: token, transports: ["websocket"] });
echo.connector.socket.on("subscription_error", (channel, status) => out("subscription_error", { channel, status }));
const call = echo
  .join(callChannel)
  .here((members) => out("here", { members }))
  .joining((member) => out("joining", { member }))
  .listenForWhisper("signal", (e) => out("signal", { data: e }));

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const msg = JSON.parse(line);
  if (msg.cmd === "signal") call.whisper("signal", msg.data);
  if (msg.cmd === "exit") { echo.disconnect(); process.exit(0); }
});

// laravel-echo + socket.io-client with our recovery add-on (web/src/echo-recovery.js), driven over stdin/stdout as
// JSON lines: it prints every event of its private channel with the position it came with, the add-on's notices,
// and its connection's ups and downs; "drop" cuts the connection as a network would (socket.io reconnects by itself).
import readline from "node:readline";
import { io } from "socket.io-client";
import Echo from "laravel-echo";
import { withRecovery } from "../../web/src/echo-recovery.js";

const [url, token, channel, eventName] = process.argv.slice(2);
const out = (type, data = {}) => process.stdout.write(JSON.stringify({ type, ...data }) + "\n");

const echo = new Echo({
  broadcaster: "socket.io", client: io, host: url, bearerToken: token, transports: ["websocket"],
  reconnectionDelay: 3000, reconnectionDelayMax: 3000, randomizationFactor: 0,
});
withRecovery(echo, {
  onRecovered: (name, at) => out("recovered", { channel: name, at }),
  onRecoveryFailed: (name, at) => out("recovery_failed", { channel: name, at }),
});
const socket = echo.connector.socket;
socket.on("connect", () => out("connected"));
socket.on("disconnect", (reason) => out("disconnected", { reason }));
socket.on("positioned", (name, at) => out("positioned", { channel: name, at }));
echo.private(channel.replace(/^private-/, "")).listen(`.${eventName}`, (data) => out("event", { data }));

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const msg = JSON.parse(line);
  if (msg.cmd === "drop") socket.io.engine.close();
  if (msg.cmd === "exit") { echo.disconnect(); process.exit(0); }
});

// laravel-echo + socket.io-client 4 on one transport, listening on the user's private channel.
// Args: url token userId transport ("websocket" or "polling"). Prints one JSON line per event.
import { io } from "socket.io-client";
import Echo from "laravel-echo";

const [url, token, userId, transport] = process.argv.slice(2);
const out = (type, data = {}) => process.stdout.write(JSON.stringify({ type, ...data }) + "\n");

const echo = new Echo({
  broadcaster: "socket.io",
  client: io,
  host: url,
  bearerToken: token,
  transports: [transport],
  upgrade: false,
});
const socket = echo.connector.socket;
socket.on("connect", () => out("connected", { id: socket.id, transport: socket.io.engine.transport.name }));
socket.on("connect_error", (error) => out("connect_error", { message: String(error && error.message) }));
echo.private(`messenger.user.${userId}`).listen(".proxied", (e) => out("proxied", { data: e }));
process.stdin.on("end", () => { echo.disconnect(); process.exit(0); });
process.stdin.resume();

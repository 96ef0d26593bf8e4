// A Socket.IO client for the tests of core/socketio/server.py, with the official client
// library: `node sio_client.js 4 <url>` (socket.io-client 4.x) or `node sio_client.js 2 <url>`
// (socket.io-client 2.x, from the socket.io-v2 package). WebSocket transport only. It connects
// "/" and "/chat" (token "letmein": v4 in the auth payload, v2 in the query), emits with and
// without acks (binary too), answers the server's "question" ack, is refused on "/nope" and on
// "/chat" with a wrong token, waits through heartbeats, is disconnected by "bye", and prints
// what it saw as one JSON line.
"use strict";
const [major, url] = process.argv.slice(2);
const io =
  major === "2"
    ? require("socket.io-v2/node_modules/socket.io-client")
    : require("socket.io-client").io;
const result = {};

function finish() {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}
setTimeout(() => {
  result.timeout = true;
  finish();
}, 20000);

function open(namespace, token, forceNew) {
  const options = { transports: ["websocket"], forceNew: Boolean(forceNew), reconnection: false };
  if (major === "2") options.query = { token };
  else options.auth = { token };
  return io(url + (namespace === "/" ? "" : namespace), options);
}

function once(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

function refusal(socket) {
  // v2 reports a refused namespace as "error" with the server's string; v4 as connect_error.
  return new Promise((resolve) => {
    socket.once("error", (error) => resolve(String(error)));
    socket.once("connect_error", (error) => resolve(error.message));
  });
}

function ack(socket, ...args) {
  return new Promise((resolve) => socket.emit(...args, (...answer) => resolve(answer)));
}

function plain(args) {
  return args.map((a) => (Buffer.isBuffer(a) ? { hex: a.toString("hex") } : a));
}

async function main() {
  const root = open("/", "letmein");
  result.welcome = (await once(root, "welcome"))[0];
  const chat = open("/chat", "letmein");
  result.chatWelcome = (await once(chat, "welcome"))[0];
  result.echo = await ack(chat, "echo", 1, "two", { three: [3.5, null, true] });
  result.binaryEcho = plain(await ack(chat, "echo", Buffer.from([0, 254]), "x"));
  const news = once(chat, "news");
  chat.emit("shout", "hello");
  result.news = plain(await news);
  chat.on("question", (text, answer) => answer("answer to " + text, 42));
  const answered = once(chat, "answered");
  chat.emit("ask");
  result.answered = await answered;

  result.refusedNamespace = await refusal(open("/nope", "letmein", true));
  result.refusedToken = await refusal(open("/chat", "wrong", true));

  await new Promise((resolve) => setTimeout(resolve, 2500)); // heartbeats keep it open
  result.stillConnected = root.connected && chat.connected;
  const left = once(chat, "disconnect");
  chat.emit("bye");
  result.disconnect = (await left)[0];
  result.rootConnected = root.connected;
  root.close();
  finish();
}

main().catch((error) => {
  result.error = String(error);
  finish();
});

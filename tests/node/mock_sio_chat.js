// A chat client of a Socket.IO mock, written with the official client as a front end would be:
// node mock_sio_chat.js <4|2> <url> <path> [auth JSON]. `url` is what the front end passes to
// io() (the server, or the mock's base URL, plus the namespace), `path` the mock's Socket.IO
// path. WebSocket transport only. It waits for the welcome and 3 presence pushes, says something
// (with an ack), joins (with an ack), sends an undocumented event, then says 7 more things; the
// mock closes after 10 events. A second socket asks for a namespace the endpoint does not have.
// Prints what it saw as one JSON line.
"use strict";
const [major, url, path, auth] = process.argv.slice(2);
const io =
  major === "2"
    ? require("socket.io-v2/node_modules/socket.io-client")
    : require("socket.io-client").io;
const result = { acks: [], said: [], ticks: [], oops: [] };

function finish() {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}
setTimeout(() => {
  result.timeout = true;
  finish();
}, 20000);

const options = { path, transports: ["websocket"], reconnection: false };
if (auth) options.auth = JSON.parse(auth);
const socket = io(url, options);
let talking = false;

function withAck(...args) {
  return new Promise((resolve) => socket.emit(...args, (...answer) => resolve(answer)));
}

socket.on("connect_error", (error) => {
  result.connectError = error.message;
  finish();
});
socket.on("error", (error) => {
  result.connectError = String(error);
  finish();
});
socket.on("welcome", (...args) => (result.welcome = args));
socket.on("said", (...args) => result.said.push(args));
socket.on("oops", (...args) => result.oops.push(args));
socket.on("presence", (tick) => {
  result.ticks.push(tick.tick);
  if (!talking && result.ticks.length >= 3) {
    talking = true;
    talk().catch((error) => {
      result.error = String(error);
      finish();
    });
  }
});
socket.on("disconnect", (reason) => {
  result.disconnect = reason;
  // The refused namespace, on a connection of its own.
  const other = new URL(url);
  const wrong = io(other.origin + "/nope", { ...options, forceNew: true });
  wrong.on("connect_error", (error) => {
    result.refused = error.message;
    finish();
  });
  wrong.on("error", (error) => {
    result.refused = String(error);
    finish();
  });
});

async function talk() {
  result.acks.push(await withAck("say", { id: "c-1", text: "hello" }));
  result.acks.push(await withAck("join", "lobby"));
  socket.emit("dance");
  for (let n = 2; n <= 8; n++) socket.emit("say", { id: `c-${n}`, text: "again" });
}

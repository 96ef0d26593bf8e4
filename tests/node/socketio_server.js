// A Socket.IO server for the tests, in Node: `node socketio_server.js 4` (socket.io 4.x) or
// `node socketio_server.js 2` (socket.io 2.x). Listens on 127.0.0.1 and a free port, prints
// `port <n>` when ready. Namespace /chat admits token "letmein" (v4: the auth payload; v2: the
// handshake query) and refuses anyone else with "not authorized". Events: "echo" answers its
// ack with its arguments; "shout" broadcasts "news" with a text and a binary attachment to the
// namespace; "tell" answers with an "echoed" event of its arguments; "bye" makes the server disconnect the socket. Connecting sends "welcome".
const http = require("http");

const major = process.argv[2] || "4";
const server = http.createServer();
let io;
if (major === "2") {
  io = require("socket.io-v2")(server, { pingInterval: 1000, pingTimeout: 3000 });
} else {
  const { Server } = require("socket.io");
  io = new Server(server, { pingInterval: 1000, pingTimeout: 3000 });
}

function tokenOf(socket) {
  if (major === "2") return socket.handshake.query.token;
  return (socket.handshake.auth || {}).token;
}

function serve(namespace) {
  namespace.on("connection", (socket) => {
    socket.emit("welcome", { id: socket.id, nsp: namespace.name });
    socket.on("echo", (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      if (ack) ack(...args);
      else socket.emit("echoed", ...args);
    });
    socket.on("shout", (text) => {
      namespace.emit("news", { text }, Buffer.from([1, 2, 3, 255]));
    });
    socket.on("tell", (...args) => socket.emit("echoed", ...args));
    socket.on("bye", () => socket.disconnect());
  });
}

const chat = io.of("/chat");
chat.use((socket, next) => {
  if (tokenOf(socket) === "letmein") next();
  else next(new Error("not authorized"));
});
serve(io.of("/"));
serve(chat);

server.listen(0, "127.0.0.1", () => {
  console.log(`port ${server.address().port}`);
});

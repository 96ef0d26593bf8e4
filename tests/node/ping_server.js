// A Node `ws` upstream for the control-frame tests: prints its port on the first line, then
// echoes messages. "ping-me <payload>" makes it ping the client with that payload; its own
// pongs to the client's pings are the library's automatic ones.
"use strict";
const { WebSocketServer } = require("ws");

const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
server.on("listening", () => {
  process.stdout.write(`${server.address().port}\n`);
});
server.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => {
    const text = data.toString();
    if (!isBinary && text.startsWith("ping-me ")) {
      socket.ping(Buffer.from(text.slice("ping-me ".length)));
      return;
    }
    socket.send(data, { binary: isBinary });
  });
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

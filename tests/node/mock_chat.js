// A chat client of the mock (issue 16) written with Node's `ws`, as a front end would be:
// node mock_chat.js <ws url> [Authorization header]. It waits for the welcome and a presence
// push, says 10 things, and prints what it saw as one JSON line:
// {"status": <HTTP status when refused>, "body": ..., "messages": [...], "close": {code, reason}}.
"use strict";
const WebSocket = require("ws");

const [url, authorization] = process.argv.slice(2);
const headers = { Origin: "http://localhost:5173" };
if (authorization) headers.Authorization = authorization;
const ws = new WebSocket(url, { headers });
const messages = [];
let said = 0;

function finish(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

ws.on("unexpected-response", (req, res) => {
  let body = "";
  res.on("data", (chunk) => (body += chunk));
  res.on("end", () => finish({ status: res.statusCode, body }));
});
ws.on("message", (data) => {
  const message = JSON.parse(data.toString());
  messages.push(message);
  if (message.type === "presence" && said === 0) {
    for (said = 1; said <= 10; said++) {
      ws.send(JSON.stringify({ type: "say", id: `node-${said}`, text: "hello" }));
    }
  }
});
ws.on("close", (code, reason) => finish({ messages, close: { code, reason: reason.toString() } }));
ws.on("error", (error) => {
  if (!String(error).includes("Unexpected server response")) finish({ error: String(error) });
});
setTimeout(() => finish({ messages, timeout: true }), 15000);

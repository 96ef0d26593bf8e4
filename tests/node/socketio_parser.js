// Socket.IO's own packet parser, for the tests to compare ours with: `node socketio_parser.js 4`
// (socket.io-parser 4.x, Socket.IO 3/4) or `... 2` (socket.io-parser 3.x, Socket.IO 2). Reads
// {"encode": [packet...], "decode": [[message...]...]} on stdin, where bytes are
// {"$b64": "..."}; writes {"encoded": [[message...]...], "decoded": [packet...]} to stdout.
const major = process.argv[2] || "4";
const parser = major === "2"
  ? require("socket.io-v2/node_modules/socket.io-parser")
  : require("socket.io-parser");

function revive(value) {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === "object") {
    if (typeof value.$b64 === "string") return Buffer.from(value.$b64, "base64");
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = revive(v);
    return out;
  }
  return value;
}

function bare(value) {
  if (Buffer.isBuffer(value) || value instanceof ArrayBuffer) {
    return { $b64: Buffer.from(value).toString("base64") };
  }
  if (Array.isArray(value)) return value.map(bare);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = bare(v);
    return out;
  }
  return value;
}

function encode(packet) {
  const encoder = new parser.Encoder();
  if (major === "2") {
    let result;
    encoder.encode(packet, (parts) => { result = parts; });
    return result;
  }
  return encoder.encode(packet);
}

function decode(messages) {
  const decoder = new parser.Decoder();
  let decoded = null;
  decoder.on("decoded", (packet) => { decoded = packet; });
  for (const message of messages) decoder.add(message);
  return decoded;
}

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  const encoded = (request.encode || []).map((p) => bare(encode(revive(p))));
  const decoded = (request.decode || []).map((m) => bare(decode(revive(m))));
  process.stdout.write(JSON.stringify({ encoded, decoded }));
});

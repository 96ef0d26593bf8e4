// Validates an AsyncAPI document (YAML or JSON) read from stdin with the official parser,
// @asyncapi/parser, and prints its diagnostics as JSON on stdout:
//   {"valid": bool, "version": "3.0.0", "diagnostics": [{"severity", "code", "message", "path"}]}
// Severity is the parser's: 0 error, 1 warning, 2 information, 3 hint. Exit code 0 unless the
// script itself fails. Used by tests/asyncapi_parser.py.
"use strict";

const { Parser } = require("@asyncapi/parser");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(text);
  const out = {
    valid: document !== undefined,
    version: document ? document.version() : null,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: String(d.code),
      message: d.message,
      path: d.path,
    })),
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error));
  process.exit(2);
});

/* The Contract section of a log entry's detail: the documented message the frame was recognised
   as and the verdict; for an invalid frame its problems next to the message's schema (the
   properties the problems name highlighted); for an undocumented one a schema generated from
   the frame (POST …/schemas/generate/), to copy or, for editors, to save as a project schema. */
import { api, describeError } from "./api.js";
import { h, icon, copyText, toast } from "./dom.js";
import { dialog } from "./ui.js";
import { base, boot } from "./boot.js";

const VERDICT = { valid: "Valid", invalid: "Invalid", undocumented: "Undocumented" };
const ROLE = { in: "receive", out: "send" };
// Generated schemas, by session and seq: a format switch re-renders the detail, not the work.
const generated = new Map();

const escapeSegment = (segment) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * The pointers inside `schema` that problems at these payload paths are about: "/price" is
 * /properties/price, "/items/0/id" is /properties/items/items/properties/id. A required property
 * missing (reported at the object) points at that property. Paths the schema does not spell out
 * (through $ref, combinators) point at nothing.
 */
export function schemaPointers(schema, problems) {
  const pointers = new Set();
  for (const problem of problems || []) {
    let node = schema;
    let pointer = "";
    const segments = problem.path ? problem.path.split("/").slice(1) : [];
    const required = /^"((?:\\.|[^"\\])*)" is a required property/.exec(problem.reason || "");
    if (required) segments.push(escapeSegment(JSON.parse(`"${required[1]}"`)));
    for (const raw of segments) {
      const name = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      if (!node || typeof node !== "object") break;
      if (node.properties && typeof node.properties === "object" && name in node.properties) {
        pointer += `/properties/${escapeSegment(name)}`;
        node = node.properties[name];
      } else if (/^\d+$/.test(name) && node.items && typeof node.items === "object") {
        pointer += "/items";
        node = node.items;
      } else {
        node = null;
        break;
      }
    }
    if (node && pointer) pointers.add(pointer);
  }
  return pointers;
}

/** `value` pretty-printed as JSON, coloured by `highlight`, with the parts at `pointers` marked. */
export function schemaView(value, pointers, highlight, label) {
  const pre = h("pre.contract-schema", { tabindex: "0", "aria-label": label });
  const stack = [pre];
  const out = (text) => stack[stack.length - 1].append(highlight(text));
  const pad = (depth) => "  ".repeat(depth);
  const walk = (node, pointer, depth) => {
    const isArray = Array.isArray(node);
    if (!node || typeof node !== "object") {
      out(JSON.stringify(node));
      return;
    }
    const keys = isArray ? node.map((_, index) => index) : Object.keys(node);
    if (!keys.length) {
      out(isArray ? "[]" : "{}");
      return;
    }
    out(isArray ? "[\n" : "{\n");
    keys.forEach((key, index) => {
      const child = `${pointer}/${escapeSegment(String(key))}`;
      const comma = index < keys.length - 1 ? "," : "";
      const hit = pointers.has(child);
      if (hit) {
        const mark = h("mark.schema-hit", { title: "A problem is here" });
        stack[stack.length - 1].append(mark);
        stack.push(mark);
      }
      out(pad(depth + 1) + (isArray ? "" : `${JSON.stringify(String(key))}: `));
      walk(node[key], child, depth + 1);
      if (hit) {
        // The mark is a block: it ends its own line.
        out(comma);
        stack.pop();
      } else {
        out(`${comma}\n`);
      }
    });
    out(`${pad(depth)}${isArray ? "]" : "}"}`);
  };
  walk(value, "", 0);
  // Bring the first marked part into view inside the (height-limited) schema, once laid out.
  requestAnimationFrame(() => {
    const first = pre.querySelector("mark.schema-hit");
    if (first && pre.isConnected) pre.scrollTop = Math.max(0, first.offsetTop - 40);
  });
  return pre;
}

function copyButton(label, text) {
  return h("button.btn.small", {
    type: "button",
    "aria-label": label,
    on: { click: async () => { if (await copyText(text())) toast("Copied to the clipboard"); } },
  }, icon("copy"), "Copy");
}

function problemList(problems) {
  return h("ul.contract-problems", { "aria-label": "Problems" }, problems.map((problem) => {
    // The API ends a long list with {"path": "", "reason": "and N more"}.
    if (!problem.path && /^and \d+ more$/.test(problem.reason)) return h("li.problem-more", {}, problem.reason);
    return h("li", {},
      h("code.problem-path", {}, problem.path || "(whole message)"),
      h("span.problem-reason", {}, problem.reason));
  }));
}

function summary(contract, detail, entry) {
  const role = ROLE[entry.direction] || "";
  const pill = h(`span.contract-pill.c-${contract}`, {}, VERDICT[contract] || contract);
  if (contract === "undocumented") {
    return h("p.contract-summary", {}, pill, `No documented ${role} message matches this frame.`);
  }
  const documented = detail.documented;
  const name = (documented && documented.name) || detail.message;
  return h("p.contract-summary", {}, pill, "Recognised as ", h("strong.contract-name", {}, name),
    ` (${(documented && documented.direction) || role})`,
    documented ? null : h("span.muted", {}, " — no longer documented in this endpoint"));
}

function documentedSchema(detail, highlight, open) {
  const documented = detail.documented;
  if (!documented || documented.schema === null || documented.schema === undefined) {
    return h("p.muted.contract-note", {}, documented ? `${documented.name} has no schema.` : "");
  }
  const pointers = schemaPointers(documented.schema, detail.problems);
  const view = schemaView(documented.schema, pointers, highlight, `Schema of ${documented.name}`);
  const head = h("div.contract-head", {}, h("h4", {}, `Schema of ${documented.name}`),
    copyButton(`Copy the schema of ${documented.name}`, () => JSON.stringify(documented.schema, null, 2)));
  if (open) return h("div.contract-schema-box", {}, head, view);
  return h("details.contract-schema-box", {}, h("summary", {}, `Schema of ${documented.name}`), view);
}

async function saveSchema(schema) {
  const name = h("input#schema-name", { autocomplete: "off", autofocus: true, placeholder: "e.g. Heartbeat", dataset: { field: "name" } });
  const description = h("input#schema-description", { autocomplete: "off", dataset: { field: "description" } });
  const saved = await dialog({
    title: "Save as project schema",
    description: "A named schema of the project: documented messages refer to it as #/components/schemas/<name>.",
    content: [
      h("label", { for: "schema-name" }, "Name"), name,
      h("label", { for: "schema-description" }, "Description ", h("span.optional", {}, "(optional)")), description,
    ],
    actions: [{
      label: "Save schema",
      kind: "primary",
      id: "schema-save-confirm",
      run: async () => {
        const chosen = name.value.trim();
        if (!chosen) {
          name.setAttribute("aria-invalid", "true");
          name.focus();
          return false;
        }
        return api("POST", `${base}/schemas/`, { body: { name: chosen, description: description.value.trim(), schema } });
      },
    }],
  });
  if (saved) toast(`Saved the project schema "${saved.name}"`, "success");
}

function generatedView(schema, highlight) {
  return h("div.contract-generated", {},
    h("div.contract-head", {}, h("h4", {}, "Generated schema"),
      h("span.contract-head-actions", {},
        copyButton("Copy the generated schema", () => JSON.stringify(schema, null, 2)),
        boot.can_write ? h("button.btn.small.primary", { type: "button", on: { click: () => saveSchema(schema) } }, "Save as project schema…") : null)),
    h("p.muted.contract-note", {}, "Every property this frame has, all required: edit it down before documenting a message with it."),
    schemaView(schema, new Set(), highlight, "Generated schema"));
}

function generator(entry, sessionId, highlight) {
  const key = `${sessionId}:${entry.seq}`;
  const host = h("div.contract-generate");
  const error = h("p.form-error", { role: "alert", hidden: true });
  const button = h("button.btn.small", { type: "button" }, icon("wand"), "Generate a schema from this frame");
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.hidden = true;
    try {
      const { schema } = await api("POST", `${base}/schemas/generate/`, { body: { session: sessionId, seq: entry.seq } });
      generated.set(key, schema);
      host.replaceChildren(generatedView(schema, highlight));
    } catch (problem) {
      error.textContent = describeError(problem);
      error.hidden = false;
      button.disabled = false;
    }
  });
  if (generated.has(key)) host.append(generatedView(generated.get(key), highlight));
  else host.append(button, error);
  return host;
}

/** The section for `entry` (a sent or received frame) from its detail (GET …/events/{seq}/). */
export function contractSection(entry, detail, { sessionId, highlight }) {
  const contract = detail.contract;
  const section = h(`section.contract.c-${contract}`, { "aria-label": "Contract check" },
    h("h3", {}, "Contract"), summary(contract, detail, entry));
  if (contract === "invalid") {
    section.append(h("div.contract-split", {},
      h("div.contract-problems-box", {}, h("h4", {}, "Problems"), problemList(detail.problems || [])),
      documentedSchema(detail, highlight, true)));
  } else if (contract === "undocumented") {
    section.append(generator(entry, sessionId, highlight));
  } else if (contract === "valid") {
    section.append(documentedSchema(detail, highlight, false));
  }
  return section;
}

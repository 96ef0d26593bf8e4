/* Parts of a documented message's card (messages.js): its match rule, and a JSON Schema editor
   (typed, a project schema picked, or generated from an example) used for the schema and, for a
   Socket.IO event, its ack schema. `owner` is the DocumentedMessages they write through: its
   `typed` texts (kept as typed while they do not parse), `canWrite`, `changed()`, `restructure()`. */
import { api, describeError } from "./api.js";
import { h, icon, toast } from "./dom.js";
import { base } from "./boot.js";

export const SCHEMA_REF = "#/components/schemas/";
const MATCH_KINDS = { any: "Any frame", path: "JSON path", regex: "Regular expression" };

/** Where JSON.parse stopped, as the API says it ("line 3, column 5"); null when `text` parses. */
export function jsonProblem(text) {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const message = String(error.message || error);
    const reason = message.replace(/\s*\(line \d+ column \d+\)/, "").replace(/ in JSON at position \d+/, "").replace(/^JSON\.parse: /, "");
    const spelled = message.match(/line (\d+) column (\d+)/);
    const position = message.match(/position (\d+)/);
    if (spelled) return `Invalid JSON at line ${spelled[1]}, column ${spelled[2]}: ${reason}`;
    // The end of the input is where an unfinished text stops; other messages give a position.
    const end = /end of (JSON )?(data|input)/i.test(message);
    if (!position && !end) return `Invalid JSON: ${reason}`;
    const before = position ? text.slice(0, Number(position[1])) : text;
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return `Invalid JSON at line ${line}, column ${column}: ${reason}`;
  }
}

/** "$.type = "trade"", "/type present", "/^PING/", "any frame". */
export function matchSummary(match) {
  const rule = match || { kind: "any" };
  if (rule.kind === "path") return "value" in rule ? `${rule.path} = ${JSON.stringify(rule.value)}` : `${rule.path} present`;
  if (rule.kind === "regex") return `/${rule.pattern || ""}/`;
  return "any frame";
}

/** A field edited after an error was shown at it (ui.js showFieldErrors) no longer shows it. */
export function clearError(control) {
  if (control.getAttribute("aria-invalid") !== "true") return;
  control.removeAttribute("aria-invalid");
  const note = control.nextElementSibling;
  if (note && note.classList.contains("field-error")) note.remove();
}

export function matchEditor(owner, message, index, renderSummary) {
  const number = index + 1;
  const path = `messages[${index}].match`;
  const readOnly = !owner.canWrite;
  const match = message.match || { kind: "any" };
  const kind = h("select", { id: `msg-${index}-match`, disabled: readOnly, "aria-label": `Message ${number} match rule`, dataset: { field: `${path}.kind` } },
    Object.entries(MATCH_KINDS).map(([value, label]) => h("option", { value, selected: value === match.kind }, label)));
  kind.addEventListener("change", () => {
    const rule = { kind: kind.value };
    if (rule.kind === "path") rule.path = match.path || "$.type";
    if (rule.kind === "regex") rule.pattern = match.pattern || "";
    message.match = rule;
    owner.valueText.delete(message);
    owner.restructure(`[data-field="${path}.kind"]`);
  });
  const parts = [h("label", { for: kind.id }, "Recognised by"), kind];
  const note = h("p.field-hint", {});
  if (match.kind === "path") {
    const where = h("input.mono", { value: match.path || "", readOnly, spellcheck: "false", placeholder: "$.type or /type", "aria-label": `Message ${number} match path`, dataset: { field: `${path}.path` } });
    where.addEventListener("input", () => {
      message.match = { ...message.match, path: where.value };
      renderSummary();
      owner.changed();
    });
    const typed = owner.valueText.get(message);
    const value = h("input.mono", {
      value: typed !== undefined ? typed : ("value" in match ? JSON.stringify(match.value) : ""),
      readOnly,
      spellcheck: "false",
      placeholder: "\"trade\" (optional)",
      "aria-label": `Message ${number} match value (JSON)`,
      dataset: { field: `${path}.value` },
    });
    const hint = "The value expected there, as JSON: \"trade\" (in quotes), 1, true. Empty: anything found there.";
    const check = () => {
      const problem = value.value.trim() ? jsonProblem(value.value) : null;
      note.textContent = problem ? `${problem}. Text goes in quotes: "trade".` : hint;
      note.classList.toggle("bad", Boolean(problem));
      return problem;
    };
    value.addEventListener("input", () => {
      owner.valueText.set(message, value.value);
      if (!check()) {
        const rule = { kind: "path", path: message.match.path || "" };
        if (value.value.trim()) rule.value = JSON.parse(value.value);
        message.match = rule;
        renderSummary();
        owner.changed();
      }
    });
    check();
    parts.push(where, h("span.msg-eq", { "aria-hidden": "true" }, "="), value);
  } else if (match.kind === "regex") {
    const pattern = h("input.mono", { value: match.pattern || "", readOnly, spellcheck: "false", placeholder: "^PING \\d+", "aria-label": `Message ${number} match pattern`, dataset: { field: `${path}.pattern` } });
    pattern.addEventListener("input", () => {
      message.match = { kind: "regex", pattern: pattern.value };
      renderSummary();
      owner.changed();
    });
    parts.push(pattern);
    note.textContent = "Searched in the text of the frame (JSON Schema's pattern dialect).";
  } else {
    note.textContent = "Every frame of this direction that no message above claims. Put specific rules first.";
  }
  return h("div.msg-field.msg-match", { dataset: { field: path } }, h("div.msg-match-row", {}, parts), note);
}

/** What a schema editor edits: `key` of the message, its label, placeholder and hint. */
export const SCHEMA_KINDS = {
  schema: {
    label: "Schema", noun: "schema",
    placeholder: "{\"type\": \"object\", \"properties\": {…}}  (empty: no schema)",
    none: "No schema: frames recognised as this message are not checked.",
  },
  arguments: {
    key: "schema", label: "Arguments schema", noun: "arguments schema",
    placeholder: "{\"type\": \"array\", \"prefixItems\": [{\"type\": \"string\"}, {…}]}  (empty: not checked)",
    none: "The event's arguments, as one JSON array, e.g. {\"type\": \"array\", \"prefixItems\": [...]}. Empty: not checked.",
  },
  ack: {
    key: "ack_schema", label: "Ack schema", noun: "ack schema",
    placeholder: "{\"type\": \"array\", \"prefixItems\": [{\"const\": \"ok\"}]}  (empty: no ack documented)",
    none: "The acknowledgement's arguments array. Empty: no ack is documented for this event.",
  },
};

export function schemaEditor(owner, message, index, kindName = "schema") {
  const kind = SCHEMA_KINDS[kindName];
  const key = kind.key || "schema";
  const number = index + 1;
  const path = `messages[${index}].${key}`;
  const typedTexts = owner.typed[key];
  const typed = typedTexts.get(message);
  const text = h("textarea.mono.msg-schema", {
    id: `msg-${index}-${key}`,
    rows: "6",
    spellcheck: "false",
    readOnly: !owner.canWrite,
    placeholder: kind.placeholder,
    "aria-label": `Message ${number} ${kind.noun} (JSON Schema)`,
    dataset: { field: path },
  });
  const stored = message[key];
  text.value = typed !== undefined ? typed : (stored === null || stored === undefined ? "" : JSON.stringify(stored, null, 2));
  const note = h("p.field-hint", { "aria-live": "polite" });
  const check = () => {
    const problem = text.value.trim() ? jsonProblem(text.value) : null;
    note.textContent = problem || (text.value.trim() ? "" : kind.none);
    note.classList.toggle("bad", Boolean(problem));
    return problem;
  };
  const apply = (value) => {
    clearError(text);
    text.value = value;
    typedTexts.set(message, value);
    if (!check()) {
      message[key] = value.trim() ? JSON.parse(value) : null;
      owner.changed();
    }
  };
  text.addEventListener("input", () => {
    clearError(text);
    apply(text.value);
  });
  check();
  const tools = [];
  if (owner.canWrite) {
    const pick = h("select.msg-schema-pick", { "aria-label": `Message ${number}: refer to a project schema (${kind.noun})` });
    fillSchemaPicker(pick, owner.schemas);
    pick.addEventListener("change", () => {
      if (!pick.value) return;
      apply(JSON.stringify({ $ref: `${SCHEMA_REF}${pick.value}` }, null, 2));
      pick.value = "";
    });
    tools.push(pick);
  }
  if (owner.canWrite && key === "schema") {
    const generate = h("button.btn.small.ghost", {
      type: "button",
      title: "Infer a schema from the first example (every property it has, all required)",
      on: {
        click: async () => {
          const example = (message.examples || [])[0];
          generate.disabled = true;
          try {
            const result = await api("POST", `${base}/schemas/generate/`, { body: { example: example ? example.body : "" } });
            apply(JSON.stringify(result.schema, null, 2));
            toast(`Schema generated from example "${example.name}". Edit it down, then save.`);
          } catch (error) {
            note.textContent = `Could not generate a schema from example "${example ? example.name : ""}": ${describeError(error)}`;
            note.classList.add("bad");
          } finally {
            generate.disabled = false;
          }
        },
      },
    }, icon("wand"), "Generate from example");
    tools.push(generate);
  }
  return h(`div.msg-field.msg-schema-field.f-${key}`, {},
    h("div.msg-sub-head", {}, h("label", { for: text.id }, `${kind.label} `, h("span.optional", {}, "JSON Schema 2020-12")), ...tools),
    text, note);
}

export function fillSchemaPicker(select, schemas) {
  const options = [h("option", { value: "" }, schemas.length ? "Project schema…" : "No project schemas")];
  for (const name of schemas) options.push(h("option", { value: name }, name));
  select.replaceChildren(...options);
  select.disabled = !schemas.length;
}

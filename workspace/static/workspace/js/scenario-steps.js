/* The steps of a scenario as cards (docs/scenarios.md "Steps"): add from a menu of kinds,
   move up and down, duplicate, delete, expand to edit each kind's fields. Every input writes
   into the draft's step and carries the API's path (`steps[3].assertions[0].path`) as its
   data-field, so a 400 lands beside the field it names. */
import { h, icon } from "./dom.js";
import { openMenu } from "./ui.js";
import { blankEmit, emitFields, emitTitle } from "./scenario-emit.js";

export const STEP_KINDS = [
  ["connect", "Connect"], ["send", "Send"], ["emit", "Emit (Socket.IO)"], ["expect", "Expect"], ["extract", "Extract"],
  ["wait", "Wait"], ["disconnect", "Disconnect"], ["expect_close", "Expect close"],
];
const KIND_LABEL = Object.fromEntries(STEP_KINDS);
const FORMATS = ["text", "json", "xml", "html", "base64", "hex"];
const ASSERTION_KINDS = [["message", "Is message"], ["valid", "Is valid (schema)"], ["json", "JSON path"], ["text", "Text"], ["binary", "Binary (hex)"], ["event", "Is event (Socket.IO)"], ["ack", "Is ack (Socket.IO)"]];
const JSON_OPS = [
  ["equals", "equals"], ["not_equals", "not equals"], ["contains", "contains"], ["not_contains", "does not contain"],
  ["matches", "matches regex"], ["exists", "exists"], ["not_exists", "does not exist"], ["type", "has type"],
  ["length", "length"], ["gt", ">"], ["gte", "≥"], ["lt", "<"], ["lte", "≤"],
];
const NO_VALUE_OPS = new Set(["exists", "not_exists"]);
const JSON_TYPES = ["string", "number", "integer", "boolean", "null", "object", "array"];
const COMPARES = [["eq", "="], ["ne", "≠"], ["gt", ">"], ["gte", "≥"], ["lt", "<"], ["lte", "≤"]];
const TEXT_OPS = ["equals", "contains", "matches"];
const VARIABLE = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** The {{names}} a step's fields mention. */
export function namesIn(step) {
  const names = new Set();
  for (const match of JSON.stringify(step).matchAll(VARIABLE)) names.add(match[1]);
  return [...names];
}

/** A value typed as JSON (42, true, "x", [1]); anything that does not parse is text. */
export function parseValue(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    return text;
  }
}

/** How parseValue's input shows a value: text as itself unless it would read back as JSON. */
export function showValue(value) {
  if (value === undefined) return "";
  if (typeof value === "string") {
    try {
      JSON.parse(value);
      return JSON.stringify(value);
    } catch (error) {
      return value;
    }
  }
  return JSON.stringify(value);
}

/** A step's one-line title, as the API makes it when the step has none. */
export function describeStep(step, endpointName) {
  if (step.title) return step.title;
  const alias = step.alias || "?";
  switch (step.kind) {
    case "connect": return `connect ${alias} → ${step.endpoint ? endpointName(step.endpoint) : step.url || "?"}`;
    case "send": return step.message ? `${alias}: send ${step.message}${step.example ? ` (${step.example})` : ""}` : `${alias}: send ${step.format || "text"}`;
    case "emit": return emitTitle(step, alias);
    case "expect": {
      const count = (step.assertions || []).length;
      const what = `${count} assertion${count === 1 ? "" : "s"}`;
      return `${alias}: ${step.none ? "expect no frame with" : `expect ${step.mode === "any" ? "any frame with" : "next frame with"}`} ${what}`;
    }
    case "extract": return `extract ${(step.extract || []).map((item) => item.variable || "?").join(", ")}`;
    case "wait": return `wait ${step.ms ?? 0} ms`;
    case "disconnect": return `disconnect ${alias}`;
    case "expect_close": return `${alias}: expect close${step.code ? ` ${step.code}` : ""}`;
    default: return step.kind || "step";
  }
}

function blankStep(kind, aliases) {
  const alias = aliases[aliases.length - 1] || "";
  switch (kind) {
    case "connect": {
      let n = 1;
      while (aliases.includes(`c${n}`)) n += 1;
      return { kind, alias: `c${n}`, url: "" };
    }
    case "send": return { kind, alias, format: "json", body: "" };
    case "emit": return blankEmit(alias);
    case "expect": return { kind, alias, assertions: [] };
    case "extract": return { kind, extract: [{ variable: "", path: "" }] };
    case "wait": return { kind, ms: 500 };
    default: return { kind, alias };
  }
}

let uid = 0;

export class StepsEditor {
  /**
   * steps(): the draft's steps (mutated in place); readOnly; onChange() after every edit;
   * endpoints(): [{id, label}]; messages(endpointId): the endpoint's documented messages, or
   * null while they load (onLoaded re-renders); info(index): the API's step_info or null.
   */
  constructor({ steps, readOnly, onChange, endpoints, messages, info }) {
    Object.assign(this, { steps, readOnly, onChange, endpoints, messages, info });
    this.open = new WeakSet();
    this.list = h("ol.step-list", { "aria-label": "Steps" });
    this.addButton = h("button.btn.small#step-add", {
      type: "button",
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      hidden: readOnly,
      on: { click: () => openMenu(this.addButton, STEP_KINDS.map(([kind, label]) => ({ label, run: () => this.add(kind) }))) },
    }, icon("plus"), "Add step");
    this.element = h("div.steps-editor", {}, this.list, h("div.step-add-row", {}, this.addButton));
  }

  changed() {
    this.onChange();
  }

  aliasesBefore(index) {
    const aliases = [];
    this.steps().slice(0, index).forEach((step) => {
      if (step.kind === "connect" && step.alias && !aliases.includes(step.alias)) aliases.push(step.alias);
    });
    return aliases;
  }

  /** The endpoint id the alias was last connected to before step `index` (null: a URL). */
  endpointOf(alias, index) {
    const steps = this.steps();
    for (let i = index - 1; i >= 0; i -= 1) {
      if (steps[i].kind === "connect" && steps[i].alias === alias) return steps[i].endpoint || null;
    }
    return null;
  }

  endpointName(id) {
    const found = this.endpoints().find((item) => item.id === Number(id));
    return found ? found.label : `endpoint ${id}`;
  }

  add(kind) {
    const steps = this.steps();
    const step = blankStep(kind, this.aliasesBefore(steps.length));
    steps.push(step);
    this.open.add(step);
    this.render();
    this.changed();
    const card = this.list.lastElementChild;
    const first = card && card.querySelector(".step-body input, .step-body select, .step-body textarea");
    if (first) first.focus();
  }

  move(index, by) {
    const steps = this.steps();
    const [step] = steps.splice(index, 1);
    steps.splice(index + by, 0, step);
    this.render();
    this.changed();
    const button = this.list.children[index + by]?.querySelector(by < 0 ? ".step-up" : ".step-down");
    if (button && !button.disabled) button.focus();
    else this.list.children[index + by]?.querySelector(".step-toggle")?.focus();
  }

  duplicate(index) {
    const steps = this.steps();
    const copy = JSON.parse(JSON.stringify(steps[index]));
    steps.splice(index + 1, 0, copy);
    this.open.add(copy);
    this.render();
    this.changed();
    this.list.children[index + 1]?.querySelector(".step-toggle")?.focus();
  }

  remove(index) {
    this.steps().splice(index, 1);
    this.render();
    this.changed();
    const next = this.list.children[Math.min(index, this.steps().length - 1)];
    (next ? next.querySelector(".step-toggle") : this.addButton).focus();
  }

  /** Opens the cards an API error names (`steps[3]...`). */
  reveal(paths) {
    const steps = this.steps();
    for (const path of paths) {
      const match = path.match(/^steps\[(\d+)\]/);
      if (match && steps[Number(match[1])]) this.open.add(steps[Number(match[1])]);
    }
    this.render();
  }

  /** Draws the cards again, keeping the focused field focused. */
  render() {
    const focused = document.activeElement && this.list.contains(document.activeElement) ? document.activeElement.dataset.field : null;
    const steps = this.steps();
    this.list.replaceChildren(...steps.map((step, index) => this.card(step, index)));
    if (!steps.length) {
      this.list.append(h("li.step-empty.muted", {}, this.readOnly ? "This scenario has no steps yet." :
        "No steps yet. Add a Connect step first, then send, expect and extract."));
    }
    if (focused) {
      const again = this.list.querySelector(`[data-field="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  card(step, index) {
    const open = this.open.has(step);
    const number = index + 1;
    const info = this.info(index, step);
    const title = info && info.title ? info.title : describeStep(step, (id) => this.endpointName(id));
    const names = new Set([...(info ? info.variables : []), ...namesIn(step)]);
    const bodyId = `step-body-${++uid}`;
    const toggle = h("button.step-toggle", {
      type: "button",
      "aria-expanded": String(open),
      "aria-controls": bodyId,
      "aria-label": `Step ${number}: ${title}`,
      on: {
        click: () => {
          if (this.open.has(step)) this.open.delete(step);
          else this.open.add(step);
          this.render();
          this.list.children[index]?.querySelector(".step-toggle")?.focus();
        },
      },
    }, icon("chevron"), h("span.step-num", {}, String(number)), h(`span.step-kind.k-${step.kind}`, {}, KIND_LABEL[step.kind] || step.kind),
      h("span.step-title", {}, title));
    const tools = this.readOnly ? null : h("div.step-tools", {},
      h("button.icon-btn.step-up", { type: "button", disabled: index === 0, "aria-label": `Move step ${number} up`, title: "Move up", on: { click: () => this.move(index, -1) } }, icon("up")),
      h("button.icon-btn.step-down", { type: "button", disabled: index === this.steps().length - 1, "aria-label": `Move step ${number} down`, title: "Move down", on: { click: () => this.move(index, 1) } }, icon("down")),
      h("button.icon-btn.step-dup", { type: "button", "aria-label": `Duplicate step ${number}`, title: "Duplicate", on: { click: () => this.duplicate(index) } }, icon("copy")),
      h("button.icon-btn.step-del", { type: "button", "aria-label": `Delete step ${number}`, title: "Delete", on: { click: () => this.remove(index) } }, icon("trash")));
    const vars = names.size ? h("p.step-vars", { "aria-label": `Variables step ${number} uses` },
      h("span.muted", {}, "Uses "), [...names].map((name) => h("code.var-chip", {}, `{{${name}}}`))) : null;
    const body = open ? h("div.step-body", { id: bodyId },
      h("span.step-anchor", { dataset: { field: `steps[${index}]` } }),
      this.fields(step, index)) : h("div", { id: bodyId, hidden: true });
    return h(`li.step-card.k-${step.kind}`, { dataset: { index: String(index) } },
      h("div.step-head", {}, toggle, tools), vars, body);
  }

  /* --- fields ----------------------------------------------------------------------------- */

  input(step, index, key, label, { type = "text", placeholder = "", wide = false, number = false, mono = true, rerender = false } = {}) {
    const id = `s${++uid}-${key}`;
    const value = step[key];
    const input = h(`input${mono ? ".mono" : ""}`, {
      id, type, placeholder, value: value === undefined || value === null ? "" : String(value),
      disabled: this.readOnly, autocomplete: "off", spellcheck: "false",
      dataset: { field: `steps[${index}].${key}` },
    });
    input.addEventListener("input", () => {
      const text = input.value;
      if (text === "") delete step[key];
      else step[key] = number && !Number.isNaN(Number(text)) ? Number(text) : text;
      this.changed();
    });
    // After the focus has moved on (a click into the next field), so that field keeps it.
    if (rerender) input.addEventListener("change", () => setTimeout(() => this.render(), 0));
    return h(`div.setting${wide ? ".wide" : ""}`, {}, h("label", { for: id }, label), input);
  }

  select(step, index, key, label, options, { blank = null, rerender = true, onPick = null } = {}) {
    const id = `s${++uid}-${key}`;
    const current = step[key] === undefined || step[key] === null ? "" : String(step[key]);
    const list = options.map(([value, text]) => [String(value), text]);
    if (current && !list.some(([value]) => value === current)) list.push([current, `${current} (unknown)`]);
    const select = h("select", { id, disabled: this.readOnly, dataset: { field: `steps[${index}].${key}` } },
      blank !== null ? h("option", { value: "" }, blank) : null,
      list.map(([value, text]) => h("option", { value, selected: value === current }, text)));
    select.addEventListener("change", () => {
      if (onPick) onPick(select.value);
      else if (select.value === "") delete step[key];
      else step[key] = select.value;
      this.changed();
      if (rerender) this.render();
    });
    return h("div.setting", {}, h("label", { for: id }, label), select);
  }

  aliasSelect(step, index) {
    const aliases = this.aliasesBefore(index);
    return this.select(step, index, "alias", "Connection", aliases.map((alias) => [alias, alias]), { blank: aliases.length ? null : "(connect one first)" });
  }

  fields(step, index) {
    const title = this.input(step, index, "title", "Title", { placeholder: "Made from the step when empty", mono: false });
    const grid = h("div.step-grid");
    switch (step.kind) {
      case "connect": this.connectFields(grid, step, index); break;
      case "send": this.sendFields(grid, step, index); break;
      case "emit": emitFields(this, grid, step, index); break;
      case "expect": this.expectFields(grid, step, index); break;
      case "extract": this.extractFields(grid, step, index); break;
      case "wait": grid.append(this.input(step, index, "ms", "Wait (ms)", { type: "number", number: true })); break;
      case "disconnect":
        grid.append(this.aliasSelect(step, index),
          this.input(step, index, "code", "Close code", { type: "number", number: true, placeholder: "1000" }),
          this.input(step, index, "reason", "Reason", { mono: false }));
        break;
      case "expect_close":
        grid.append(this.aliasSelect(step, index),
          this.input(step, index, "timeout_ms", "Timeout (ms)", { type: "number", number: true, placeholder: "5000" }),
          this.input(step, index, "code", "Close code", { type: "number", number: true, placeholder: "any" }),
          this.select(step, index, "by", "Closed by", [["server", "the server"], ["client", "the client"]], { blank: "either" }));
        break;
      default: grid.append(h("p.muted", {}, `Unknown kind ${step.kind}`));
    }
    return [grid, h("div.step-grid", {}, title)];
  }

  connectFields(grid, step, index) {
    const target = step.endpoint !== undefined ? "endpoint" : "url";
    grid.append(
      this.input(step, index, "alias", "Alias", { placeholder: "alice", rerender: true }),
      this.select({ target }, index, "target", "Connect to", [["endpoint", "An endpoint of the tree"], ["url", "A URL"]], {
        onPick: (value) => {
          if (value === "endpoint") {
            delete step.url;
            step.endpoint = this.endpoints()[0] ? this.endpoints()[0].id : null;
          } else {
            delete step.endpoint;
            step.url = "";
          }
        },
      }));
    if (target === "endpoint") {
      grid.append(this.select(step, index, "endpoint", "Endpoint", this.endpoints().map((item) => [item.id, item.label]), {
        blank: "Choose an endpoint",
        onPick: (value) => { step.endpoint = value ? Number(value) : null; },
      }));
    } else {
      grid.append(this.input(step, index, "url", "URL", { placeholder: "wss://example.com/socket?user={{user}}", wide: true }));
    }
    for (const [key, noun, label] of [["params", "param", "Query params"], ["headers", "header", "Headers"], ["cookies", "cookie", "Cookies"]]) {
      if (this.readOnly && !(step[key] || []).length) continue;
      grid.append(h("div.setting.wide", {}, h("span.setting-label", {}, `${label} `, h("span.optional", {}, target === "endpoint" ? "(override the endpoint's)" : "(optional)")),
        this.pairs(step, index, key, ["name", "value"], noun)));
    }
  }

  sendFields(grid, step, index) {
    const endpoint = step.alias ? this.endpointOf(step.alias, index) : null;
    const documented = step.message !== undefined;
    grid.append(this.aliasSelect(step, index));
    const sources = [["body", "An inline body"]];
    if (endpoint || documented) sources.unshift(["message", "A documented message"]);
    grid.append(this.select({ source: documented ? "message" : "body" }, index, "source", "Send", sources, {
      onPick: (value) => {
        if (value === "message") {
          delete step.format;
          delete step.body;
          step.message = "";
        } else {
          delete step.message;
          delete step.example;
          step.format = "json";
          step.body = "";
        }
      },
    }));
    if (documented) {
      const messages = endpoint ? this.messages(endpoint) : [];
      const sendable = (messages || []).filter((message) => message.direction !== "receive");
      grid.append(this.select(step, index, "message", "Message", sendable.map((message) => [message.name, message.name]), {
        blank: messages === null ? "Loading…" : "Choose a message",
        onPick: (value) => {
          step.message = value;
          delete step.example;
        },
      }));
      const message = sendable.find((item) => item.name === step.message);
      const examples = message ? message.examples || [] : [];
      grid.append(this.select(step, index, "example", "Example", examples.map((example) => [example.name, example.name]), { blank: "The first example" }));
      const shown = message ? (examples.find((example) => example.name === step.example) || examples[0]) : null;
      if (shown) grid.append(h("div.setting.wide", {}, h("span.setting-label", {}, "Sends"), h("pre.step-preview", {}, shown.body)));
    } else {
      grid.append(this.select(step, index, "format", "Format", FORMATS.map((format) => [format, format.toUpperCase()]), { rerender: false }));
      const id = `s${++uid}-body`;
      const body = h("textarea.mono", {
        id, rows: "4", disabled: this.readOnly, spellcheck: "false", value: step.body || "",
        placeholder: '{"text": "hi {{friend}}"}', dataset: { field: `steps[${index}].body` },
      });
      body.addEventListener("input", () => {
        step.body = body.value;
        this.changed();
      });
      grid.append(h("div.setting.wide", {}, h("label", { for: id }, "Body"), body));
    }
  }

  expectFields(grid, step, index) {
    const endpoint = step.alias ? this.endpointOf(step.alias, index) : null;
    const none = `s${++uid}-none`;
    const negative = h("input", { id: none, type: "checkbox", checked: Boolean(step.none), disabled: this.readOnly, dataset: { field: `steps[${index}].none` } });
    negative.addEventListener("change", () => {
      if (negative.checked) step.none = true;
      else delete step.none;
      this.changed();
      this.render();
    });
    grid.append(
      this.aliasSelect(step, index),
      this.select(step, index, "mode", "Frames", [["next", "The next frame"], ["any", "Any frame (skip others)"]], { rerender: false, onPick: (value) => { if (value === "next") delete step.mode; else step.mode = value; } }),
      this.input(step, index, "timeout_ms", "Timeout (ms)", { type: "number", number: true, placeholder: "5000" }),
      h("div.setting.check", {}, negative, h("label", { for: none }, "Negative: no matching frame may arrive within the timeout")));
    const assertions = step.assertions || [];
    const messages = endpoint ? this.messages(endpoint) || [] : [];
    const names = messages.filter((message) => message.direction !== "send").map((message) => message.name);
    const list = h("ol.assertion-list", { "aria-label": `Assertions of step ${index + 1}` },
      assertions.map((assertion, j) => this.assertionRow(step, index, assertion, j, names)));
    const add = this.readOnly ? null : h("button.btn.small.assertion-add", {
      type: "button",
      on: {
        click: () => {
          step.assertions = [...assertions, names.length ? { kind: "message", name: names[0] } : { kind: "json", path: "$.", op: "equals", value: "" }];
          this.changed();
          this.render();
          const rows = this.list.children[index]?.querySelectorAll(".assertion-row");
          rows?.[rows.length - 1]?.querySelector("select")?.focus();
        },
      },
    }, icon("plus"), "Add assertion");
    grid.append(h("div.setting.wide", {}, h("span.setting-label", {}, "Assertions ", h("span.optional", {}, "(every one must hold; none: any frame)")), list, add));
  }

  assertionRow(step, index, assertion, j, messageNames) {
    const path = `steps[${index}].assertions[${j}]`;
    const label = `Assertion ${j + 1} of step ${index + 1}`;
    const control = (tag, key, props, text) => {
      const el = h(tag, { ...props, disabled: this.readOnly, "aria-label": `${label}: ${text}`, dataset: { field: `${path}.${key}` } });
      return el;
    };
    const kind = control("select.assertion-kind", "kind", {}, "kind");
    kind.append(...ASSERTION_KINDS.map(([value, text]) => h("option", { value, selected: value === assertion.kind }, text)));
    kind.addEventListener("change", () => {
      const fresh = { kind: kind.value };
      if (kind.value === "message") fresh.name = messageNames[0] || "";
      if (kind.value === "json") Object.assign(fresh, { path: "$.", op: "equals", value: "" });
      if (kind.value === "text") Object.assign(fresh, { op: "contains", value: "" });
      if (kind.value === "binary") Object.assign(fresh, { op: "equals", value: "" });
      if (kind.value === "event") fresh.name = "";
      step.assertions[j] = fresh;
      this.changed();
      this.render();
    });
    const parts = [kind];
    const text = (key, placeholder, hint, parse = (v) => v) => {
      const input = control("input.mono", key, { type: "text", value: key === "value" && parse !== String ? showValue(assertion[key]) : assertion[key] ?? "", placeholder, title: hint, spellcheck: "false", autocomplete: "off" }, hint || key);
      input.addEventListener("input", () => {
        assertion[key] = parse(input.value);
        this.changed();
      });
      return input;
    };
    const ops = (key, list) => {
      const select = control("select", key, {}, "operator");
      select.append(...list.map(([value, shown]) => h("option", { value, selected: value === assertion[key] }, shown)));
      select.addEventListener("change", () => {
        assertion[key] = select.value;
        if (key === "op") {
          if (NO_VALUE_OPS.has(select.value)) delete assertion.value;
          else if (!("value" in assertion)) assertion.value = select.value === "type" ? "string" : "";
          if (select.value === "type" && !JSON_TYPES.includes(assertion.value)) assertion.value = "string";
          if (select.value === "length") assertion.compare = assertion.compare || "eq";
          else delete assertion.compare;
        }
        this.changed();
        this.render();
      });
      return select;
    };
    if (assertion.kind === "message") {
      const listId = `s${++uid}-names`;
      const input = text("name", "trade", "message name");
      input.setAttribute("list", listId);
      parts.push(input, h("datalist", { id: listId }, messageNames.map((name) => h("option", { value: name }))));
    } else if (assertion.kind === "event") {
      parts.push(text("name", "news", "event name"));
    } else if (assertion.kind === "ack") {
      const input = text("event", "chat message", "the emitted event it acknowledges (empty: any)");
      input.addEventListener("input", () => { if (!input.value) delete assertion.event; });
      parts.push(input);
    } else if (assertion.kind === "valid") {
      parts.push(h("span.muted.small", {}, "the frame is a documented message and fits its schema"));
    } else if (assertion.kind === "json") {
      parts.push(text("path", "$.price or /price", "JSONPath or JSON Pointer"), ops("op", JSON_OPS));
      if (assertion.op === "length") parts.push(ops("compare", COMPARES));
      if (assertion.op === "type") {
        const select = control("select", "value", {}, "type");
        select.append(...JSON_TYPES.map((type) => h("option", { value: type, selected: type === assertion.value }, type)));
        select.addEventListener("change", () => { assertion.value = select.value; this.changed(); });
        parts.push(select);
      } else if (!NO_VALUE_OPS.has(assertion.op)) {
        parts.push(text("value", 'JSON: 3, true, "x" or {{var}}', 'The value, typed as JSON (3, true, null, "3" for the text 3); anything that is not JSON is text', parseValue));
      }
    } else if (assertion.kind === "text") {
      parts.push(ops("op", TEXT_OPS.map((op) => [op, op])), text("value", "ok", "text (or a regular expression for matches)", String));
    } else if (assertion.kind === "binary") {
      parts.push(h("span.muted.small", {}, "bytes equal"), text("value", "00 ff 41", "bytes as hex", String));
    }
    const remove = this.readOnly ? null : h("button.icon-btn", {
      type: "button",
      "aria-label": `Remove assertion ${j + 1} of step ${index + 1}`,
      title: "Remove",
      on: { click: () => { step.assertions.splice(j, 1); this.changed(); this.render(); } },
    }, icon("x"));
    return h("li.assertion-row", {}, h("span.assertion-fields", { dataset: { field: path } }, parts), remove);
  }

  extractFields(grid, step, index) {
    const items = step.extract || [];
    const rows = items.map((item, j) => {
      const path = `steps[${index}].extract[${j}]`;
      const label = `Extraction ${j + 1} of step ${index + 1}`;
      const field = (key, placeholder, text) => {
        const input = h("input.mono", {
          value: item[key] ?? "", placeholder, disabled: this.readOnly, spellcheck: "false", autocomplete: "off",
          "aria-label": `${label}: ${text}`, dataset: { field: `${path}.${key}` },
        });
        input.addEventListener("input", () => {
          if (key === "group") {
            if (input.value === "") delete item.group;
            else item.group = /^\d+$/.test(input.value) ? Number(input.value) : input.value;
          } else {
            item[key] = input.value;
          }
          this.changed();
        });
        return input;
      };
      const isRegex = "regex" in item;
      const source = h("select", { disabled: this.readOnly, "aria-label": `${label}: from`, dataset: { field: `${path}.source` } },
        h("option", { value: "path", selected: !isRegex }, "JSON path"), h("option", { value: "regex", selected: isRegex }, "Regex"));
      source.addEventListener("change", () => {
        const expression = item.path ?? item.regex ?? "";
        delete item.path;
        delete item.regex;
        delete item.group;
        item[source.value] = expression;
        this.changed();
        this.render();
      });
      const remove = this.readOnly ? null : h("button.icon-btn", {
        type: "button", "aria-label": `Remove extraction ${j + 1} of step ${index + 1}`, title: "Remove",
        on: { click: () => { items.splice(j, 1); this.changed(); this.render(); } },
      }, icon("x"));
      return h("li.assertion-row", {}, h("span.assertion-fields", { dataset: { field: path } },
        field("variable", "order_id", "variable"), h("span.muted", {}, "="), source,
        isRegex ? field("regex", "id=(\\w+)", "regular expression") : field("path", "$.order.id", "JSON path"),
        isRegex ? field("group", "1", "group (number or name)") : null), remove);
    });
    const add = this.readOnly ? null : h("button.btn.small", {
      type: "button",
      on: { click: () => { step.extract = [...items, { variable: "", path: "" }]; this.changed(); this.render(); } },
    }, icon("plus"), "Add extraction");
    const expects = this.steps().slice(0, index).map((other, at) => [other, at]).filter(([other]) => other.kind === "expect" && !other.none);
    grid.append(this.select(step, index, "step", "From the frame of", expects.map(([, at]) => [at, `step ${at + 1}`]), {
      blank: "the latest expect before it",
      onPick: (value) => { if (value === "") delete step.step; else step.step = Number(value); },
    }));
    grid.append(h("div.setting.wide", {}, h("span.setting-label", {}, "Values"),
      h("ol.assertion-list", { "aria-label": `Extractions of step ${index + 1}` }, rows), add));
  }

  /** Name/value rows of a step (a connect's headers). */
  pairs(step, index, key, columns, noun) {
    const rows = step[key] || [];
    const table = h("div.pair-rows");
    rows.forEach((row, j) => {
      const cells = columns.map((column) => {
        const input = h("input.mono", {
          value: row[column] ?? "", disabled: this.readOnly, spellcheck: "false", autocomplete: "off",
          "aria-label": `Step ${index + 1} ${noun} ${j + 1} ${column}`,
          dataset: { field: `steps[${index}].${key}[${j}].${column}` },
        });
        input.addEventListener("input", () => { row[column] = input.value; this.changed(); });
        return input;
      });
      const remove = this.readOnly ? null : h("button.icon-btn", {
        type: "button", "aria-label": `Remove step ${index + 1} ${noun} ${j + 1}`, title: "Remove",
        on: { click: () => { rows.splice(j, 1); if (!rows.length) delete step[key]; this.changed(); this.render(); } },
      }, icon("x"));
      table.append(h("div.pair-row", {}, cells, remove));
    });
    if (!this.readOnly) {
      table.append(h("button.btn.small.ghost", {
        type: "button",
        on: { click: () => { step[key] = [...rows, { name: "", value: "", enabled: true }]; this.changed(); this.render(); } },
      }, icon("plus"), `Add ${noun}`));
    } else if (!rows.length) {
      table.append(h("span.muted.small", {}, "none"));
    }
    return table;
  }
}

/* The emit step of a Socket.IO connection in the scenario editor (docs/scenarios.md "Socket.IO
   endpoints"): an event and its arguments (a JSON array whose strings may hold {{variables}}),
   or a documented event and example; the namespace; an ack to ask for, wait for or leave to an
   expect step. Every input carries the API's path as its data-field, like the other kinds. */
import { h } from "./dom.js";

let uid = 0;

export function emitTitle(step, alias) {
  const what = step.message ? `${step.message}${step.example ? ` (${step.example})` : ""}` : step.event || "?";
  return `${alias}: emit ${what}${step.ack && step.wait_ack !== false ? " and wait for the ack" : ""}`;
}

export function blankEmit(alias) {
  return { kind: "emit", alias, event: "", args: [] };
}

/** The fields of an emit step, appended to ``grid``; ``editor`` is the steps editor. */
export function emitFields(editor, grid, step, index) {
  const endpoint = step.alias ? editor.endpointOf(step.alias, index) : null;
  const documented = step.message !== undefined;
  grid.append(editor.aliasSelect(step, index));
  const sources = [["event", "An event and arguments"]];
  if (endpoint || documented) sources.unshift(["message", "A documented event"]);
  grid.append(editor.select({ source: documented ? "message" : "event" }, index, "source", "Emit", sources, {
    onPick: (value) => {
      if (value === "message") {
        delete step.event;
        delete step.args;
        step.message = "";
      } else {
        delete step.message;
        delete step.example;
        step.event = "";
        step.args = [];
      }
    },
  }));
  if (documented) {
    const messages = endpoint ? editor.messages(endpoint) : [];
    const events = (messages || []).filter((message) => message.direction !== "receive");
    grid.append(editor.select(step, index, "message", "Event", events.map((message) => [message.name, message.event || message.name]), {
      blank: messages === null ? "Loading…" : "Choose an event",
      onPick: (value) => {
        step.message = value;
        delete step.example;
      },
    }));
    const message = events.find((item) => item.name === step.message);
    const examples = message ? message.examples || [] : [];
    grid.append(editor.select(step, index, "example", "Example", examples.map((example) => [example.name, example.name]), { blank: "The first example" }));
  } else {
    grid.append(editor.input(step, index, "event", "Event", { placeholder: "chat message" }));
    grid.append(argumentsField(editor, step, index));
  }
  grid.append(editor.input(step, index, "namespace", "Namespace", { placeholder: "the endpoint's" }));
  grid.append(editor.select({ ack: step.ack ? (step.wait_ack === false ? "later" : "wait") : "no" }, index, "ack", "Ack", [
    ["no", "Do not ask for one"], ["wait", "Ask, and wait for it"], ["later", "Ask; an expect step checks it"],
  ], {
    onPick: (value) => {
      if (value === "no") {
        delete step.ack;
        delete step.wait_ack;
        delete step.ack_timeout_ms;
      } else {
        step.ack = true;
        if (value === "later") step.wait_ack = false;
        else delete step.wait_ack;
      }
    },
  }));
  if (step.ack) {
    grid.append(editor.input(step, index, "ack_timeout_ms", "Ack timeout (ms)", { type: "number", number: true, placeholder: "5000" }));
  }
}

function argumentsField(editor, step, index) {
  const id = `emit${++uid}-args`;
  const area = h("textarea.mono", {
    id, rows: "3", disabled: editor.readOnly, spellcheck: "false",
    value: JSON.stringify(step.args ?? []), placeholder: '["hi {{friend}}", {"room": 1}]',
    dataset: { field: `steps[${index}].args` },
  });
  const problem = h("span.field-error", { role: "alert" });
  area.addEventListener("input", () => {
    try {
      const value = JSON.parse(area.value);
      if (!Array.isArray(value)) throw new Error("Arguments are a JSON array, one item per argument.");
      step.args = value;
      problem.textContent = "";
    } catch (error) {
      step.args = area.value; // refused by the API, naming steps[i].args, if saved like this
      problem.textContent = error.message;
    }
    editor.changed();
  });
  return h("div.setting.wide", {}, h("label", { for: id }, "Arguments"), area, problem);
}

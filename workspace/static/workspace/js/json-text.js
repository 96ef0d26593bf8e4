/* A JSON text editor without a framework: a monospace textarea with line numbers; Tab and
   Shift+Tab indent by two spaces (Esc, then Tab, leaves the editor), Enter keeps the indentation,
   Format pretty-prints, and an error that names a line and column marks that line and puts the
   caret there. */
import { h } from "./dom.js";

const INDENT = "  ";

/** Where the first syntax error of JSON `text` is ({line, column, message}), or null. The
    messages read like the server's (Python's json), which names the same place. */
export function jsonProblem(text) {
  let i = 0;
  const fail = (message, at = i) => {
    throw { at, message };
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i += 1;
  };
  const string = () => {
    const start = i;
    i += 1;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail("Unterminated string starting here", start);
      if (c === '"') {
        i += 1;
        return;
      }
      if (c === "\\") {
        const escape = text[i + 1];
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("Invalid \\uXXXX escape");
          i += 6;
          continue;
        }
        if (!escape || !'"\\/bfnrt'.includes(escape)) fail("Invalid \\escape");
        i += 2;
        continue;
      }
      if (c < " ") fail("Invalid control character (write \\n, \\t…)");
      i += 1;
    }
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = () => {
    space();
    const c = text[i];
    if (c === "{") {
      i += 1;
      space();
      if (text[i] === "}") {
        i += 1;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail("Expecting property name enclosed in double quotes");
        string();
        space();
        if (text[i] !== ":") fail("Expecting ':' delimiter");
        i += 1;
        value();
        space();
        if (text[i] === ",") {
          i += 1;
          continue;
        }
        if (text[i] === "}") {
          i += 1;
          return;
        }
        fail("Expecting ',' delimiter or '}'");
      }
    }
    if (c === "[") {
      i += 1;
      space();
      if (text[i] === "]") {
        i += 1;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[i] === ",") {
          i += 1;
          continue;
        }
        if (text[i] === "]") {
          i += 1;
          return;
        }
        fail("Expecting ',' delimiter or ']'");
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail("Expecting value");
  };
  try {
    value();
    space();
    if (i < text.length) fail("Extra data after the value");
    return null;
  } catch (problem) {
    if (problem instanceof RangeError) return { line: 1, column: 1, message: "The JSON is nested too deeply" };
    if (!problem || problem.at === undefined) throw problem;
    const { line, column } = lineAndColumn(text, problem.at);
    return { line, column, message: problem.message };
  }
}

function lineAndColumn(text, offset) {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

/** The line and column a message names ("… at line 3, column 1: …"), or null. */
export function placeIn(message) {
  const match = /line (\d+),? column (\d+)/i.exec(message || "");
  return match ? { line: Number(match[1]), column: Number(match[2]) } : null;
}

/** Puts the caret of `area` (a textarea) at `line`, `column` (both from 1) and scrolls to it. */
export function caretAt(area, line, column) {
  const lines = area.value.split("\n");
  const row = Math.max(0, Math.min(line - 1, lines.length - 1));
  let offset = 0;
  for (let index = 0; index < row; index += 1) offset += lines[index].length + 1;
  offset += Math.max(0, Math.min(column - 1, lines[row].length));
  area.focus();
  area.setSelectionRange(offset, offset);
  const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
  area.scrollTop = Math.max(0, row * lineHeight - area.clientHeight / 2);
}

export class JsonText {
  /**
   * id and label of the textarea; field: its data-field (the API path its errors name);
   * onInput() after every change; onSave() on Ctrl/⌘+S.
   */
  constructor({ id, label, value = "", readOnly = false, field, onInput, onSave, hintId }) {
    this.onInput = onInput || (() => {});
    this.onSave = onSave || (() => {});
    this.gutter = h("div.jt-gutter", { "aria-hidden": "true" });
    this.area = h(`textarea.jt-area#${id}`, {
      "aria-label": label,
      "aria-describedby": hintId || null,
      spellcheck: "false",
      autocomplete: "off",
      autocapitalize: "off",
      wrap: "off",
      readOnly,
      dataset: field ? { field } : null,
    });
    this.area.value = value;
    this.error = h("div.form-error.jt-error", { role: "alert", id: `${id}-error`, hidden: true });
    this.element = h("div.jt", {}, this.gutter, this.area);
    this.lineCount = 0;
    this.badLine = 0;
    this.escaped = false;
    this.area.addEventListener("input", () => {
      this.renderGutter();
      this.onInput();
    });
    this.area.addEventListener("scroll", () => { this.gutter.scrollTop = this.area.scrollTop; });
    this.area.addEventListener("keydown", (event) => this.keydown(event));
    this.area.addEventListener("focus", () => { this.escaped = false; });
    this.renderGutter();
  }

  get value() {
    return this.area.value;
  }

  /** Replaces the whole text as an edit (Ctrl+Z brings the old text back). */
  replaceAll(text) {
    this.replace(0, this.area.value.length, text);
    this.area.setSelectionRange(0, 0);
    this.area.scrollTop = 0;
  }

  renderGutter() {
    const count = this.area.value.split("\n").length;
    if (count === this.lineCount) return;
    this.lineCount = count;
    const numbers = [];
    for (let line = 1; line <= count; line += 1) numbers.push(h(line === this.badLine ? "span.bad" : "span", {}, String(line)));
    this.gutter.replaceChildren(...numbers);
    this.gutter.scrollTop = this.area.scrollTop;
  }

  markLine(line) {
    this.badLine = line;
    this.lineCount = 0;
    this.renderGutter();
  }

  /** Shows `messages` (one or several) under the editor; a line and column in the first put
      the caret there. */
  showError(messages) {
    const list = [].concat(messages);
    this.error.replaceChildren(list.length > 1 ? h("ul", {}, list.map((text) => h("li", {}, text))) : list[0]);
    this.error.hidden = false;
    this.area.setAttribute("aria-invalid", "true");
    this.area.setAttribute("aria-errormessage", this.error.id);
    const place = placeIn(list[0]);
    this.markLine(place ? place.line : 0);
    if (place) caretAt(this.area, place.line, place.column);
  }

  clearError() {
    this.error.hidden = true;
    this.error.replaceChildren();
    this.area.removeAttribute("aria-invalid");
    this.area.removeAttribute("aria-errormessage");
    if (this.badLine) this.markLine(0);
  }

  /** Pretty-prints the text (two spaces); false, with the error shown, when it is not JSON. */
  format() {
    const problem = jsonProblem(this.area.value);
    if (problem) {
      this.showError(`Not formatted: invalid JSON at line ${problem.line}, column ${problem.column}: ${problem.message}.`);
      return false;
    }
    const pretty = JSON.stringify(JSON.parse(this.area.value), null, 2);
    this.clearError();
    if (pretty !== this.area.value) this.replaceAll(pretty);
    return true;
  }

  keydown(event) {
    const mod = event.ctrlKey || event.metaKey;
    if (mod && !event.altKey && event.key.toLowerCase() === "s") {
      event.preventDefault();
      this.onSave();
      return;
    }
    if (this.area.readOnly) return;
    if (event.key === "Escape") {
      // The next Tab leaves the editor (keyboard users are never trapped in it).
      this.escaped = true;
      return;
    }
    if (event.key === "Tab" && !mod && !event.altKey && !this.escaped) {
      event.preventDefault();
      if (event.shiftKey) this.outdent();
      else this.indent();
      return;
    }
    if (event.key === "Enter" && !mod && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      this.newline();
      return;
    }
    if (event.key !== "Shift") this.escaped = false;
  }

  /** Replaces [start, end) with `text` as one undoable edit, then selects [from, to) if given. */
  replace(start, end, text, from, to) {
    const area = this.area;
    area.focus();
    area.setSelectionRange(start, end);
    if (!document.execCommand("insertText", false, text)) {
      area.setRangeText(text, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (from !== undefined) area.setSelectionRange(from, to);
  }

  /** The selected lines' range: [start of the first line, end of the last]. */
  selectedLines() {
    const { value, selectionStart, selectionEnd } = this.area;
    const start = value.lastIndexOf("\n", selectionStart - 1) + 1;
    let end = value.indexOf("\n", selectionEnd > selectionStart && value[selectionEnd - 1] === "\n" ? selectionEnd - 1 : selectionEnd);
    if (end === -1) end = value.length;
    return [start, end];
  }

  indent() {
    const { value, selectionStart, selectionEnd } = this.area;
    if (!value.slice(selectionStart, selectionEnd).includes("\n")) {
      this.replace(selectionStart, selectionEnd, INDENT);
      return;
    }
    const [start, end] = this.selectedLines();
    const lines = value.slice(start, end).split("\n");
    const text = lines.map((line) => INDENT + line).join("\n");
    this.replace(start, end, text, selectionStart + INDENT.length, selectionEnd + INDENT.length * lines.length);
  }

  outdent() {
    const { value, selectionStart, selectionEnd } = this.area;
    const [start, end] = this.selectedLines();
    const lines = value.slice(start, end).split("\n");
    const removed = lines.map((line) => (line.startsWith(INDENT) ? 2 : line.startsWith(" ") ? 1 : 0));
    if (!removed.some(Boolean)) return;
    const text = lines.map((line, index) => line.slice(removed[index])).join("\n");
    const total = removed.reduce((sum, n) => sum + n, 0);
    this.replace(start, end, text, Math.max(start, selectionStart - removed[0]), Math.max(start, selectionEnd - total));
  }

  /** Enter keeps the line's indentation, one level deeper after `{` or `[`; between a bracket
      pair it puts the closing one on its own line. */
  newline() {
    const { value, selectionStart, selectionEnd } = this.area;
    const lineStart = value.lastIndexOf("\n", selectionStart - 1) + 1;
    const indent = /^[ \t]*/.exec(value.slice(lineStart, selectionStart))[0];
    const before = value.slice(lineStart, selectionStart).trimEnd().slice(-1);
    const after = (/^[ \t]*([}\]])/.exec(value.slice(selectionEnd)) || [])[1];
    if (before === "{" || before === "[") {
      const inner = `\n${indent}${INDENT}`;
      const closes = (before === "{" && after === "}") || (before === "[" && after === "]");
      const caret = selectionStart + inner.length;
      this.replace(selectionStart, selectionEnd, closes ? `${inner}\n${indent}` : inner, caret, caret);
      return;
    }
    this.replace(selectionStart, selectionEnd, `\n${indent}`);
  }
}

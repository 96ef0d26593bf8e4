/* Editable key/value tables for params, headers and cookies: an enable checkbox, name, value
   and description per row, and an always-present empty last row to type a new one into. */
import { h, icon } from "./dom.js";

const SINGULAR = { params: "param", headers: "header", cookies: "cookie" };
const PLACEHOLDER = {
  params: ["name", "value"],
  headers: ["X-Api-Key", "{{apiKey}}"],
  cookies: ["session", "value"],
};

export function rowsEditor({ kind, rows, onChange }) {
  let data = rows.map((row) => ({ enabled: true, description: "", ...row }));
  let locked = false;
  const noun = SINGULAR[kind];
  const tbody = h("tbody");
  const table = h("table.kv", {},
    h("thead", {}, h("tr", {},
      h("th.col-on", { scope: "col" }, h("span.sr-only", {}, "Enabled")),
      h("th", { scope: "col" }, "Name"),
      h("th", { scope: "col" }, "Value"),
      h("th", { scope: "col" }, "Description"),
      h("th.col-x", { scope: "col" }, h("span.sr-only", {}, "Remove")))),
    tbody);
  const element = h("div.kv-wrap", { dataset: { kind } }, table);

  const changed = () => onChange(data.map((row) => ({ ...row })));

  function cell(index, key, row, isNew) {
    const number = index + 1;
    const input = h("input.kv-input", {
      type: "text",
      value: row[key] || "",
      spellcheck: "false",
      autocomplete: "off",
      disabled: locked,
      placeholder: isNew ? (key === "name" ? `Add ${noun}` : key === "value" ? PLACEHOLDER[kind][1] : "Description") : "",
      "aria-label": isNew ? `New ${noun} ${key}` : `${capital(noun)} ${number} ${key}`,
      dataset: { field: `${kind}[${index}].${key}`, column: key },
    });
    input.addEventListener("input", () => {
      if (isNew) {
        data.push({ name: "", value: "", enabled: true, description: "", [key]: input.value });
        const caret = input.selectionStart;
        render();
        const again = tbody.querySelector(`[data-field="${kind}[${index}].${key}"]`);
        if (again) {
          again.focus();
          again.setSelectionRange(caret, caret);
        }
      } else {
        data[index][key] = input.value;
      }
      changed();
    });
    return h(`td.col-${key}`, {}, input);
  }

  function render() {
    tbody.replaceChildren();
    data.forEach((row, index) => {
      const number = index + 1;
      const check = h("input", {
        type: "checkbox",
        checked: row.enabled !== false,
        disabled: locked,
        "aria-label": `Send ${noun} ${number}${row.name ? ` (${row.name})` : ""}`,
        dataset: { field: `${kind}[${index}].enabled` },
      });
      check.addEventListener("change", () => {
        data[index].enabled = check.checked;
        tr.classList.toggle("off", !check.checked);
        changed();
      });
      const remove = h("button.icon-btn.kv-remove", {
        type: "button",
        disabled: locked,
        "aria-label": `Remove ${noun} ${number}${row.name ? ` (${row.name})` : ""}`,
        title: "Remove",
        on: {
          click: () => {
            data.splice(index, 1);
            render();
            changed();
            const next = tbody.querySelector(`[data-field="${kind}[${Math.min(index, data.length)}].name"]`);
            if (next) next.focus();
          },
        },
      }, icon("x"));
      const tr = h(`tr.kv-row${row.enabled === false ? ".off" : ""}`, {},
        h("td.col-on", {}, check),
        cell(index, "name", row, false),
        cell(index, "value", row, false),
        cell(index, "description", row, false),
        h("td.col-x", {}, remove));
      tbody.append(tr);
    });
    if (locked && !data.length) {
      tbody.append(h("tr", {}, h("td", { colspan: "5" }, h("p.kv-locked-empty", {}, `No ${kind}.`))));
    }
    if (!locked) {
      const index = data.length;
      tbody.append(h("tr.kv-row.kv-new", {},
        h("td.col-on", {}, h("span.kv-plus", { "aria-hidden": "true" }, icon("plus"))),
        cell(index, "name", {}, true),
        cell(index, "value", {}, true),
        cell(index, "description", {}, true),
        h("td.col-x")));
    }
  }

  render();
  return {
    element,
    get rows() {
      return data.map((row) => ({ ...row }));
    },
    set(rowsNow) {
      data = rowsNow.map((row) => ({ enabled: true, description: "", ...row }));
      render();
    },
    lock(value) {
      if (locked === value) return;
      locked = value;
      element.classList.toggle("locked", locked);
      render();
    },
  };
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A list of short strings (tags, subprotocols) as removable chips plus an input. */
export function chipsInput({ id, label, values, suggestions = [], placeholder = "", onChange }) {
  let items = [...values];
  let locked = false;
  const list = h("ul.chips", { "aria-label": label });
  const datalistId = `${id}-options`;
  const input = h("input.chips-input", {
    id,
    type: "text",
    placeholder,
    autocomplete: "off",
    list: suggestions.length ? datalistId : null,
  });
  const datalist = h("datalist", { id: datalistId });
  const element = h("div.chips-field", {}, list, input, datalist);
  element.addEventListener("click", (event) => {
    if (event.target === element) input.focus();
  });

  const setSuggestions = (names) => {
    datalist.replaceChildren(...names.map((name) => h("option", { value: name })));
    if (names.length) input.setAttribute("list", datalistId);
  };
  setSuggestions(suggestions);

  const commit = () => {
    const parts = input.value.split(",").map((part) => part.trim()).filter(Boolean);
    if (!parts.length) return false;
    for (const part of parts) {
      if (!items.some((item) => item.toLowerCase() === part.toLowerCase())) items.push(part);
    }
    input.value = "";
    render();
    onChange([...items]);
    return true;
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === ",") {
      if (input.value.trim()) {
        event.preventDefault();
        commit();
      }
    } else if (event.key === "Backspace" && !input.value && items.length) {
      items.pop();
      render();
      onChange([...items]);
    }
  });
  input.addEventListener("change", commit);
  input.addEventListener("blur", commit);

  function render() {
    list.replaceChildren(...items.map((item, index) => h("li.chip", {},
      h("span", {}, item),
      h("button.chip-x", {
        type: "button",
        disabled: locked,
        "aria-label": `Remove ${item}`,
        on: {
          click: () => {
            items.splice(index, 1);
            render();
            onChange([...items]);
            input.focus();
          },
        },
      }, icon("x")))));
  }
  render();
  return {
    element,
    input,
    get values() {
      return [...items];
    },
    set(next) {
      items = [...next];
      render();
    },
    setSuggestions,
    lock(value) {
      locked = value;
      input.disabled = value;
      element.classList.toggle("locked", value);
      render();
    },
  };
}

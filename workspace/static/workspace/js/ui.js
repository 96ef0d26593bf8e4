/* Modal dialogs (the native <dialog>: focus stays inside, Esc cancels), pop-up menus, and the
   field-error display shared by every form. No window.alert/confirm/prompt anywhere. */
import { h, icon, append } from "./dom.js";
import { describeError } from "./api.js";

let closeCurrent = null;

/**
 * Shows a modal. `actions`: [{label, value, kind, run}] — `run(form)` may be async; returning
 * false keeps the dialog open (its error is shown). Resolves with the action's result (or its
 * value), or null when cancelled.
 */
export function dialog({ title, description, content, actions = [], size = "", onOpen }) {
  const element = document.getElementById("dialog");
  if (closeCurrent) closeCurrent(null);
  return new Promise((resolve) => {
    const error = h("p.form-error", { role: "alert", hidden: true });
    const form = h("form.dialog-form", { method: "dialog", novalidate: true });
    const footer = h("div.dialog-actions");
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      closeCurrent = null;
      if (element.open) element.close();
      resolve(result);
    };
    closeCurrent = finish;
    const run = async (action) => {
      error.hidden = true;
      if (!action.run) {
        finish(action.value === undefined ? true : action.value);
        return;
      }
      const buttons = footer.querySelectorAll("button");
      buttons.forEach((b) => { b.disabled = true; });
      try {
        const result = await action.run(form);
        if (result === false) return;
        finish(result === undefined ? (action.value === undefined ? true : action.value) : result);
      } catch (problem) {
        error.textContent = describeError(problem);
        error.hidden = false;
        showFieldErrors(form, problem && problem.fields);
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
      }
    };
    const primary = actions.find((a) => a.kind === "primary" || a.kind === "danger");
    for (const action of actions) {
      const button = h(`button.btn${action.kind ? "." + action.kind : ""}`, {
        type: "button",
        on: { click: () => run(action) },
      }, action.label);
      if (action.id) button.id = action.id;
      footer.append(button);
    }
    footer.prepend(h("button.btn.ghost", { type: "button", on: { click: () => finish(null) } }, "Cancel"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (primary) run(primary);
    });
    // dom.js's append skips the parts a dialog does not have (Node.append would write "null").
    append(form, [
      h("div.dialog-head",
        h("h2#dialog-title", {}, title),
        h("button.icon-btn.dialog-close", { type: "button", "aria-label": "Close", on: { click: () => finish(null) } }, icon("x"))),
      description ? h("p.dialog-description", {}, description) : null,
      content ? h("div.dialog-content", {}, content) : null,
      error,
      footer,
    ]);
    element.className = `dialog ${size}`;
    element.replaceChildren(form);
    element.onclose = () => { if (!element.open) finish(null); };
    element.oncancel = (event) => { event.preventDefault(); finish(null); };
    element.showModal();
    const focusable = form.querySelector("[autofocus], input, select, textarea") ||
      (primary ? footer.lastElementChild : footer.firstElementChild);
    if (focusable) focusable.focus();
    if (onOpen) onOpen(form, finish);
  });
}

export function confirmDialog({ title, message, confirm = "OK", danger = false }) {
  return dialog({
    title,
    description: message,
    actions: [{ label: confirm, kind: danger ? "danger" : "primary", value: true }],
  }).then((value) => value === true);
}

export function promptDialog({ title, label, value = "", confirm = "Save", placeholder = "" }) {
  const input = h("input", { id: "prompt-input", value, placeholder, autocomplete: "off", autofocus: true });
  return dialog({
    title,
    content: [h("label", { for: "prompt-input" }, label), input],
    actions: [{
      label: confirm,
      kind: "primary",
      run: () => {
        const text = input.value.trim();
        if (!text) {
          input.setAttribute("aria-invalid", "true");
          input.focus();
          return false;
        }
        return text;
      },
    }],
    onOpen: () => input.select(),
  });
}

/** Marks inputs whose data-field matches an API field path; returns the paths it could not place. */
export function showFieldErrors(root, fields) {
  root.querySelectorAll("[aria-invalid=true]").forEach((el) => el.removeAttribute("aria-invalid"));
  root.querySelectorAll(".field-error").forEach((el) => el.remove());
  const unplaced = [];
  for (const [path, messages] of Object.entries(fields || {})) {
    const target = root.querySelector(`[data-field="${CSS.escape(path)}"]`);
    const text = [].concat(messages).join(" ");
    if (!target) {
      unplaced.push(`${path}: ${text}`);
      continue;
    }
    target.setAttribute("aria-invalid", "true");
    const note = h("span.field-error", { id: `err-${path.replace(/[^a-z0-9]/gi, "-")}` }, text);
    target.setAttribute("aria-describedby", note.id);
    target.insertAdjacentElement("afterend", note);
  }
  return unplaced;
}

let openMenuState = null;

function closeMenu(restoreFocus = true) {
  if (!openMenuState) return;
  const { menu, anchor, onDoc } = openMenuState;
  openMenuState = null;
  menu.remove();
  anchor.setAttribute("aria-expanded", "false");
  document.removeEventListener("mousedown", onDoc, true);
  if (restoreFocus) anchor.focus();
}

/** A pop-up menu under `anchor`: items [{label, run, danger, disabled}] or "-" separators. */
export function openMenu(anchor, items) {
  if (openMenuState && openMenuState.anchor === anchor) {
    closeMenu();
    return;
  }
  closeMenu(false);
  const menu = h("div.menu", { role: "menu" });
  for (const item of items) {
    if (item === "-") {
      menu.append(h("div.menu-sep", { role: "separator" }));
      continue;
    }
    if (!item) continue;
    menu.append(h(`button.menu-item${item.danger ? ".danger" : ""}`, {
      type: "button",
      role: "menuitem",
      disabled: item.disabled,
      tabindex: "-1",
      on: {
        click: () => {
          closeMenu(false);
          item.run();
        },
      },
    }, item.label));
  }
  document.body.append(menu);
  const rect = anchor.getBoundingClientRect();
  const width = menu.offsetWidth;
  const left = Math.max(8, Math.min(rect.right - width, window.innerWidth - width - 8));
  let top = rect.bottom + 4;
  if (top + menu.offsetHeight > window.innerHeight - 8) top = Math.max(8, rect.top - menu.offsetHeight - 4);
  menu.style.left = `${left + window.scrollX}px`;
  menu.style.top = `${top + window.scrollY}px`;
  anchor.setAttribute("aria-expanded", "true");
  const buttons = () => Array.from(menu.querySelectorAll("button:not([disabled])"));
  menu.addEventListener("keydown", (event) => {
    const list = buttons();
    const index = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      list[(index + 1) % list.length].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      list[(index - 1 + list.length) % list.length].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeMenu();
    } else if (event.key === "Tab") {
      closeMenu(false);
    }
  });
  const onDoc = (event) => {
    if (!menu.contains(event.target) && event.target !== anchor && !anchor.contains(event.target)) {
      closeMenu(false);
    }
  };
  document.addEventListener("mousedown", onDoc, true);
  openMenuState = { menu, anchor, onDoc };
  const first = buttons()[0];
  if (first) first.focus();
}

export function menuButton(label, items, extraClass = "") {
  const button = h(`button.icon-btn.more${extraClass ? "." + extraClass : ""}`, {
    type: "button",
    "aria-label": label,
    "aria-haspopup": "menu",
    "aria-expanded": "false",
    title: label,
  }, icon("more"));
  button.addEventListener("click", (event) => {
    event.preventDefault();
    event.stopPropagation();
    openMenu(button, typeof items === "function" ? items() : items);
  });
  return button;
}

/** A segmented control (radio group look) — returns {element, set(value)}. */
export function segmented(label, options, value, onChange) {
  const group = h("div.segmented", { role: "radiogroup", "aria-label": label });
  const buttons = options.map(([optionValue, text]) => {
    const button = h("button", {
      type: "button",
      role: "radio",
      "aria-checked": String(optionValue === value),
      tabindex: optionValue === value ? "0" : "-1",
      dataset: { value: optionValue },
      on: { click: () => select(optionValue, true) },
    }, text);
    return button;
  });
  const select = (next, notify) => {
    value = next;
    for (const button of buttons) {
      const on = button.dataset.value === next;
      button.setAttribute("aria-checked", String(on));
      button.tabIndex = on ? 0 : -1;
    }
    if (notify) onChange(next);
  };
  group.addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    event.preventDefault();
    const index = buttons.findIndex((b) => b.dataset.value === value);
    const next = buttons[(index + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
    select(next.dataset.value, true);
    next.focus();
  });
  group.append(...buttons);
  return { element: group, set: (next) => select(next, false) };
}

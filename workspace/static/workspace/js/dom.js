/* Small DOM helpers. Every piece of user data goes in as text (textContent, value), never as
   markup; the only HTML ever inserted is Markdown the server rendered and sanitized. */

const SVG_NS = "http://www.w3.org/2000/svg";

/** h("button.btn.primary", {type: "button", on: {click}}, "Save") */
/** A deep copy of JSON data (a draft, its rows, saved messages). */
export const clone = (value) => JSON.parse(JSON.stringify(value));

export function h(spec, props, ...children) {
  const parts = spec.match(/^[a-z0-9-]*|[.#][^.#]+/gi);
  const el = document.createElement(parts[0] || "div");
  const classes = [];
  for (const part of parts.slice(1)) {
    if (part[0] === "#") el.id = part.slice(1);
    else classes.push(part.slice(1));
  }
  if (classes.length) el.className = classes.join(" ");
  if (props instanceof Node || typeof props === "string" || Array.isArray(props)) {
    children.unshift(props);
  } else if (props) {
    applyProps(el, props);
  }
  append(el, children);
  return el;
}

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "on") {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === "class") {
      el.className = [el.className, value].filter(Boolean).join(" ");
    } else if (key === "text") {
      el.textContent = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "value" || key === "checked" || key === "disabled" || key === "hidden" ||
               key === "selected" || key === "readOnly" || key === "required" || key === "open") {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

const ICONS = {
  chevron: "M9 6l6 6-6 6",
  folder: "M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z",
  plus: "M12 5v14M5 12h14",
  more: "M5 12h.01M12 12h.01M19 12h.01",
  x: "M6 6l12 12M18 6L6 18",
  filter: "M4 5h16l-6 8v5l-4 2v-7z",
  send: "M4 12l16-8-6 16-3-6z",
  lock: "M7 11V8a5 5 0 0 1 10 0v3M6 11h12v9H6z",
  copy: "M9 9h10v10H9zM5 15V5h10",
  download: "M12 4v11m0 0l-4-4m4 4l4-4M5 19h14",
  up: "M12 19V5m0 0l-6 6m6-6l6 6",
  down: "M12 5v14m0 0l-6-6m6 6l6-6",
  dot: "M12 12h.01",
  plug: "M9 7V3m6 4V3M7 7h10v4a5 5 0 0 1-10 0zM12 16v5",
  trash: "M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13",
  undo: "M9 14L4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3",
  external: "M14 4h6v6M20 4l-9 9M18 14v5H5V6h5",
  search: "M11 18a7 7 0 1 1 0-14 7 7 0 0 1 0 14zm5-2l5 5",
  info: "M12 8h.01M11 12h1v5h1M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18z",
  wand: "M4 20L16 8m2-4l1 2 2 1-2 1-1 2-1-2-2-1 2-1z",
  arrowDown: "M12 5v14m-6-6l6 6 6-6",
  endpoint: "M4 12h4l2-5 4 10 2-5h4",
};

export function icon(name, label) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "2");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name] || ICONS.dot);
  svg.append(path);
  return svg;
}

export function formatBytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(size < 10240 ? 1 : 0)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/** Parses the API's ISO timestamps (microseconds, Z) into a Date. */
export function parseTime(iso) {
  if (!iso) return null;
  return new Date(iso.replace(/(\.\d{3})\d+/, "$1"));
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

export function clockTime(iso) {
  const date = parseTime(iso);
  if (!date || Number.isNaN(date.getTime())) return "";
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function relativeTime(iso) {
  const date = parseTime(iso);
  if (!date) return "";
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function debounce(fn, wait) {
  let timer = 0;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

export function toast(message, kind = "info", timeout = 3200) {
  const host = document.getElementById("toasts");
  if (!host) return;
  while (host.children.length >= 3) host.firstElementChild.remove();
  const item = h(`div.toast.toast-${kind}`, { role: kind === "error" ? "alert" : null }, message);
  host.append(item);
  setTimeout(() => item.classList.add("leaving"), timeout);
  setTimeout(() => item.remove(), timeout + 300);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (error) {
    const area = h("textarea.sr-only", { readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (ignored) {
      copied = false;
    }
    area.remove();
    return copied;
  }
}

export function initials(person) {
  const name = (person && (person.display_name || person.username)) || "?";
  const parts = name.trim().split(/\s+/);
  return ((parts[0] || "?")[0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

/** A stable colour class (0-7) per user id, for avatars. */
export function hueClass(id) {
  return `hue-${Math.abs(Number(id) || 0) % 8}`;
}

export function avatar(person, extra = "") {
  return h(`span.avatar.${hueClass(person.id)}${extra ? "." + extra : ""}`, {
    title: person.display_name || person.username,
    "aria-label": person.display_name || person.username,
    role: "img",
  }, initials(person));
}

export function isMac() {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

export function modKey() {
  return isMac() ? "⌘" : "Ctrl";
}

/** Base64 → Uint8Array. */
export function fromBase64(text) {
  const binary = atob(text || "");
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function hexPreview(bytes, limit = 32) {
  const shown = Array.from(bytes.slice(0, limit), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return bytes.length > limit ? `${shown} …` : shown;
}

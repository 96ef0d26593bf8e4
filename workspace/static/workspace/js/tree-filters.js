/* The sidebar's search box and filters (status, assignee, tag): what they hold, whether an
   endpoint matches them, and the filter panel's controls. */
import { h, icon, debounce } from "./dom.js";

const SELECTS = ["status", "assignee", "tag"];

export class TreeFilters {
  /** statuses: the project's statuses; me: the user; onChange() after every change;
   * onLeave(): ArrowDown in the search box (the tree takes the focus). */
  constructor({ store, statuses, me, onChange, onLeave }) {
    this.store = store;
    this.statuses = statuses;
    this.me = me;
    this.onChange = onChange;
    this.onLeave = onLeave;
    this.values = { text: "", status: "", assignee: "", tag: "" };
  }

  active() {
    const { text, status, assignee, tag } = this.values;
    return Boolean(text || status || assignee || tag);
  }

  matches(endpoint) {
    const { text, status, assignee, tag } = this.values;
    if (status && endpoint.status !== status) return false;
    if (assignee === "me" && (!endpoint.assignee || endpoint.assignee.id !== this.me.id)) return false;
    if (assignee === "none" && endpoint.assignee) return false;
    if (assignee && !["me", "none"].includes(assignee) && (!endpoint.assignee || String(endpoint.assignee.id) !== assignee)) return false;
    if (tag && !(endpoint.tags || []).some((name) => name.toLowerCase() === tag.toLowerCase())) return false;
    if (text) {
      const haystack = [endpoint.name, endpoint.url, ...(endpoint.tags || [])].join(" ").toLowerCase();
      if (!text.split(/\s+/).every((word) => haystack.includes(word))) return false;
    }
    return true;
  }

  /** Wires the search box, the filter toggle and panel, and Clear (elements of the page). */
  attach() {
    this.search = document.getElementById("tree-search");
    const apply = debounce(() => {
      this.values.text = this.search.value.trim().toLowerCase();
      this.onChange();
    }, 100);
    this.search.addEventListener("input", apply);
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.search.value) {
        this.search.value = "";
        apply();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        this.onLeave();
      }
    });
    this.toggle = document.getElementById("filter-toggle");
    this.toggle.append(icon("filter"));
    const panel = document.getElementById("filters");
    this.toggle.addEventListener("click", () => {
      panel.hidden = !panel.hidden;
      this.toggle.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) this.fillOptions();
    });
    for (const key of SELECTS) {
      document.getElementById(`filter-${key}`).addEventListener("change", (event) => {
        this.values[key] = event.target.value;
        this.updateBadge();
        this.onChange();
      });
    }
    document.getElementById("filter-clear").addEventListener("click", () => this.clear());
    this.store.on("members", () => this.fillOptions());
    this.store.on("tags", () => this.fillOptions());
  }

  clear() {
    Object.assign(this.values, { text: "", status: "", assignee: "", tag: "" });
    this.search.value = "";
    for (const key of SELECTS) document.getElementById(`filter-${key}`).value = "";
    this.updateBadge();
    this.onChange();
  }

  updateBadge() {
    const count = SELECTS.filter((key) => this.values[key]).length;
    this.toggle.classList.toggle("active", count > 0);
    this.toggle.setAttribute("aria-label", count ? `Filters (${count} on)` : "Filters");
    this.toggle.dataset.count = count ? String(count) : "";
  }

  fillOptions() {
    const status = document.getElementById("filter-status");
    if (status.options.length <= 1) {
      for (const value of this.statuses) status.append(h("option", { value }, value));
    }
    const assignee = document.getElementById("filter-assignee");
    const keep = assignee.value;
    assignee.replaceChildren(h("option", { value: "" }, "Anyone"), h("option", { value: "me" }, "Me"), h("option", { value: "none" }, "Nobody"),
      ...this.store.members.filter((m) => m.user.id !== this.me.id).map((m) => h("option", { value: m.user.id }, m.user.display_name)));
    assignee.value = keep;
    const tag = document.getElementById("filter-tag");
    const keepTag = tag.value;
    tag.replaceChildren(h("option", { value: "" }, "Any tag"), ...this.store.tags.map((t) => h("option", { value: t.name }, `${t.name} (${t.endpoint_count ?? 0})`)));
    tag.value = keepTag;
  }
}

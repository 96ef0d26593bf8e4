/* The project's start page: what is in it, and the first things to do. */
import { h, icon, modKey } from "./dom.js";
import { boot, projectId } from "./boot.js";
import { PageView, pageHead } from "./page.js";

export class HomeView extends PageView {
  constructor(main, app) {
    super(main, app);
    this.treeActions = app.treeActions;
  }

  async init() {
    this.setTitle(null);
    this.render();
    this.listen("tree", () => this.render());
    this.listen("project", () => this.render());
    return true;
  }

  description() {
    if (!boot.project.description_html) return null;
    const lead = h("div.lead.markdown");
    // Rendered and sanitized by the server's one Markdown renderer (the docs pages use it too).
    lead.innerHTML = boot.project.description_html;
    return lead;
  }

  render() {
    const counts = new Map();
    for (const endpoint of this.store.endpoints.values()) counts.set(endpoint.status, (counts.get(endpoint.status) || 0) + 1);
    const total = this.store.endpoints.size;
    const statusBar = total ? h("div.status-bar", { role: "img", "aria-label": [...counts].map(([s, n]) => `${n} ${s}`).join(", ") },
      boot.statuses.filter((s) => counts.has(s)).map((status) => {
        const part = h(`span.s-bg-${status}`, { title: `${counts.get(status)} ${status}` });
        part.style.flexGrow = String(counts.get(status));
        return part;
      })) : null;
    const legend = total ? h("ul.legend", {}, boot.statuses.filter((s) => counts.has(s)).map((status) =>
      h("li", {}, h(`span.dot.s-${status}`), `${counts.get(status)} ${status}`))) : null;
    const action = (title, text, props, glyph) => h(props.href ? "a.action-card" : "button.action-card", { type: props.href ? null : "button", ...props },
      h("span.action-icon", {}, icon(glyph)), h("span.action-title", {}, title), h("span.action-text", {}, text));
    const actions = [
      action("New request", "Connect to any ws:// or wss:// URL with headers and cookies, then save what works.", { href: `/projects/${projectId}/new/`, "data-route": "" }, "plug"),
      boot.can_write ? action("New endpoint", "Add a WebSocket endpoint to the tree and document it.", { on: { click: () => this.treeActions.newEndpoint() } }, "endpoint") : null,
      boot.can_write ? action("New folder", "Group endpoints by service or team.", { on: { click: () => this.treeActions.newFolder() } }, "folder") : null,
      action("Environments", "Variables for staging and production; your own private values.", { href: `/projects/${projectId}/environments/`, "data-route": "" }, "filter"),
      action("Share the docs", "Read-only pages for partners, with or without a password.", { href: `/projects/${projectId}/share/`, "data-route": "" }, "external"),
    ];
    this.main.replaceChildren(h("section.page.home", { "aria-labelledby": "home-title" },
      pageHead("home-title", boot.project.name, this.description()),
      h("div.home-stats", {},
        h("div.stat", {}, h("span.stat-value", {}, String(total)), h("span.stat-label", {}, total === 1 ? "endpoint" : "endpoints")),
        h("div.stat", {}, h("span.stat-value", {}, String(this.store.folders.size)), h("span.stat-label", {}, this.store.folders.size === 1 ? "folder" : "folders")),
        h("div.stat.grow", {}, statusBar, legend || h("p.muted", {}, this.store.loaded ? "No endpoints yet." : "Loading…"))),
      h("h2.section-title", {}, "Get going"),
      h("div.actions-grid", {}, actions),
      h("h2.section-title", {}, "Keyboard"),
      h("dl.shortcuts", {},
        h("dt", {}, h("kbd", {}, "/")), h("dd", {}, "Search the tree"),
        h("dt", {}, h("kbd", {}, modKey()), h("kbd", {}, "Enter")), h("dd", {}, "Send the composer's message"),
        h("dt", {}, h("kbd", {}, modKey()), h("kbd", {}, "S")), h("dd", {}, "Save the endpoint"),
        h("dt", {}, h("kbd", {}, "↑"), h("kbd", {}, "↓")), h("dd", {}, "Move in the tree and in the message log"),
        h("dt", {}, h("kbd", {}, "F2")), h("dd", {}, "Rename the focused tree item"),
        h("dt", {}, h("kbd", {}, "Esc")), h("dd", {}, "Close the message detail or a dialog"))));
  }
}

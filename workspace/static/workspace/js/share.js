/* Share links of the docs: create (whole project or chosen folders and endpoints, an
   environment, a password, an expiry), copy, open, rotate, revoke, delete; and the members'
   preview of the docs. Viewers see the list, never the URLs (the API leaves them out). */
import { api, get, describeError } from "./api.js";
import { h, icon, toast, copyText, relativeTime, parseTime } from "./dom.js";
import { confirmDialog, showFieldErrors, segmented, menuButton } from "./ui.js";
import { boot, base, projectId } from "./boot.js";
import { PageView, pageHead } from "./page.js";

export class ShareView extends PageView {
  async init() {
    this.setTitle("Share");
    this.listHost = h("div.links");
    const head = pageHead("share-title", "Share the docs",
      h("p.lead", {}, "A share link shows read-only docs pages to people without an account. Secrets and private values are never on them."),
      h("a.btn", { href: `/projects/${projectId}/docs/`, target: "_blank", rel: "noopener", id: "docs-preview" }, "Preview the docs ", icon("external")));
    this.main.replaceChildren(h("section.page", { "aria-labelledby": "share-title" },
      head,
      h("div.share-layout", {},
        boot.can_write ? this.form() : h("div.panel", {}, h("p.muted", {}, "Editors and admins create share links.")),
        h("section", { "aria-labelledby": "links-title" }, h("h2#links-title.section-title", {}, "Links"), this.listHost))));
    this.listen("environments", () => this.fillEnvironments());
    this.listen("share-links-changed", () => this.load());
    await this.store.loadEnvironments().catch(() => {});
    this.fillEnvironments();
    await this.load();
    return true;
  }

  fillEnvironments() {
    if (!this.envSelect) return;
    const chosen = this.envSelect.value;
    this.envSelect.replaceChildren(h("option", { value: "" }, "None (show {{placeholders}})"),
      ...this.store.environments.map((e) => h("option", { value: e.id }, e.name)));
    if (this.store.environments.some((e) => String(e.id) === chosen)) this.envSelect.value = chosen;
  }

  form() {
    const name = h("input#link-name", { placeholder: "e.g. Partner docs", dataset: { field: "name" }, autocomplete: "off" });
    this.envSelect = h("select#link-environment", { dataset: { field: "environment" } });
    const password = h("input#link-password", { type: "password", autocomplete: "new-password", placeholder: "Optional", dataset: { field: "password" } });
    const expires = h("input#link-expires", { type: "date", dataset: { field: "expires_at" } });
    const assignee = h("input#link-assignee", { type: "checkbox" });
    const indexable = h("input#link-public", { type: "checkbox" });
    const picker = h("div.scope-picker", { hidden: true });
    let scope = "whole";
    const scopeControl = segmented("What to share", [["whole", "Whole project"], ["part", "Selected items"]], scope, (value) => {
      scope = value;
      picker.hidden = value !== "part";
      if (value === "part") this.renderPicker(picker);
    });
    const error = h("p.form-error", { role: "alert", hidden: true });
    const form = h("form.panel.stack#share-form", { novalidate: true },
      h("h2.section-title", {}, "New link"),
      h("label", { for: "link-name" }, "Name ", h("span.optional", {}, "only members see it")), name,
      h("span.label", {}, "What to share"), scopeControl.element, picker,
      h("label", { for: "link-environment" }, "Fill variables from"), this.envSelect,
      h("p.panel-hint", {}, "Only non-secret shared values are used; secrets stay as {{placeholders}}."),
      h("div.two", {},
        h("div", {}, h("label", { for: "link-password" }, "Password"), password),
        h("div", {}, h("label", { for: "link-expires" }, "Expires"), expires)),
      h("label.check", {}, assignee, "Show the responsible person"),
      h("label.check", {}, indexable, "Let search engines index the pages"),
      error,
      h("button.btn.primary#link-create", { type: "submit" }, "Create link"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const body = {
        name: name.value.trim(),
        environment: Number(this.envSelect.value) || null,
        show_assignee: assignee.checked,
        public: indexable.checked,
      };
      if (password.value) body.password = password.value;
      if (expires.value) body.expires_at = new Date(`${expires.value}T23:59:59`).toISOString();
      if (scope === "part") {
        body.whole_project = false;
        body.folders = [...picker.querySelectorAll("input[data-folder]:checked")].map((i) => Number(i.dataset.folder));
        body.endpoints = [...picker.querySelectorAll("input[data-endpoint]:checked")].map((i) => Number(i.dataset.endpoint));
        if (!body.folders.length && !body.endpoints.length) {
          error.textContent = "Choose at least one folder or endpoint, or share the whole project.";
          error.hidden = false;
          return;
        }
      } else {
        body.whole_project = true;
      }
      if (!body.name) {
        error.textContent = "Give the link a name (only members see it).";
        error.hidden = false;
        name.focus();
        return;
      }
      try {
        const link = await api("POST", `${base}/share-links/`, { body });
        form.reset();
        scopeControl.set("whole");
        scope = "whole";
        picker.hidden = true;
        toast(`Link "${link.name}" created`, "success");
        await this.load(link.id);
      } catch (problem) {
        const unplaced = showFieldErrors(form, problem.fields);
        error.textContent = unplaced[0] || describeError(problem);
        error.hidden = false;
      }
    });
    return form;
  }

  renderPicker(host) {
    const byPosition = (a, b) => a.position - b.position || a.id - b.id;
    const walk = (parent) => {
      const folders = [...this.store.folders.values()].filter((f) => (f.parent || null) === parent).sort(byPosition);
      const endpoints = [...this.store.endpoints.values()].filter((e) => (e.folder || null) === parent).sort(byPosition);
      if (!folders.length && !endpoints.length) return null;
      return h("ul", {},
        folders.map((folder) => h("li", {}, h("label.check", {}, h("input", { type: "checkbox", dataset: { folder: folder.id } }), h("strong", {}, folder.name), h("span.muted", {}, " (with everything inside)")), walk(folder.id))),
        endpoints.map((endpoint) => h("li", {}, h("label.check", {}, h("input", { type: "checkbox", dataset: { endpoint: endpoint.id } }), h(`span.dot.s-${endpoint.status}`), endpoint.name))));
    };
    host.replaceChildren(walk(null) || h("p.muted", {}, "The project has no endpoints yet."));
  }

  async load(highlight = null) {
    let links;
    try {
      links = await get(`${base}/share-links/`);
    } catch (error) {
      this.listHost.replaceChildren(h("p.form-error", {}, describeError(error)));
      return;
    }
    if (!links.length) {
      this.listHost.replaceChildren(h("div.empty-state", {}, h("p", {}, h("strong", {}, "No share links yet.")), h("p", {}, "Create one to give partners read-only docs.")));
      return;
    }
    links.sort((a, b) => Number(b.active) - Number(a.active) || b.id - a.id);
    this.listHost.replaceChildren(h("ul.link-list", {}, links.map((link) => this.linkCard(link, link.id === highlight))));
  }

  linkCard(link, fresh) {
    const state = link.revoked ? "revoked" : link.expired ? "expired" : "active";
    const scopeText = link.whole_project ? "Whole project" :
      [link.folders.length ? `${link.folders.length} folder${link.folders.length === 1 ? "" : "s"}` : "", link.endpoints.length ? `${link.endpoints.length} endpoint${link.endpoints.length === 1 ? "" : "s"}` : ""].filter(Boolean).join(" + ");
    const facts = [
      scopeText,
      link.has_password ? "password" : null,
      link.expires_at ? `${link.expired ? "expired" : "expires"} ${parseTime(link.expires_at).toLocaleDateString()}` : null,
      `${link.view_count} view${link.view_count === 1 ? "" : "s"}${link.last_viewed_at ? `, last ${relativeTime(link.last_viewed_at)}` : ""}`,
    ].filter(Boolean);
    const urlRow = link.url && link.active ? h("div.link-url", {},
      h("input.mono", { value: link.url, readOnly: true, "aria-label": `URL of ${link.name}`, on: { focus: (event) => event.target.select() } }),
      h("button.btn.small", {
        type: "button",
        dataset: { copyLink: link.id },
        on: {
          click: async (event) => {
            const button = event.currentTarget;
            if (await copyText(link.url)) {
              button.textContent = "Copied";
              setTimeout(() => { button.textContent = "Copy"; }, 1600);
            }
          },
        },
      }, "Copy"),
      h("a.btn.small", { href: link.url, target: "_blank", rel: "noopener noreferrer", dataset: { openLink: link.id } }, "Open ", icon("external"))) :
      link.active ? h("p.muted.small", {}, "Editors and admins can copy this link.") : null;
    const menu = boot.can_write ? menuButton(`Actions for ${link.name}`, () => [
      { label: "Preview as readers see it", run: () => window.open(link.preview_url, "_blank", "noopener") },
      link.active ? { label: "Rotate (new URL, old stops)…", run: () => this.rotate(link) } : null,
      link.active ? { label: "Revoke…", danger: true, run: () => this.revoke(link) } : null,
      { label: "Delete…", danger: true, run: () => this.remove(link) },
    ].filter(Boolean)) : null;
    return h(`li.link-card${fresh ? ".fresh" : ""}`, { dataset: { linkId: link.id } },
      h("div.link-head", {},
        h("div", {}, h("h3.link-name", {}, link.name), h("p.link-facts", {}, facts.join(" · "))),
        h(`span.pill.pill-${state}`, {}, state),
        link.active && boot.can_write ? h("button.btn.small.danger-ghost", { type: "button", on: { click: () => this.revoke(link) } }, "Revoke") : null,
        menu),
      urlRow);
  }

  async revoke(link) {
    const ok = await confirmDialog({ title: `Revoke "${link.name}"?`, message: "Readers get \"not available\" at once. Revoking is final.", confirm: "Revoke link", danger: true });
    if (!ok) return;
    try {
      await api("POST", `${base}/share-links/${link.id}/revoke/`);
      toast(`Revoked "${link.name}"`);
      await this.load();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  async rotate(link) {
    const ok = await confirmDialog({ title: `Rotate "${link.name}"?`, message: "It gets a new URL; the old one stops working at once.", confirm: "Rotate" });
    if (!ok) return;
    try {
      await api("POST", `${base}/share-links/${link.id}/rotate/`);
      toast("New URL ready to copy", "success");
      await this.load(link.id);
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  async remove(link) {
    const ok = await confirmDialog({ title: `Delete "${link.name}"?`, message: "The link stops working and disappears from this list.", confirm: "Delete link", danger: true });
    if (!ok) return;
    try {
      await api("DELETE", `${base}/share-links/${link.id}/`);
      await this.load();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }
}

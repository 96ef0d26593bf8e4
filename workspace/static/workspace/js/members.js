/* Members and roles (admins change them), and the project's name and description. */
import { api, describeError } from "./api.js";
import { h, toast, avatar, relativeTime } from "./dom.js";
import { confirmDialog, showFieldErrors } from "./ui.js";
import { boot, base } from "./boot.js";
import { PageView, pageHead } from "./page.js";

const ROLES = [["admin", "Admin — everything, members too"], ["editor", "Editor — changes endpoints, variables, links"], ["viewer", "Viewer — reads, debugs, comments"]];

const article = (role) => (/^[aeiou]/.test(role) ? "an" : "a");

export class MembersView extends PageView {
  async init() {
    this.setTitle("Members");
    this.listHost = h("div.table-wrap");
    this.main.replaceChildren(h("section.page", { "aria-labelledby": "members-title" },
      pageHead("members-title", "Members",
        h("p.lead", {}, "Viewers read and debug; editors also change the tree, variables and share links; admins also manage members and the project.")),
      h("div.members-layout", {},
        h("section", { "aria-label": "Member list" }, this.listHost),
        boot.can_manage ? h("div.side-panels", {}, this.addForm(), this.projectForm()) : null)));
    this.listen("members", () => this.render());
    await this.store.loadMembers().catch((error) => this.listHost.replaceChildren(h("p.form-error", {}, describeError(error))));
    return true;
  }

  render() {
    const admins = this.store.members.filter((m) => m.role === "admin").length;
    const rows = this.store.members.map((member) => {
      const you = member.user.id === boot.me.id;
      const cell = boot.can_manage ? h("select", {
        "aria-label": `Role of ${member.user.display_name}`,
        dataset: { member: member.user.id },
        on: { change: (event) => this.changeRole(member, event.target.value, event.target) },
      }, ROLES.map(([value]) => h("option", { value, selected: value === member.role }, value))) :
        h(`span.role.role-${member.role}`, {}, member.role);
      const remove = boot.can_manage ? h("button.btn.small.danger-ghost", {
        type: "button",
        disabled: member.role === "admin" && admins === 1,
        title: member.role === "admin" && admins === 1 ? "A project keeps at least one admin" : "",
        on: { click: () => this.remove(member) },
      }, you ? "Leave" : "Remove") : null;
      return h("tr", {},
        h("td", {}, h("div.person", {}, avatar(member.user), h("div", {}, h("strong", {}, member.user.display_name, you ? " (you)" : ""), h("p.muted.small", {}, `@${member.user.username}`)))),
        h("td", {}, cell),
        h("td.muted", {}, relativeTime(member.joined_at)),
        h("td.col-actions", {}, remove));
    });
    this.listHost.replaceChildren(h("table.members", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Person"), h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Joined"), h("th.col-actions", { scope: "col" }, h("span.sr-only", {}, "Actions")))),
      h("tbody", {}, rows)));
  }

  addForm() {
    const user = h("input#member-user", { placeholder: "username", autocomplete: "off", spellcheck: "false", dataset: { field: "user" } });
    const role = h("select#member-role", { dataset: { field: "role" } }, ROLES.map(([value, label]) => h("option", { value, selected: value === "editor" }, label)));
    const error = h("p.form-error", { role: "alert", hidden: true });
    const form = h("form.panel.stack#member-form", { novalidate: true },
      h("h2.section-title", {}, "Add a member"),
      h("label", { for: "member-user" }, "Username"), user,
      h("label", { for: "member-role" }, "Role"), role,
      error,
      h("button.btn.primary#member-add", { type: "submit" }, "Add member"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      try {
        const added = await api("POST", `${base}/members/`, { body: { user: user.value.trim(), role: role.value } });
        user.value = "";
        toast(`${added.user.display_name} is now ${article(added.role)} ${added.role}`, "success");
        await this.store.loadMembers();
      } catch (problem) {
        showFieldErrors(form, problem.fields);
        error.textContent = describeError(problem);
        error.hidden = false;
      }
    });
    return form;
  }

  projectForm() {
    const name = h("input#project-name-edit", { value: boot.project.name, dataset: { field: "name" } });
    const description = h("textarea#project-description-edit", { rows: "4", dataset: { field: "description" } });
    description.value = boot.project.description || "";
    const form = h("form.panel.stack", { novalidate: true },
      h("h2.section-title", {}, "Project"),
      h("label", { for: "project-name-edit" }, "Name"), name,
      h("label", { for: "project-description-edit" }, "Description ", h("span.optional", {}, "Markdown, shown on the docs")), description,
      h("button.btn", { type: "submit" }, "Save project"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const project = await api("PATCH", `${base}/`, { body: { name: name.value, description: description.value } });
        this.store.emit("project", project);
        toast("Project saved", "success");
      } catch (problem) {
        showFieldErrors(form, problem.fields);
        toast(describeError(problem), "error");
      }
    });
    return form;
  }

  async changeRole(member, role, select) {
    try {
      await api("PATCH", `${base}/members/${member.user.id}/`, { body: { role } });
      toast(`${member.user.display_name} is now ${article(role)} ${role}`);
      await this.store.loadMembers();
    } catch (error) {
      select.value = member.role;
      toast(describeError(error), "error");
    }
  }

  async remove(member) {
    const you = member.user.id === boot.me.id;
    const ok = await confirmDialog({
      title: you ? "Leave this project?" : `Remove ${member.user.display_name}?`,
      message: you ? "You lose access at once." : "They lose access at once, and their private variable values here are deleted.",
      confirm: you ? "Leave project" : "Remove member",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `${base}/members/${member.user.id}/`);
      if (you) {
        window.location.assign("/");
        return;
      }
      await this.store.loadMembers();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }
}

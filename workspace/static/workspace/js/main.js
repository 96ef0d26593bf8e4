/* The project workspace, wired in one place: creates the project's store and its live socket,
   the sidebar tree's parts, and a small router that shows one view per path (so links, reloads
   and Back work); every view gets what it uses (the store, the socket, the tree's actions, the
   composer handover) from here, in `app`. */
import { h, toast, avatar } from "./dom.js";
import { confirmDialog, openMenu } from "./ui.js";
import { boot, base, projectId } from "./boot.js";
import { Store, ProjectSocket } from "./store.js";
import { CollapsedFolders } from "./tree-model.js";
import { TreeFilters } from "./tree-filters.js";
import { TreeView } from "./tree-view.js";
import { TreeActions } from "./tree-actions.js";
import { AsyncApiActions } from "./asyncapi.js";
import { attachTreeKeys, TreeDragAndDrop } from "./tree-keys.js";
import { RequestView } from "./request.js";
import { ComposerHandover } from "./composer.js";
import { EnvironmentsView } from "./environments.js";
import { ShareView } from "./share.js";
import { MembersView } from "./members.js";
import { SchemasView } from "./schemas.js";
import { CertificatesView } from "./certificates.js";
import { HomeView } from "./home.js";
import { ScenarioListView, ScenarioView } from "./scenarios.js";

const store = new Store({ base, me: boot.me });
const live = new ProjectSocket({ store, projectId, role: boot.role });
// The sidebar's tree: its view, search and filters, and the changes made from it.
const collapsed = new CollapsedFolders(localStorage, `sb.collapsed.${projectId}`);
const filters = new TreeFilters({
  store,
  statuses: boot.statuses,
  me: boot.me,
  onChange: () => tree.render(),
  onLeave: () => tree.focusFirst(),
});
const tree = new TreeView({
  host: document.getElementById("tree"),
  summary: document.getElementById("tree-summary"),
  store,
  collapsed,
  filters,
  me: boot.me,
  canWrite: boot.can_write,
  projectId,
  menuFor: (kind, item) => treeActions.menu(kind, item),
});
const asyncapi = new AsyncApiActions({ store, base });
const treeActions = new TreeActions({ store, tree, collapsed, filters, base, projectId, asyncapi, canWrite: boot.can_write });
const app = { store, live, treeActions, composerHandover: new ComposerHandover() };

const main = document.getElementById("main");
let view = null;
let showing = 0;

function route(path) {
  const prefix = `/projects/${projectId}/`;
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : "";
  let match;
  if ((match = rest.match(/^endpoints\/(\d+)\/$/))) return { name: "endpoint", make: () => new RequestView(main, app, { endpointId: Number(match[1]) }), endpoint: Number(match[1]) };
  if (rest === "new/") return { name: "new", make: () => new RequestView(main, app, { endpointId: null }) };
  if (rest === "environments/") return { name: "environments", make: () => new EnvironmentsView(main, app) };
  if (rest === "share/") return { name: "share", make: () => new ShareView(main, app) };
  if (rest === "scenarios/") return { name: "scenarios", make: () => new ScenarioListView(main, app) };
  if ((match = rest.match(/^scenarios\/(\d+)\/$/))) return { name: "scenarios", make: () => new ScenarioView(main, app, { scenarioId: Number(match[1]) }) };
  if (rest === "members/") return { name: "members", make: () => new MembersView(main, app) };
  if (rest === "schemas/") return { name: "schemas", make: () => new SchemasView(main, app) };
  if (rest === "certificates/") return { name: "certificates", make: () => new CertificatesView(main, app) };
  return { name: "home", make: () => new HomeView(main, app) };
}

async function show(path) {
  const ticket = ++showing;
  if (view) view.destroy();
  const target = route(path);
  view = target.make();
  tree.setCurrent(target.endpoint || null);
  document.querySelectorAll(".topnav a[data-nav]").forEach((link) => {
    if (link.dataset.nav === target.name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
  closeSidebar();
  main.replaceChildren(h("p.muted.pad", {}, "Loading…"));
  await view.init();
  if (ticket === showing && target.name !== "new") main.focus({ preventScroll: true });
}

async function navigate(url, { replace = false, force = false } = {}) {
  if (!force && view && view.isDirty && view.isDirty()) {
    const ok = await confirmDialog({
      title: "Discard unsaved changes?",
      message: (view.dirtyMessage && view.dirtyMessage()) || "This page has changes that are not saved. Leave without saving them?",
      confirm: "Discard changes",
      danger: true,
    });
    if (!ok) return;
  }
  if (replace) history.replaceState({}, "", url);
  else history.pushState({}, "", url);
  await show(new URL(url, location.href).pathname);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-route]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
window.addEventListener("popstate", () => show(location.pathname));
window.addEventListener("sb:navigate", (event) => navigate(event.detail.url, event.detail));
window.addEventListener("beforeunload", (event) => {
  if (view && view.isDirty && view.isDirty()) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// The sidebar slides in over the page on narrow screens.
const toggle = document.getElementById("tree-toggle");
const scrim = document.getElementById("scrim");
function closeSidebar() {
  document.body.classList.remove("tree-open");
  toggle.setAttribute("aria-expanded", "false");
  scrim.hidden = true;
}
toggle.addEventListener("click", () => {
  const open = !document.body.classList.contains("tree-open");
  document.body.classList.toggle("tree-open", open);
  toggle.setAttribute("aria-expanded", String(open));
  scrim.hidden = !open;
  if (open) document.getElementById("tree-search").focus();
});
scrim.addEventListener("click", closeSidebar);

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    if (window.matchMedia("(max-width: 900px)").matches && !document.body.classList.contains("tree-open")) toggle.click();
    document.getElementById("tree-search").focus();
  } else if (event.key === "Escape" && document.body.classList.contains("tree-open")) {
    closeSidebar();
    toggle.focus();
  }
});

// Live status and who else is here.
const liveStatus = document.getElementById("live-status");
const LIVE_TEXT = {
  live: "Live: teammates' changes appear as they happen",
  offline: "Offline: reconnecting…",
  connecting: "Connecting…",
};
store.on("live", ({ status, detail }) => {
  liveStatus.className = `live-dot ${status === "stopped" ? "offline" : status}`;
  const text = status === "stopped" ? `Live updates stopped: ${detail} Reload the page to try again.` : LIVE_TEXT[status];
  liveStatus.title = text;
  liveStatus.setAttribute("aria-label", text);
});
const presenceHost = document.getElementById("presence");
store.on("presence", (members) => {
  const others = members.filter((entry) => entry.user.id !== boot.me.id);
  presenceHost.replaceChildren(...others.slice(0, 5).map((entry) => avatar(entry.user, "small")));
  presenceHost.title = others.length ? `Also here: ${others.map((entry) => entry.user.display_name).join(", ")}` : "";
});
store.on("project", (project) => {
  // A live event names the project; REST (a save, a reload) also brings its description.
  boot.project.name = project.name;
  if ("description_html" in project) {
    boot.project.description = project.description;
    boot.project.description_html = project.description_html;
  }
  document.querySelector(".project-title").textContent = project.name;
});
store.on("kicked", () => {
  if (view) view.destroy();
  view = null;
  main.replaceChildren(h("div.empty-state.big", {}, h("h1", {}, "You are no longer a member of this project"), h("p", {}, h("a.btn", { href: "/" }, "Back to your projects"))));
});
store.on("live-stopped", (detail) => toast(`Live updates stopped: ${detail} Reload the page to try again.`, "error", 10000));
store.on("role", (role) => toast(`Your role here is now ${role}. Reload the page to see what it allows.`, "info", 8000));

attachTreeKeys({ tree, store, collapsed, actions: treeActions, canWrite: boot.can_write });
if (boot.can_write) new TreeDragAndDrop({ host: tree.host, store, actions: treeActions }).attach();
filters.attach();
document.getElementById("new-folder").addEventListener("click", () => treeActions.newFolder());
document.getElementById("new-endpoint").addEventListener("click", () => treeActions.newEndpoint());
const asyncapiMenu = document.getElementById("asyncapi-menu");
asyncapiMenu.addEventListener("click", () => openMenu(asyncapiMenu, asyncapi.items(null, boot.can_write)));
tree.attach();
live.start();
store.loadMembers().catch(() => {});
store.loadEnvironments().catch(() => {});
show(location.pathname);

/* What the project's pages (home, environments, share, members) have in common: the main
   element and the store, the store listeners dropped when the page goes, and the page head. */
import { h } from "./dom.js";
import { boot } from "./boot.js";

export class PageView {
  constructor(main, { store }) {
    this.main = main;
    this.store = store;
    this.off = [];
  }

  /* `handler` runs on each store change of `kind` while the page is shown. */
  listen(kind, handler) {
    this.off.push(this.store.on(kind, handler));
  }

  /* The tab's title: "<page> · <project> · Switchboard" (the project alone without a page). */
  setTitle(page) {
    document.title = [page, boot.project.name, "Switchboard"].filter(Boolean).join(" · ");
  }

  destroy() {
    this.off.forEach((off) => off());
  }
}

/* A page's head: its title (`id` is for the section's aria-labelledby), the lead under it,
   and anything beside it (a button). */
export function pageHead(id, title, lead, ...beside) {
  return h("header.page-head", {}, h("div", {}, h(`h1#${id}`, {}, title), lead), ...beside);
}

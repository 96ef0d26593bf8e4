/* An endpoint's Activity tab: its comments (Markdown with @mentions: add, resolve, reopen,
   delete) and its history (every revision, newest first, what each changed, and restoring one).
   Both over the same REST API as scripts; both refreshed by the project's live events. */
import { api, get, describeError, ApiError } from "./api.js";
import { h, icon, toast, relativeTime, avatar, modKey } from "./dom.js";
import { confirmDialog } from "./ui.js";
import { boot, base } from "./boot.js";

const SHOWN_REVISIONS = 50;
const SHOWN_VALUE = 600; // characters of an old or new value shown before "…"
const ACTION_LABELS = { created: "created it", updated: "changed", moved: "moved it", reverted: "restored" };

function valueText(value) {
  if (value === null || value === undefined || value === "") return "(empty)";
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 1);
  return text.length > SHOWN_VALUE ? `${text.slice(0, SHOWN_VALUE)}…` : text;
}

function when(iso) {
  return h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, relativeTime(iso));
}

function who(person) {
  return person ? person.display_name || person.username : "Someone";
}

export class ActivityPanel {
  /**
   * endpointId: the endpoint; version(): the version the editor holds (a restore is checked
   * against it); isDirty(): unsaved edits that a restore would replace; onRestored(endpoint):
   * the editor takes the restored endpoint; onCount(open): open comments; writing(+1 / -1):
   * a write of the endpoint starts or ends (its own live event may arrive before its answer).
   */
  constructor({ endpointId, version, isDirty, onRestored, onCount, writing }) {
    this.endpointId = endpointId;
    this.version = version;
    this.isDirty = isDirty;
    this.onRestored = onRestored;
    this.onCount = onCount;
    this.writing = writing;
    this.historyLoaded = false; // read when the tab is first opened; comments at once
    this.path = `${base}/endpoints/${endpointId}`;

    this.commentList = h("ol.comment-list", { "aria-label": "Comments" });
    this.commentInput = h("textarea#comment-body", {
      rows: "3",
      maxlength: "10000",
      placeholder: "Write a comment (Markdown; @username mentions a member)",
      "aria-keyshortcuts": "Control+Enter Meta+Enter",
    });
    this.commentInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.post();
      }
    });
    this.commentError = h("p.form-error", { role: "alert", hidden: true });
    this.postButton = h("button.btn.primary.small#comment-post", { type: "button", title: `Comment (${modKey()}+Enter)`, on: { click: () => this.post() } }, "Comment");
    this.showResolved = h("input#comments-resolved", { type: "checkbox", on: { change: () => this.renderComments() } });
    this.historyList = h("ol.revision-list", { "aria-label": "History" });
    this.historyNote = h("p.muted.small", { hidden: true });
    this.comments = [];

    this.element = h("div.activity", {},
      h("section.activity-col", { "aria-labelledby": "comments-title" },
        h("div.activity-head", {},
          h("h3#comments-title", {}, "Comments"),
          h("label.check", { for: "comments-resolved" }, this.showResolved, " Show resolved")),
        this.commentList,
        h("label.sr-only", { for: "comment-body" }, "New comment"),
        this.commentInput,
        h("div.comment-actions", {}, this.commentError, this.postButton)),
      h("section.activity-col", { "aria-labelledby": "history-title" },
        h("div.activity-head", {}, h("h3#history-title", {}, "History")),
        this.historyList,
        this.historyNote));
  }

  /** The tab was opened: its history is read now (the comments are already, for the count). */
  async open() {
    this.historyLoaded = true;
    await this.loadHistory();
  }

  // --- comments ------------------------------------------------------------------------------

  async loadComments() {
    try {
      const data = await get(`${this.path}/comments/`, { page_size: 500 });
      this.comments = data.results;
      this.renderComments();
    } catch (error) {
      this.commentList.replaceChildren(h("li.muted", {}, describeError(error)));
    }
  }

  renderComments() {
    const open = this.comments.filter((c) => !c.resolved);
    if (this.onCount) this.onCount(open.length);
    const shown = this.showResolved.checked ? this.comments : open;
    const hidden = this.comments.length - shown.length;
    const items = shown.map((comment) => this.commentItem(comment));
    if (!items.length) {
      items.push(h("li.muted.empty-note", {}, hidden ? `No open comments (${hidden} resolved).` : "No comments yet."));
    }
    this.commentList.replaceChildren(...items);
  }

  commentItem(comment) {
    const mine = comment.author && comment.author.id === boot.me.id;
    const role = boot.role;
    const canResolve = mine || role === "admin" || role === "editor";
    const canDelete = mine || role === "admin";
    const body = h("div.comment-body.markdown");
    // Rendered and sanitized by the server's one Markdown renderer (the docs pages use it too).
    body.innerHTML = comment.body_html;
    const actions = h("div.comment-tools", {},
      canResolve ? h("button.btn.small.ghost", {
        type: "button",
        on: { click: () => this.setResolved(comment, !comment.resolved) },
      }, comment.resolved ? "Reopen" : "Resolve") : null,
      canDelete ? h("button.btn.small.ghost.danger", {
        type: "button",
        "aria-label": `Delete the comment of ${who(comment.author)}`,
        on: { click: () => this.remove(comment) },
      }, icon("trash"), "Delete") : null);
    return h(`li.comment${comment.resolved ? ".resolved" : ""}`, { dataset: { commentId: String(comment.id) } },
      h("div.comment-head", {},
        comment.author ? avatar(comment.author, "small") : null,
        h("strong", {}, who(comment.author)),
        when(comment.created_at),
        comment.resolved ? h("span.pill", { title: `Resolved by ${who(comment.resolved_by)}` }, "resolved") : null),
      body,
      actions);
  }

  async post() {
    const text = this.commentInput.value.trim();
    this.commentError.hidden = true;
    if (!text) {
      this.commentInput.focus();
      return;
    }
    this.postButton.disabled = true;
    try {
      await api("POST", `${this.path}/comments/`, { body: { body: text } });
      this.commentInput.value = "";
      await this.loadComments();
    } catch (error) {
      this.commentError.textContent = describeError(error);
      this.commentError.hidden = false;
    } finally {
      this.postButton.disabled = false;
    }
  }

  async setResolved(comment, resolved) {
    try {
      await api("POST", `${this.path}/comments/${comment.id}/${resolved ? "resolve" : "reopen"}/`, { body: {} });
      await this.loadComments();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  async remove(comment) {
    const sure = await confirmDialog({ title: "Delete this comment?", message: "It is gone for everyone.", confirm: "Delete", danger: true });
    if (!sure) return;
    try {
      await api("DELETE", `${this.path}/comments/${comment.id}/`);
      await this.loadComments();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  // --- history -------------------------------------------------------------------------------

  async loadHistory() {
    try {
      const data = await get(`${this.path}/history/`, { page_size: SHOWN_REVISIONS });
      this.historyList.replaceChildren(...data.results.map((revision) => this.revisionItem(revision)));
      this.historyNote.hidden = data.count <= data.results.length;
      this.historyNote.textContent = `The latest ${data.results.length} of ${data.count} changes.`;
    } catch (error) {
      this.historyList.replaceChildren(h("li.muted", {}, describeError(error)));
    }
  }

  revisionItem(revision) {
    const fields = revision.changes.map((change) => change.field);
    const current = revision.version === this.version();
    const summary = h("summary", {},
      h("span.rev-version", {}, `v${revision.version}`),
      h("span.rev-what", {}, `${who(revision.actor)} ${ACTION_LABELS[revision.action] || revision.action}`,
        revision.action === "updated" || revision.action === "reverted" ? ` ${fields.join(", ")}` : ""),
      when(revision.created_at),
      current ? h("span.pill", {}, "current") : null);
    const changes = h("dl.rev-changes", {},
      revision.changes.flatMap((change) => [
        h("dt", {}, change.field),
        h("dd", {},
          revision.action === "created" ? null : h("del", {}, valueText(change.old)),
          h("ins", {}, valueText(change.new))),
      ]));
    const restore = boot.can_write && !current
      ? h("button.btn.small", { type: "button", on: { click: () => this.restore(revision) } }, icon("undo"), `Restore v${revision.version}`)
      : null;
    return h("li.revision", { dataset: { version: String(revision.version) } },
      h("details", {}, summary, changes, restore ? h("div.rev-tools", {}, restore) : null));
  }

  async restore(revision) {
    const dirty = this.isDirty();
    const sure = await confirmDialog({
      title: `Restore version ${revision.version}?`,
      message: `The endpoint becomes as it was after version ${revision.version}, as a new change; nothing in its history is lost.${dirty ? " Your unsaved edits will be discarded." : ""}`,
      confirm: "Restore",
    });
    if (!sure) return;
    this.writing(1);
    try {
      const endpoint = await api("POST", `${this.path}/history/${revision.id}/revert/`, { body: {}, version: this.version() })
        .finally(() => this.writing(-1));
      this.onRestored(endpoint);
      toast(`Restored version ${revision.version} · now version ${endpoint.version}`, "success");
    } catch (error) {
      if (error instanceof ApiError && error.code === "version_conflict") {
        toast("Someone changed this endpoint meanwhile: reload it, then restore again.", "error");
      } else {
        toast(describeError(error), "error");
      }
    }
    await this.loadHistory();
  }
}

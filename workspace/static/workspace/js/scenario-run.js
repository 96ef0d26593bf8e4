/* A scenario's runs: the live view of one run (read again every 400 ms until it ends; its steps
   turn green, red, orange or grey as they go; a step's assertions, frames and extracted values
   beside the list), and the list of its past runs (docs/scenarios.md "Runs"). */
import { get, describeError } from "./api.js";
import { h, icon, relativeTime, clockTime } from "./dom.js";
import { base, boot } from "./boot.js";
import { highlightJson } from "./detail.js";

const POLL_MS = 400;
const FINISHED = new Set(["passed", "failed", "error"]);
const STATUS_TEXT = { queued: "queued", running: "running", passed: "passed", failed: "failed", error: "error", skipped: "skipped" };

export function statusBadge(status) {
  return h(`span.run-status.st-${status}`, {}, STATUS_TEXT[status] || status);
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 10) return `${Number(ms).toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

function shown(value) {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A frame's payload: JSON pretty-printed and coloured, other text as it is, binary as hex. */
function framePayload(frame) {
  if (frame.text !== null && frame.text !== undefined) {
    try {
      const pretty = JSON.stringify(JSON.parse(frame.text), null, 2);
      return h("pre.detail-pre.view-json", { tabindex: "0", "aria-label": "Frame content (JSON)" }, highlightJson(pretty));
    } catch (error) {
      return h("pre.detail-pre", { tabindex: "0", "aria-label": "Frame content (text)" }, frame.text);
    }
  }
  return h("pre.detail-pre", { tabindex: "0", "aria-label": "Frame content (hex)" }, frame.hex || "(empty)");
}

/** A run's sessions belong to the member who started it: only they can open the logs. */
function ownRun(run) {
  return Boolean(run.started_by && run.started_by.id === boot.me.id);
}

function frameBlock(frame, heading, own) {
  const facts = [`${frame.alias}`, `session ${frame.session}`, `#${frame.seq}`];
  if (frame.message) facts.push(frame.message);
  if (frame.contract) facts.push(frame.contract);
  return h("section.run-frame", {},
    h("h4", {}, heading),
    h("p.run-frame-meta", {}, facts.join(" · "), " ",
      own ? h("a.muted-link", {
        href: `/api/v1/sessions/${frame.session}/events/${frame.seq}/`,
        target: "_blank",
        rel: "noopener",
        title: "The stored frame in the session's log",
      }, "in the session log ", icon("external")) : null),
    framePayload(frame));
}

export class RunView {
  /** onFinished(run): the run ended (the past runs are read again). */
  constructor({ onFinished }) {
    this.onFinished = onFinished;
    this.run = null;
    this.iteration = 0;
    this.selected = null;
    this.timer = 0;
    this.ticket = 0;
    this.element = h("section.run-view", { "aria-label": "Run" });
  }

  destroy() {
    clearTimeout(this.timer);
    this.ticket += 1;
  }

  /** Shows `run` (as POST or GET answered it) and follows it until it ends. */
  show(run) {
    this.destroy();
    this.run = run;
    this.iteration = 0;
    this.selected = null;
    this.render();
    this.follow(this.ticket);
  }

  async open(runId) {
    this.destroy();
    const ticket = this.ticket;
    this.element.replaceChildren(h("p.muted.pad", {}, "Loading the run…"));
    try {
      const run = await get(`${base}/runs/${runId}/`);
      if (ticket === this.ticket) this.show(run);
    } catch (error) {
      if (ticket === this.ticket) this.element.replaceChildren(h("p.form-error", { role: "alert" }, describeError(error)));
    }
  }

  follow(ticket) {
    if (FINISHED.has(this.run.status)) return;
    this.timer = setTimeout(async () => {
      if (ticket !== this.ticket) return;
      let run;
      try {
        run = await get(`${base}/runs/${this.run.id}/`);
      } catch (error) {
        // A dropped request: try again at the next tick (the run goes on on the server).
        if (ticket === this.ticket) this.follow(ticket);
        return;
      }
      if (ticket !== this.ticket) return;
      this.run = run;
      this.render();
      if (FINISHED.has(run.status)) this.onFinished(run);
      else this.follow(ticket);
    }, POLL_MS);
  }

  render() {
    const run = this.run;
    const iterations = run.iterations || [];
    if (this.iteration >= iterations.length) this.iteration = Math.max(0, iterations.length - 1);
    const counts = run.counts || {};
    const head = h("header.run-head", {},
      h("div.run-title", {},
        h("h2", {}, `Run #${run.id}`), statusBadge(run.status),
        FINISHED.has(run.status) ? null : h("span.run-live.muted", {}, "live")),
      h("p.run-meta.muted", {},
        [run.started_by ? `by ${run.started_by.display_name}` : null,
          run.created_at ? `${relativeTime(run.created_at)} (${clockTime(run.created_at)})` : null,
          run.duration_ms !== null && run.duration_ms !== undefined ? duration(run.duration_ms) : null,
          `version ${run.scenario_version}`,
        ].filter(Boolean).join(" · ")),
      h("p.run-counts", { "aria-label": "Steps by status" },
        ["passed", "failed", "error", "skipped"].filter((key) => counts[key] && (key !== "skipped" || FINISHED.has(run.status))).map((key) => h(`span.count.st-${key}`, {}, `${counts[key]} ${key}`))));
    const parts = [head];
    if (run.error) parts.push(h("p.notice.bad", { role: "alert" }, run.error));
    if (iterations.length > 1) parts.push(this.iterationTabs(iterations));
    const iteration = iterations[this.iteration];
    if (!iteration) {
      parts.push(h("p.muted.pad", {}, run.status === "queued" ? "Waiting for a relay to take the run…" : "Starting…"));
    } else {
      if (iteration.row) {
        parts.push(h("p.run-row", {}, h("span.muted", {}, "Row values: "),
          Object.entries(iteration.row).map(([name, value]) => h("code.var-chip", {}, `${name}=${shown(value)}`))));
      }
      const steps = iteration.steps || [];
      if (this.selected === null) {
        const first = steps.find((step) => step.status === "failed" || step.status === "error");
        if (first && FINISHED.has(run.status)) this.selected = first.index;
      }
      // While the iteration goes on, the steps it has not reached yet are pending, not skipped.
      const going = !FINISHED.has(run.status) && !FINISHED.has(iteration.status);
      const list = h("ol.run-steps", { "aria-label": `Steps of iteration ${this.iteration + 1}` }, steps.map((step) => {
        const status = going && step.status === "skipped" ? "pending" : step.status;
        const timed = status !== "skipped" && status !== "pending" && status !== "running";
        return h("li", {}, h(`button.run-step.st-${status}`, {
          type: "button",
          "aria-pressed": String(step.index === this.selected),
          "aria-label": `Step ${step.index + 1}: ${step.title}: ${status}${timed ? `, ${duration(step.duration_ms)}` : ""}`,
          dataset: { index: String(step.index), status },
          on: { click: () => { this.selected = step.index; this.render(); } },
        },
        h("span.run-dot", { "aria-hidden": "true" }),
        h("span.step-num", {}, String(step.index + 1)),
        h("span.run-step-title", {}, step.title),
        h("span.run-step-status", {}, status),
        h("span.run-step-time.muted", {}, timed ? duration(step.duration_ms) : ""),
        step.message ? h("span.run-step-msg", {}, step.message) : null));
      }));
      const chosen = steps.find((step) => step.index === this.selected);
      parts.push(h("div.run-split", {}, list, chosen ? this.stepDetail(chosen) : h("aside.run-detail.muted", {}, "Choose a step to see its assertions and frames.")));
    }
    parts.push(this.sessionList(run));
    const focused = document.activeElement && this.element.contains(document.activeElement) ? document.activeElement : null;
    const refocus = focused && focused.dataset.index ? `.run-step[data-index="${focused.dataset.index}"]` : focused && focused.dataset.iteration ? `[data-iteration="${focused.dataset.iteration}"]` : null;
    this.element.replaceChildren(...parts);
    if (refocus) this.element.querySelector(refocus)?.focus();
  }

  iterationTabs(iterations) {
    return h("div.tabs.run-iterations", { role: "tablist", "aria-label": "Iterations (data rows)" },
      iterations.map((iteration, index) => h("button.tab", {
        type: "button",
        role: "tab",
        "aria-selected": String(index === this.iteration),
        tabindex: index === this.iteration ? "0" : "-1",
        dataset: { iteration: String(index) },
        on: {
          click: () => { this.iteration = index; this.selected = null; this.render(); },
          keydown: (event) => {
            if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
            event.preventDefault();
            this.iteration = (index + (event.key === "ArrowRight" ? 1 : -1) + iterations.length) % iterations.length;
            this.selected = null;
            this.render();
            this.element.querySelector(`[data-iteration="${this.iteration}"]`)?.focus();
          },
        },
      }, h("span", {}, `Row ${index + 1}`), statusBadge(iteration.status))));
  }

  stepDetail(step) {
    const parts = [h("h3", {}, `Step ${step.index + 1}: ${step.title}`),
      h("p.muted", {}, statusBadge(step.status), " ", duration(step.duration_ms))];
    if (step.message) parts.push(h(`p.notice${step.status === "passed" ? "" : ".bad"}`, {}, step.message));
    if (step.assertions && step.assertions.length) {
      parts.push(h("div.table-wrap", {}, h("table.run-assertions", { "aria-label": "Assertions" },
        h("thead", {}, h("tr", {}, ["", "Assertion", "Expected", "Actual", "Reason"].map((text) => h("th", { scope: "col" }, text)))),
        h("tbody", {}, step.assertions.map((assertion) => h(`tr.${assertion.passed ? "ok" : "bad"}`, {},
          h("td.verdict", {}, h("span", { "aria-hidden": "true" }, assertion.passed ? "✓" : "✗"), h("span.sr-only", {}, assertion.passed ? "holds" : "fails")),
          h("td", {}, assertion.summary),
          h("td.mono.expected", {}, shown(assertion.expected)),
          h("td.mono.actual", {}, shown(assertion.actual)),
          h("td", {}, assertion.reason || "")))))));
    }
    if (step.extracted && Object.keys(step.extracted).length) {
      parts.push(h("section.run-extracted", {}, h("h4", {}, "Extracted"),
        h("dl.facts", {}, Object.entries(step.extracted).flatMap(([name, value]) => [h("dt", {}, `{{${name}}}`), h("dd.mono", {}, shown(value))]))));
    }
    if (step.frame) {
      const heading = step.kind === "extract" ? "From the frame" : step.status === "passed" ? "The frame that satisfied it" : "The frame it checked";
      parts.push(frameBlock(step.frame, heading, ownRun(this.run)));
    }
    if (step.frames_seen && step.frames_seen.length) {
      parts.push(h("h4", {}, `Frames seen (the last ${step.frames_seen.length})`));
      step.frames_seen.forEach((frame, index) => parts.push(frameBlock(frame, `Frame ${index + 1}`, ownRun(this.run))));
    }
    return h("aside.run-detail", { "aria-label": `Step ${step.index + 1} details` }, parts);
  }

  sessionList(run) {
    if (!run.sessions || !run.sessions.length) return null;
    const own = ownRun(run);
    return h("section.run-sessions", {}, h("h4", {}, "Debug sessions of this run"),
      own ? null : h("p.muted.small", {}, `They belong to ${run.started_by ? run.started_by.display_name : "the member who ran it"}; every member reads their logs through the run.`),
      h("ul", {}, run.sessions.map((item) => h("li", {},
        h("code", {}, item.alias), ` · row ${item.iteration + 1} · `,
        h("a.muted-link", {
          href: `/api/v1/projects/${run.project}/runs/${run.id}/sessions/${item.session}/events/`,
          target: "_blank",
          rel: "noopener",
        }, `session ${item.session} log `, icon("external"))))));
  }
}

/** The scenario's past runs, newest first; `onOpen(runId)`. */
export function runList(runs, currentId, onOpen) {
  if (!runs.length) return h("p.muted.pad", {}, "No runs yet.");
  return h("ol.run-list", { "aria-label": "Past runs" }, runs.map((run) => h("li", {},
    h("button.run-item", {
      type: "button",
      "aria-current": run.id === currentId ? "true" : null,
      "aria-label": `Run #${run.id}: ${run.status}`,
      dataset: { run: String(run.id) },
      on: { click: () => onOpen(run.id) },
    },
    h("span.run-item-top", {}, h("strong", {}, `#${run.id}`), statusBadge(run.status)),
    h("span.run-item-meta.muted", {}, [run.started_by ? run.started_by.display_name : "", relativeTime(run.created_at), duration(run.duration_ms)].filter(Boolean).join(" · "))))));
}

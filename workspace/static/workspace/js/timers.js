/* The timers panel under the composer: repeat the composer's message every N ms, N times or
   until stopped, and the running timers of the session with a Stop button each
   (docs/debug-sessions.md "Repeating messages"). The relay runs them; this lists them again
   whenever a timer entry reaches the log. */
import { api, describeError } from "./api.js";
import { h, toast } from "./dom.js";

export class TimersPanel {
  /** debug: the DebugSession; message(): the composer's {format, body}. */
  constructor({ debug, message }) {
    this.debug = debug;
    this.message = message;
    this.open = false;
    this.interval = h("input#timer-interval", { type: "number", min: "1", step: "1", value: "1000", inputmode: "numeric", "aria-label": "Interval in milliseconds" });
    this.count = h("input#timer-count", { type: "number", min: "1", step: "1", placeholder: "until stopped", inputmode: "numeric", "aria-label": "How many sends (empty: until stopped)" });
    this.startButton = h("button.btn.small#timer-start", { type: "button", disabled: true, on: { click: () => this.start() } }, "Repeat");
    this.list = h("ul.timer-list", { "aria-label": "Running timers" });
    this.element = h("details.timers", {},
      h("summary", {}, "Repeat this message", h("span.timer-count", {})),
      h("div.timer-form", {},
        h("label", { for: "timer-interval" }, "every"), this.interval, h("span.unit", {}, "ms"),
        h("label", { for: "timer-count" }, "times"), this.count,
        this.startButton),
      this.list);
  }

  setOpen(open) {
    this.open = open;
    this.startButton.disabled = !open;
    if (!open) this.render([]);
    else this.refresh();
  }

  /** Timer entries of the log (started, finished, stopped, ended) change the list. */
  onEvents(events) {
    if (this.open && events.some((event) => event.kind === "timer")) this.refresh();
  }

  url(suffix = "") {
    return `/api/v1/sessions/${this.debug.session.id}/timers/${suffix}`;
  }

  async refresh() {
    if (!this.debug.session) return;
    try {
      const result = await api("GET", this.url());
      this.render(result.results);
    } catch (error) {
      this.render([]);
    }
  }

  async start() {
    const body = { ...this.message(), interval_ms: Number(this.interval.value) };
    if (this.count.value) body.count = Number(this.count.value);
    this.startButton.disabled = true;
    try {
      await api("POST", this.url(), { body });
      await this.refresh();
    } catch (error) {
      toast(describeError(error), "error");
    } finally {
      this.startButton.disabled = !this.open;
    }
  }

  async stop(id) {
    try {
      await api("DELETE", this.url(`${id}/`));
    } catch (error) {
      toast(describeError(error), "error");
    }
    await this.refresh();
  }

  render(timers) {
    this.element.querySelector(".timer-count").textContent = timers.length ? ` (${timers.length} running)` : "";
    this.list.replaceChildren(...timers.map((timer) => h("li.timer", { dataset: { timer: timer.id } },
      h("span", {}, `#${timer.id}${timer.name ? ` ${timer.name}` : ""}: every ${timer.interval_ms} ms, ${timer.sent}${timer.count ? ` of ${timer.count}` : ""} sent`),
      h("button.btn.small.ghost", { type: "button", on: { click: () => this.stop(timer.id) } }, "Stop"))));
  }
}

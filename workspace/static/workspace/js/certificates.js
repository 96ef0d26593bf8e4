/* The project's connection auth page: the project-wide Auth tab every endpoint inherits, and the
   client certificates presented to wss:// upstreams (mutual TLS). Members read both; admins
   change them. A certificate's chain and key go up once and never come back: the list shows
   its pattern, subject, issuer, expiry and fingerprint. */
import { api, describeError } from "./api.js";
import { h, toast, relativeTime } from "./dom.js";
import { confirmDialog, showFieldErrors } from "./ui.js";
import { boot, base } from "./boot.js";
import { PageView, pageHead } from "./page.js";
import { authSummary, editAuthDialog } from "./auth-panel.js";

const readFile = (input) => (input.files && input.files[0] ? input.files[0].text() : Promise.resolve(""));

export class CertificatesView extends PageView {
  async init() {
    this.setTitle("Auth & certificates");
    this.authHost = h("div.panel.stack#project-auth");
    this.listHost = h("div.table-wrap#certificates");
    this.main.replaceChildren(h("section.page", { "aria-labelledby": "certificates-title" },
      pageHead("certificates-title", "Auth & certificates",
        h("p.lead", {}, "How connections prove who they are: credentials in the handshake, inherited by every endpoint unless a folder or the endpoint sets its own, and client certificates for servers that require mutual TLS.")),
      h("h2.section-title", {}, "Project auth"),
      this.authHost,
      h("h2.section-title", {}, "Client certificates"),
      h("p.muted", {}, "Presented in the TLS handshake of wss:// connections whose host matches the pattern (the most specific one wins). Members see them; admins add and remove them."),
      h("div.members-layout", {},
        h("section", { "aria-label": "Client certificates" }, this.listHost),
        boot.can_manage ? h("div.side-panels", {}, this.uploadForm()) : null)));
    this.renderAuth();
    await this.load();
    return true;
  }

  renderAuth() {
    const auth = boot.project.auth || { type: "none" };
    const edit = boot.can_manage ? h("button.btn.small#project-auth-edit", {
      type: "button",
      on: { click: () => this.editAuth() },
    }, "Change…") : null;
    this.authHost.replaceChildren(
      h("p", {}, h("strong#project-auth-summary", {}, authSummary(auth)),
        auth.type !== "none" ? h("span.muted", {}, " — sent by every endpoint that inherits it") : null),
      boot.can_manage ? null : h("p.muted.small", {}, "Admins change the project's auth."),
      edit);
  }

  async editAuth() {
    const saved = await editAuthDialog({ title: "Project auth", url: `${base}/`, auth: boot.project.auth, top: true });
    if (!saved) return;
    boot.project.auth = saved.auth;
    this.renderAuth();
    toast("Project auth saved", "success");
  }

  async load() {
    try {
      this.certificates = await api("GET", `${base}/client-certificates/`);
    } catch (error) {
      this.listHost.replaceChildren(h("p.form-error", {}, describeError(error)));
      return;
    }
    this.render();
  }

  render() {
    if (!this.certificates.length) {
      this.listHost.replaceChildren(h("p.muted.pad", {}, "No client certificates yet."));
      return;
    }
    const now = Date.now();
    const rows = this.certificates.map((certificate) => {
      const expired = new Date(certificate.not_after).getTime() < now;
      return h("tr", { dataset: { certificate: certificate.id } },
        h("td", {}, h("code", {}, certificate.host_pattern), certificate.name ? h("p.muted.small", {}, certificate.name) : null),
        h("td", {}, h("span", {}, certificate.subject), h("p.muted.small", {}, `issued by ${certificate.issuer}`)),
        h("td", {}, h(expired ? "span.form-error" : "span", {}, expired ? "expired " : "", new Date(certificate.not_after).toISOString().slice(0, 10)),
          h("p.muted.small", {}, `added ${relativeTime(certificate.created_at)}`)),
        h("td", {}, h("code.small.fingerprint", { title: certificate.fingerprint }, certificate.fingerprint.slice(0, 23) + "…")),
        h("td.col-actions", {}, boot.can_manage ? h("button.btn.small.danger-ghost", {
          type: "button",
          on: { click: () => this.remove(certificate) },
        }, "Remove") : null));
    });
    this.listHost.replaceChildren(h("table.members.certificates", {},
      h("thead", {}, h("tr", {}, ...["Host pattern", "Subject", "Expires", "SHA-256"].map((label) => h("th", { scope: "col" }, label)),
        h("th.col-actions", { scope: "col" }, h("span.sr-only", {}, "Actions")))),
      h("tbody", {}, rows)));
  }

  async remove(certificate) {
    const ok = await confirmDialog({
      title: "Remove this certificate?",
      message: `Connections to ${certificate.host_pattern} will no longer present it.`,
      confirm: "Remove",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `${base}/client-certificates/${certificate.id}/`);
      toast("Certificate removed", "success");
      await this.load();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  uploadForm() {
    const field = (tag, id, label, attrs = {}) => {
      const element = h(`${tag}#${id}`, { autocomplete: "off", spellcheck: "false", ...attrs });
      return [h("label", { for: id }, label), element];
    };
    const [patternLabel, pattern] = field("input", "cert-pattern", "Host pattern", { placeholder: "*.example.com or api.example.com:8443", dataset: { field: "host_pattern" } });
    const [nameLabel, name] = field("input", "cert-name", "Name (optional)", { dataset: { field: "name" } });
    const [certLabel, certificate] = field("textarea", "cert-pem", "Certificate chain (PEM)", { rows: "4", placeholder: "-----BEGIN CERTIFICATE-----", dataset: { field: "certificate" } });
    const [keyLabel, key] = field("textarea", "cert-key", "Private key (PEM)", { rows: "4", placeholder: "-----BEGIN PRIVATE KEY-----", dataset: { field: "private_key" } });
    const [passLabel, passphrase] = field("input", "cert-passphrase", "Passphrase (if the key is encrypted)", { type: "password", dataset: { field: "passphrase" } });
    const certFile = h("input#cert-file", { type: "file", accept: ".pem,.crt,.cer" });
    const keyFile = h("input#key-file", { type: "file", accept: ".pem,.key" });
    certFile.addEventListener("change", async () => { certificate.value = await readFile(certFile); });
    keyFile.addEventListener("change", async () => { key.value = await readFile(keyFile); });
    const error = h("p.form-error", { role: "alert", hidden: true });
    const form = h("form.panel.stack#certificate-form", { novalidate: true },
      h("h2.section-title", {}, "Add a certificate"),
      patternLabel, pattern, nameLabel, name,
      certLabel, certificate, h("label.small", { for: "cert-file" }, "or a file"), certFile,
      keyLabel, key, h("label.small", { for: "key-file" }, "or a file"), keyFile,
      passLabel, passphrase, error,
      h("button.btn.primary#certificate-add", { type: "submit" }, "Add certificate"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      showFieldErrors(form, {});
      try {
        await api("POST", `${base}/client-certificates/`, {
          body: {
            host_pattern: pattern.value.trim(),
            name: name.value.trim(),
            certificate: certificate.value,
            private_key: key.value,
            passphrase: passphrase.value,
          },
        });
        form.reset();
        toast("Certificate added", "success");
        await this.load();
      } catch (problem) {
        error.textContent = describeError(problem);
        error.hidden = false;
        showFieldErrors(form, problem.fields);
      }
    });
    return form;
  }
}

/* The projects page: create a project through the REST API, then open it. */
import { api, describeError } from "./api.js";

const form = document.getElementById("new-project");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".form-error");
    const button = form.querySelector("button[type=submit]");
    const name = form.elements.name.value.trim();
    error.hidden = true;
    if (!name) {
      error.textContent = "Give the project a name.";
      error.hidden = false;
      form.elements.name.focus();
      return;
    }
    button.disabled = true;
    try {
      const project = await api("POST", "/api/v1/projects/", {
        body: { name, description: form.elements.description.value },
      });
      window.location.assign(`/projects/${project.id}/`);
    } catch (problem) {
      error.textContent = describeError(problem);
      error.hidden = false;
      button.disabled = false;
    }
  });
}

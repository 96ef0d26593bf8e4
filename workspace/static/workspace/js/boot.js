/* What the project page was served with (its `boot` JSON): the project, who you are, your role,
   the statuses and formats. Constants of the page; the state lives in the store (store.js). */

export const boot = JSON.parse(document.getElementById("boot").textContent);
export const projectId = boot.project.id;
export const base = `/api/v1/projects/${projectId}`;

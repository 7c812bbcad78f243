// My calendar and the week's calendar part: a task list shows only the chosen project's tasks.
// Plain JS, no build step; the server checks the task belongs to the project anyway.
(function () {
  "use strict";
  function link(project, task) {
    function apply() {
      const chosen = project.value;
      task.querySelectorAll("option[data-project]").forEach(function (option) {
        const fits = !chosen || option.dataset.project === chosen;
        option.hidden = !fits;
        if (!fits && option.selected) task.value = "";
      });
    }
    project.addEventListener("change", apply);
    apply();
  }
  function connect() {
    document.querySelectorAll(".tb-cal-sugg, .tb-cal-rule-form").forEach(function (row) {
      const project = row.querySelector("select[name=project]");
      const task = row.querySelector("select[name=task]");
      if (project && task) link(project, task);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();

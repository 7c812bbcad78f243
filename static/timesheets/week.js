// My week: live totals, one more row, tasks of the chosen project, the running clock.
// Plain JS, no build step; the server recomputes and checks everything on save.
(function () {
  "use strict";
  const root = document.getElementById("tb-week");
  if (!root) return;
  const decimal = root.dataset.decimal || ",";

  function clock(text) {
    const m = /^(\d{1,2})(?:[:.](\d{2})|(\d{2}))?$/.exec(text.trim());
    if (!m) return null;
    const h = +m[1], min = +(m[2] || m[3] || 0);
    if (h > 24 || min > 59) return null;
    return h * 60 + min;
  }

  // "7,5" / "7.5" / "7:30" / "08:00-15:30" → hours (NaN when it cannot be read).
  function hours(text) {
    text = (text || "").trim().toLowerCase().replace(/[ht]$/, "").trim();
    if (!text) return 0;
    const range = /^(.+?)\s*[-–—]\s*(.+)$/.exec(text);
    if (range && text[0] !== "-") {
      const a = clock(range[1]), b = clock(range[2]);
      return a === null || b === null || b <= a ? NaN : (b - a) / 60;
    }
    const hm = /^(\d{1,2}):(\d{2})$/.exec(text);
    if (hm) return +hm[2] > 59 ? NaN : +hm[1] + +hm[2] / 60;
    if (!/^\d*[.,]?\d*$/.test(text)) return NaN;
    const n = parseFloat(text.replace(",", "."));
    return isNaN(n) || n < 0 ? NaN : n;
  }

  function show(n) {
    const rounded = Math.round(n * 100) / 100;
    return String(rounded).replace(".", decimal);
  }

  function recalc() {
    const days = [0, 0, 0, 0, 0, 0, 0];
    document.querySelectorAll("#tb-rows tr.tb-row").forEach(function (tr) {
      let rowTotal = 0;
      tr.querySelectorAll("td.tb-cell").forEach(function (td, day) {
        const input = td.querySelector("input");
        const value = input ? input.value : (td.querySelector(".tb-value") || {}).dataset?.hours;
        const h = hours(value || "");
        if (input) input.classList.toggle("tb-bad", isNaN(h));
        if (!isNaN(h)) { rowTotal += h; days[day] += h; }
      });
      tr.querySelector(".tb-row-total").textContent = rowTotal ? show(rowTotal) : "";
    });
    let week = 0;
    document.querySelectorAll(".tb-day-total").forEach(function (td, day) {
      td.textContent = show(days[day]);
      td.classList.toggle("tb-over", days[day] > 24);
      week += days[day];
    });
    document.getElementById("tb-week-total").textContent = show(week);
  }

  function filterTasks(row) {
    const project = row.querySelector(".tb-pick-project");
    const task = row.querySelector(".tb-pick-task");
    if (!project || !task) return;
    task.querySelectorAll("option[data-project]").forEach(function (o) {
      o.hidden = o.dataset.project !== project.value;
    });
    const chosen = task.selectedOptions[0];
    if (chosen && chosen.hidden) task.value = "";
  }

  const rows = document.getElementById("tb-rows");
  rows.addEventListener("input", recalc);
  rows.addEventListener("change", function (e) {
    if (e.target.classList.contains("tb-pick-project")) filterTasks(e.target.closest("tr"));
  });
  rows.querySelectorAll("tr").forEach(filterTasks);

  document.getElementById("tb-add-row").addEventListener("click", function () {
    const count = document.getElementById("tb-row-count");
    const blank = rows.querySelector("tr.tb-row:last-child");
    const index = +count.value;
    const copy = blank.cloneNode(true);
    copy.dataset.index = index;
    copy.classList.remove("tb-has-error");
    copy.querySelectorAll(".tb-error").forEach(function (e) { e.remove(); });
    copy.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace(/^r\d+-/, "r" + index + "-");
      if (el.tagName === "INPUT") el.value = ""; else el.value = "";
      el.removeAttribute("aria-invalid");
    });
    rows.appendChild(copy);
    count.value = index + 1;
    filterTasks(copy);
    recalc();
    const first = copy.querySelector("select, input");
    if (first) first.focus();
  });

  const timerTask = document.querySelector(".tb-timer-start select[name=task]");
  const timerProject = document.querySelector(".tb-timer-start select[name=project]");
  if (timerTask && timerProject) {
    const sync = function () {
      timerTask.querySelectorAll("option[data-project]").forEach(function (o) {
        o.hidden = o.dataset.project !== timerProject.value;
      });
      if (timerTask.selectedOptions[0] && timerTask.selectedOptions[0].hidden) timerTask.value = "";
    };
    timerProject.addEventListener("change", sync);
    sync();
  }

  const running = document.querySelector(".tb-timer-clock");
  if (running) {
    const started = +running.dataset.started * 1000;
    const tick = function () {
      const s = Math.max(0, Math.floor((Date.now() - started) / 1000));
      const pad = function (n) { return String(n).padStart(2, "0"); };
      running.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    };
    tick();
    setInterval(tick, 1000);
  }
  recalc();
})();

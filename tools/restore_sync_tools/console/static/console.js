// The restore-sync console page: lists executions, draws one with each state coloured by its history, and
// refreshes while it runs. Everything comes from this server's JSON; text is set with textContent only.
"use strict";

const POLL_RUNNING_MS = 2000;
const POLL_LIST_MS = 10000;
const STATUSES = ["not-reached", "running", "waiting", "succeeded", "retried", "caught", "failed"];

const page = {
  selected: new URLSearchParams(window.location.search).get("execution"),
  graphKey: null,
  current: null,
  step: null,
  timer: null,
};

function $(id) {
  return document.getElementById(id);
}

async function fetchJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  const data = await response.json();
  if (!response.ok) {
    throw new Error(data.error || `${response.status} ${response.statusText}`);
  }
  return data;
}

function showProblem(error) {
  const box = $("problem");
  box.hidden = !error;
  box.textContent = error ? String(error.message || error) : "";
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const whole = Math.round(seconds);
  if (whole < 60) return `${seconds < 10 ? seconds.toFixed(1) : whole} s`;
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h ? `${h} h ${m} min` : `${m} min ${s} s`;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

async function loadList() {
  try {
    const data = await fetchJson("/api/executions");
    $("machine").textContent = data.description || data.stateMachine;
    const body = $("executions").querySelector("tbody");
    body.replaceChildren();
    for (const execution of data.executions) {
      const row = document.createElement("tr");
      row.dataset.arn = execution.arn;
      row.title = execution.arn;
      if (execution.arn === page.selected) row.classList.add("selected");
      cell(row, execution.status, `status status-${execution.status}`);
      cell(row, execution.target || execution.name);
      cell(row, when(execution.start));
      cell(row, duration(execution.durationSeconds));
      row.addEventListener("click", () => select(execution.arn));
      body.appendChild(row);
    }
    $("no-executions").hidden = data.executions.length > 0;
    if (!page.selected && data.executions.length) select(data.executions[0].arn);
    showProblem(null);
  } catch (error) {
    showProblem(error);
  }
}

function select(arn) {
  page.selected = arn;
  page.step = null;
  const url = new URL(window.location.href);
  url.searchParams.set("execution", arn);
  window.history.replaceState(null, "", url);
  for (const row of $("executions").querySelectorAll("tbody tr")) {
    row.classList.toggle("selected", row.dataset.arn === arn);
  }
  $("step").hidden = true;
  loadExecution();
}

async function loadExecution() {
  clearTimeout(page.timer);
  const arn = page.selected;
  if (!arn) return;
  try {
    const data = await fetchJson(`/api/execution?arn=${encodeURIComponent(arn)}`);
    if (arn !== page.selected) return;
    page.current = data;
    render(data);
    showProblem(null);
    const running = data.execution.status === "RUNNING";
    document.body.dataset.executionStatus = data.execution.status;
    $("refresh").textContent = running ? "refreshing while it runs" : "";
    if (running) page.timer = setTimeout(loadExecution, POLL_RUNNING_MS);
  } catch (error) {
    showProblem(error);
    page.timer = setTimeout(loadExecution, POLL_RUNNING_MS * 2);
  }
}

function render(data) {
  $("detail").hidden = false;
  const execution = data.execution;
  $("execution-name").textContent = execution.name;
  $("execution-name").title = execution.arn;
  const status = $("execution-status");
  status.textContent = execution.status;
  status.className = `status status-${execution.status}`;
  $("execution-target").textContent = execution.target || "";
  $("execution-start").textContent = when(execution.start);
  $("execution-duration").textContent = duration(execution.durationSeconds);
  const error = [execution.error, execution.cause].filter(Boolean).join(": ");
  $("execution-error").textContent = error;
  for (const element of document.querySelectorAll(".error-row")) element.hidden = !error;
  drawGraph(data);
  renderReport(data.report);
  if (page.step) showStep(page.step);
}

function drawGraph(data) {
  const holder = $("graph");
  if (page.graphKey !== data.graph.key) {
    holder.innerHTML = data.graph.svg;
    page.graphKey = data.graph.key;
    for (const [id, name] of Object.entries(data.graph.nodes)) {
      const node = holder.querySelector(`#${CSS.escape(id)}`);
      if (!node) continue;
      node.dataset.state = name;
      node.addEventListener("click", () => showStep(name));
    }
  }
  for (const [id, name] of Object.entries(data.graph.nodes)) {
    const node = holder.querySelector(`#${CSS.escape(id)}`);
    if (!node) continue;
    const state = data.states[name] || { status: "not-reached", label: "not reached" };
    for (const status of STATUSES) node.classList.remove(`st-${status}`);
    node.classList.add(`st-${state.status}`);
    node.dataset.status = state.status;
    node.dataset.label = state.label;
    badge(node, state);
  }
  const taken = new Set(data.edges);
  for (const edge of holder.querySelectorAll("g.edge")) {
    edge.classList.toggle("taken", taken.has(edge.id));
  }
}

function badge(node, state) {
  const old = node.querySelector("text.badge");
  if (old) old.remove();
  const show = state.status !== "not-reached" && state.status !== "succeeded" ? state.label : "";
  const extra = state.status === "succeeded" && state.label !== "succeeded" ? state.label : show;
  if (!extra) return;
  const shape = node.querySelector("polygon, path, ellipse");
  if (!shape) return;
  const box = shape.getBBox();
  const text = document.createElementNS("http://www.w3.org/2000/svg", "text");
  text.setAttribute("class", "badge");
  text.setAttribute("x", String(box.x + box.width));
  text.setAttribute("y", String(box.y + box.height + 10));
  text.setAttribute("text-anchor", "end");
  text.textContent = extra;
  node.appendChild(text);
}

function pretty(text) {
  if (text === null || text === undefined) return "(none yet)";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (error) {
    return String(text);
  }
}

function showStep(name) {
  page.step = name;
  const data = page.current;
  if (!data) return;
  const state = data.states[name] || { status: "not-reached", label: "not reached" };
  $("step").hidden = false;
  $("step-name").textContent = name;
  $("step-status").textContent = state.label;
  $("step-status").className = `status-text st-text-${state.status}`;
  $("step-error").textContent = [state.error, state.cause].filter(Boolean).join(": ");
  $("step-input").textContent = pretty(state.input);
  $("step-output").textContent = pretty(state.output);
  for (const node of $("graph").querySelectorAll("g.node")) {
    node.classList.toggle("chosen", node.dataset.state === name);
  }
}

function renderReport(report) {
  const table = $("report-table");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  $("drift").replaceChildren();
  $("held").textContent = report && report.held ? report.held : "";
  $("held").hidden = !(report && report.held);
  $("no-report").hidden = Boolean(report);
  table.hidden = !report || report.rows.length === 0;
  $("report-outcome").textContent = report ? `(outcome: ${report.outcome}${report.reason ? `: ${report.reason}` : ""})` : "";
  if (!report) return;
  for (const row of report.rows) {
    const tr = document.createElement("tr");
    tr.dataset.setting = row.setting;
    tr.className = `report-${row.status}`;
    cell(tr, row.setting, "setting");
    cell(tr, row.status, "status");
    cell(tr, row.reason, "reason");
    cell(tr, row.changes, "changes");
    body.appendChild(tr);
  }
  for (const drift of report.drift) {
    const item = document.createElement("li");
    item.textContent = `drift in ${drift.setting}: wanted ${JSON.stringify(drift.wanted)}, found ${JSON.stringify(drift.found)}`;
    $("drift").appendChild(item);
  }
}

function tickWaits() {
  // Between refreshes, a waiting state's time left counts down on its own.
  const data = page.current;
  if (!data || data.execution.status !== "RUNNING") return;
  for (const node of $("graph").querySelectorAll("g.node.st-waiting")) {
    const state = data.states[node.dataset.state];
    if (!state || !state.waitUntil) continue;
    const left = Math.max(0, (new Date(state.waitUntil) - Date.now()) / 1000);
    const text = node.querySelector("text.badge");
    if (text) text.textContent = `waiting, ${Math.round(left)} s left`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  loadList().then(() => {
    if (page.selected) select(page.selected);
  });
  setInterval(loadList, POLL_LIST_MS);
  setInterval(tickWaits, 1000);
});

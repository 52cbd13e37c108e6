// The control server's dashboard (docs/control.md, "Dashboard"). It asks /api/live where
// the live feed listens, connects with the browser client, and redraws from what the feed
// sends: a snapshot first, then each event, then the processes every second. Everything a
// peer reported reaches the page through textContent, attributes and canvas drawing only,
// never as HTML.

import DripDrop from "/dripdrop.js";

/** Samples kept per route chart: a minute at the feed's one update per second. */
const SAMPLES = 60;
/** Events shown; older ones stay in /api/events. */
const MAX_EVENTS = 200;
/** Wait before connecting again after the feed closed or could not be found. */
const RETRY_MS = 2000;
const STATES = ["up", "stuck", "unreachable", "down", "gone"];

const tables = {
  nodes: document.querySelector("#nodes tbody"),
  processes: document.querySelector("#processes tbody"),
  routes: document.querySelector("#routes tbody"),
  pools: document.querySelector("#pools tbody"),
};
const eventList = document.getElementById("events");

// Rows by key, kept between updates so a row is changed in place, never redrawn whole.
const nodeRows = new Map();
const processRows = new Map();
const routeRows = new Map();
const poolRows = new Map();

const text = (value) => (value === null || value === undefined ? "" : String(value));
const list = (value) => (Array.isArray(value) ? value : []);
const number = (value) => (typeof value === "number" && Number.isFinite(value) ? value : null);

function setText(node, value) {
  const wanted = text(value);
  if (node.textContent !== wanted) node.textContent = wanted;
}

function formatRate(value) {
  const n = number(value);
  if (n === null) return "—";
  return n < 10 ? n.toFixed(1) : String(Math.round(n));
}

function formatMs(value) {
  const n = number(value);
  return n === null ? "—" : n < 10 ? n.toFixed(2) : n.toFixed(1);
}

/** A new row of `cells` (names: the class of each cell) at the end of `body`. */
function makeRow(body, cells) {
  const row = document.createElement("tr");
  const out = { row };
  for (const name of cells) {
    const cell = document.createElement("td");
    cell.className = name;
    row.append(cell);
    out[name.split(" ")[0]] = cell;
  }
  body.append(row);
  return out;
}

/**
 * Puts rows in the order they are given, moving only those out of place: in the steady state
 * an update moves nothing.
 */
function placer(body) {
  let cursor = body.firstElementChild;
  return (row) => {
    if (row === cursor) cursor = cursor.nextElementSibling;
    else body.insertBefore(row, cursor);
  };
}

/** Removes the rows of `rows` whose key is not in `seen`. */
function prune(rows, seen) {
  for (const [key, entry] of rows) {
    if (!seen.has(key)) {
      entry.row.remove();
      rows.delete(key);
    }
  }
}

function showStatus(status) {
  const node = document.getElementById("status");
  node.dataset.status = status;
  setText(node, status);
}

function showState(entry, state) {
  entry.row.dataset.state = state;
  setText(entry.state, state);
}

/** The manifest's nodes (`--manifest`): shown only when the server has one. */
function renderNodes(nodes) {
  document.getElementById("nodes-section").hidden = nodes.length === 0;
  const seen = new Set();
  const place = placer(tables.nodes);
  for (const node of nodes) {
    if (node === null || typeof node !== "object") continue;
    const name = text(node.name);
    seen.add(name);
    let entry = nodeRows.get(name);
    if (!entry) {
      entry = makeRow(tables.nodes, ["name", "roles", "live number", "expected number", "state"]);
      entry.row.dataset.node = name;
      nodeRows.set(name, entry);
    }
    place(entry.row);
    setText(entry.name, name);
    setText(entry.roles, list(node.roles).map(text).join(", "));
    setText(entry.live, node.live);
    setText(entry.expected, node.expected);
    showState(entry, text(node.state));
  }
  prune(nodeRows, seen);
}

function renderProcesses(processes, receivedAt) {
  const seen = { processes: new Set(), routes: new Set(), pools: new Set() };
  const place = {
    processes: placer(tables.processes),
    routes: placer(tables.routes),
    pools: placer(tables.pools),
  };
  const counts = new Map();
  for (const process of processes) {
    if (process === null || typeof process !== "object") continue;
    const id = text(process.id);
    seen.processes.add(id);
    let entry = processRows.get(id);
    if (!entry) {
      entry = makeRow(tables.processes, ["id", "role", "host", "pid number", "language", "state", "beat number"]);
      entry.row.dataset.id = id;
      processRows.set(id, entry);
    }
    place.processes(entry.row); // the server's order
    const state = text(process.state);
    counts.set(state, (counts.get(state) ?? 0) + 1);
    setText(entry.id, id);
    setText(entry.role, process.role);
    setText(entry.host, process.host);
    setText(entry.pid, process.pid);
    setText(entry.language, process.language);
    showState(entry, state);
    const ago = number(process.last_beat_ms_ago);
    setText(entry.beat, ago === null ? "—" : `${(ago / 1000).toFixed(1)} s ago`);
    for (const route of list(process.routes)) {
      place.routes(renderRoute(process, route, seen.routes));
    }
    for (const pool of list(process.pools)) {
      place.pools(renderPool(process, pool, receivedAt, seen.pools));
    }
  }
  prune(processRows, seen.processes);
  prune(routeRows, seen.routes);
  prune(poolRows, seen.pools);
  const parts = STATES.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  setText(
    document.getElementById("summary"),
    `${processes.length} process${processes.length === 1 ? "" : "es"}${parts.length ? ": " : ""}${parts.join(", ")}`,
  );
}

function processLabel(process) {
  const role = text(process.role);
  return role ? `${role} (${text(process.id)})` : text(process.id);
}

function renderRoute(process, route, seen) {
  const key = `${text(process.id)}\n${text(route.name)}`;
  seen.add(key);
  let entry = routeRows.get(key);
  if (!entry) {
    entry = makeRow(tables.routes, ["process", "name", "kind", "in number", "out number", "chart"]);
    entry.row.dataset.process = text(process.id);
    entry.row.dataset.route = text(route.name);
    entry.canvas = document.createElement("canvas");
    entry.canvas.className = "chart";
    entry.canvas.dataset.process = text(process.id);
    entry.canvas.dataset.route = text(route.name);
    entry.canvas.setAttribute("role", "img");
    entry.chart.append(entry.canvas);
    entry.history = [];
    routeRows.set(key, entry);
  }
  setText(entry.process, processLabel(process));
  setText(entry.name, route.name);
  setText(entry.kind, route.kind);
  setText(entry.in, formatRate(route.rate_in));
  setText(entry.out, formatRate(route.rate_out));
  entry.history.push({ in: number(route.rate_in) ?? 0, out: number(route.rate_out) ?? 0 });
  if (entry.history.length > SAMPLES) entry.history.shift();
  entry.canvas.dataset.samples = String(entry.history.length);
  entry.canvas.setAttribute(
    "aria-label",
    `${text(route.name)}: ${formatRate(route.rate_in)} in/s, ${formatRate(route.rate_out)} out/s`,
  );
  drawSparkline(entry.canvas, entry.history);
  return entry.row;
}

/** Two lines, in and out, scaled together to the largest rate shown; newest on the right. */
function drawSparkline(canvas, history) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 180;
  const height = canvas.clientHeight || 32;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const top = Math.max(1, ...history.map((s) => Math.max(s.in, s.out)));
  const step = width / (SAMPLES - 1);
  const styles = getComputedStyle(document.documentElement);
  for (const [field, color] of [["in", "--in"], ["out", "--out"]]) {
    context.beginPath();
    history.forEach((sample, i) => {
      const x = width - (history.length - 1 - i) * step;
      const y = height - 1 - (sample[field] / top) * (height - 2);
      if (i === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.strokeStyle = styles.getPropertyValue(color).trim() || "black";
    context.lineWidth = 1.5;
    context.stroke();
  }
}

/**
 * Pools report cumulative counts, so throughput is their difference between two beats. The
 * time of a beat is when the update came less how long before it the beat was: two updates
 * with the same beat change nothing, and the rate does not jitter with the feed's timing.
 */
function renderPool(process, pool, receivedAt, seen) {
  const key = `${text(process.id)}\n${text(pool.name)}`;
  seen.add(key);
  let entry = poolRows.get(key);
  if (!entry) {
    entry = makeRow(tables.pools, [
      "process", "name", "workers number", "pending number", "flight number",
      "throughput number", "failed number", "p50 number", "p90 number", "p99 number",
    ]);
    entry.row.dataset.process = text(process.id);
    entry.row.dataset.pool = text(pool.name);
    poolRows.set(key, entry);
  }
  setText(entry.process, processLabel(process));
  setText(entry.name, pool.name);
  setText(entry.workers, pool.workers);
  setText(entry.pending, pool.pending);
  setText(entry.flight, pool.in_flight);
  setText(entry.failed, pool.failed);
  // The server's rate: tasks completed per second between the pool's last two beats.
  entry.rate = number(pool.rate_completed);
  setText(entry.throughput, formatRate(entry.rate));
  const latency = pool.latency_ms && typeof pool.latency_ms === "object" ? pool.latency_ms : {};
  setText(entry.p50, formatMs(latency.p50));
  setText(entry.p90, formatMs(latency.p90));
  setText(entry.p99, formatMs(latency.p99));
  return entry.row;
}

function addEvent(event) {
  if (event === null || typeof event !== "object") return;
  const item = document.createElement("li");
  const to = text(event.to);
  item.dataset.id = text(event.id);
  item.dataset.to = to;
  const at = document.createElement("time");
  at.dateTime = text(event.at);
  setText(at, text(event.at).replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC"));
  const id = document.createElement("span");
  id.className = "id";
  const who = document.createElement("span");
  if (event.node !== undefined && event.id === undefined) {
    // A node of the manifest: its live processes against its replicas.
    setText(id, `node ${text(event.node)}`);
    setText(who, ` (${text(event.live)} of ${text(event.expected)} live) `);
  } else {
    setText(id, event.id);
    setText(who, ` (${text(event.role)} on ${text(event.host)}) `);
  }
  const change = document.createElement("span");
  const known = STATES.includes(to) || ["complete", "missing", "flapping"].includes(to);
  change.className = `to-${known ? to : "other"}`;
  setText(change, `${event.from === null || event.from === undefined ? "new" : text(event.from)} → ${to}`);
  item.append(at, id, who, change);
  eventList.prepend(item); // newest first
  while (eventList.children.length > MAX_EVENTS) eventList.lastElementChild.remove();
}

/** An event changes its process's row at once, before the next update comes. */
function applyEvent(event) {
  const entry = processRows.get(text(event?.id));
  if (entry && STATES.includes(text(event.to))) showState(entry, text(event.to));
}

function receive(message) {
  if (!(message instanceof DripDrop.Message)) return; // binary frames: not this feed's
  const body = message.body ?? {};
  const now = performance.now();
  switch (message.name) {
    case "dripdrop.snapshot":
      eventList.replaceChildren();
      for (const event of list(body.events)) addEvent(event);
      renderProcesses(list(body.processes), now);
      renderNodes(list(body.nodes));
      break;
    case "dripdrop.processes":
      renderProcesses(list(body.processes), now);
      renderNodes(list(body.nodes));
      break;
    case "dripdrop.event":
      addEvent(body);
      applyEvent(body);
      break;
    default:
      break; // a message of a later version: ignored
  }
}

async function connect() {
  showStatus("connecting");
  let live;
  try {
    const answer = await fetch("/api/live");
    live = await answer.json();
  } catch {
    setTimeout(connect, RETRY_MS);
    return;
  }
  // The host the page came from, not the one the server bound: a server bound to 0.0.0.0
  // is reached by its name.
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const port = number(live.port);
  const path = text(live.path).startsWith("/") ? text(live.path) : "/";
  const socket = new DripDrop.WebSocket(`${scheme}://${location.hostname}:${port}${path}`);
  socket
    .onOpen(() => showStatus("live"))
    .onReceive(receive)
    .onError((error) => {
      if (error instanceof Error) console.warn("dripdrop feed:", error.message);
    })
    .onClose(() => {
      showStatus("disconnected");
      setTimeout(connect, RETRY_MS);
    });
}

connect();

// The map and its feed: the agreement's geometry, the incidents of a time window as the caller
// may see them, filters, and live updates from the change feed. The view lives in the URL's
// hash, so a link reproduces it.
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";
import { api, BASE_LAYERS, BASE_SOURCES, can, count, el, listOf, notice, STATUS_COLOURS, TYPE_SHAPES, when } from "/static/js/common.js";

const FILTERS = ["type", "status", "party", "side", "zone", "oblast"];
// What the map and the feed read of each incident: the API sends only these (a tenth of all).
const SHOWN = "id,status,event_type,observed_from,assessed_perpetrator,side,zones,oblast";
const HOUR = 3600 * 1000;
const EMPTY = { type: "FeatureCollection", features: [] };

// -- the view in the URL ------------------------------------------------------------------

function readView() {
  const q = new URLSearchParams(location.hash.slice(1));
  // No length in the link: the reporting day's (24 h, or 23 or 25 across a change of clocks).
  const view = { until: q.get("until"), hours: Number(q.get("hours")) || null };
  for (const f of FILTERS) view[f] = q.get(f) || "";
  for (const k of ["z", "lon", "lat"]) view[k] = q.has(k) ? Number(q.get(k)) : null;
  return view;
}

function windowOf(hoursMoved = Number(document.getElementById("slider").value)) {
  const end = new Date(anchor.getTime() + hoursMoved * HOUR);
  return { start: new Date(end.getTime() - view.hours * HOUR), end };
}

function itemsOf({ start, end }) {
  const range = `${start.toISOString()}/${end.toISOString()}`;
  return `/api/v1/ogc/collections/incidents/items?limit=10000&properties=${SHOWN}&datetime=${encodeURIComponent(range)}`;
}

function writeView(view) {
  const q = new URLSearchParams();
  if (view.until) q.set("until", view.until);
  if (view.hours) q.set("hours", String(view.hours));
  for (const f of FILTERS) if (view[f]) q.set(f, view[f]);
  for (const k of ["z", "lon", "lat"]) if (view[k] !== null && view[k] !== undefined) q.set(k, String(view[k]));
  history.replaceState(null, "", `#${q}`);
}

performance.mark("ceasefire:script");
const view = readView();
let anchor = null;  // the window's end at slider 0
if (view.until) {
  anchor = new Date(view.until);
} else {
  // Last night by default: the agreement's last reporting day that has ended, or the day of
  // the newest incident the caller may see when that is older (an archive, the demo). The
  // service works it out with the page (web.pages._last_night): no request before the
  // incidents'.
  const { nightStart, nightEnd } = document.querySelector("main.mapview").dataset;
  anchor = new Date(nightEnd);
  view.hours ||= (anchor - new Date(nightStart)) / HOUR;
}
view.hours ||= 24;
// The window's incidents are asked for before the map is built: the service answers while the
// map sets itself up (its worker too, prewarmed), instead of after.
const firstUrl = itemsOf(windowOf(0));
let prefetched = { url: firstUrl, items: allPages(firstUrl, "features") };
prefetched.items.catch(() => {});  // a failure is shown when load() reads it, not as unhandled
maplibregl.prewarm();
let loaded = [];  // features of the window, as the API gave them
let heldBy = new Map();  // incident id -> party held responsible (its current violations)
let drawnSignature = null;  // the incidents on the map now (ids and statuses)

// -- the map -------------------------------------------------------------------------------

const map = new maplibregl.Map({
  container: "map",
  // No glyphs: labels are drawn with the browser's own fonts (no font server).
  style: {
    version: 8,
    sources: {
      ...BASE_SOURCES,
      incidents: { type: "geojson", data: EMPTY, cluster: true, clusterRadius: 36, clusterMaxZoom: 9 },
    },
    layers: [
      ...BASE_LAYERS,
      { id: "borders", type: "line", source: "basemap", paint: { "line-color": "#b9b2a5", "line-width": 0.8 } },
      {
        id: "areas", type: "fill", source: "agreement", filter: ["==", ["get", "layer"], "area"],
        paint: { "fill-color": ["match", ["get", "party"], "RU", "#e8c6c0", "UA", "#c9d8ea", "#dddddd"], "fill-opacity": 0.45 },
      },
      {
        // The DMZ filled, the withdrawal zones by their edges: nested translucent fills cost a
        // full pass each on every frame where the browser draws without a GPU.
        id: "zones", type: "fill", source: "agreement", filter: ["all", ["==", ["get", "layer"], "zone"], ["==", ["get", "kind"], "dmz"]],
        paint: { "fill-color": "#f5d76e", "fill-opacity": 0.3 },
      },
      {
        id: "zone-edges", type: "line", source: "agreement", filter: ["==", ["get", "layer"], "zone"],
        paint: { "line-color": ["match", ["get", "kind"], "dmz", "#b7950b", "#4a7c59"], "line-width": 0.7, "line-dasharray": [2, 2] },
      },
      {
        id: "party-lines", type: "line", source: "agreement", filter: ["==", ["get", "layer"], "party_line"],
        paint: { "line-color": "#555", "line-width": 1, "line-dasharray": [1, 2] },
      },
      {
        id: "line", type: "line", source: "agreement", filter: ["==", ["get", "layer"], "line"],
        paint: { "line-color": "#c0392b", "line-width": 2.2 },
      },
      {
        id: "towns", type: "circle", source: "agreement", filter: ["==", ["get", "layer"], "settlement"],
        paint: { "circle-radius": 2, "circle-color": "#444" },
      },
      {
        id: "town-names", type: "symbol", source: "agreement", filter: ["==", ["get", "layer"], "settlement"],
        minzoom: 7,
        layout: {
          "text-field": ["get", "name"], "text-font": ["sans-serif"], "text-size": 11,
          "text-offset": [0, 0.8], "text-anchor": "top", "symbol-sort-key": ["-", 0, ["get", "population"]],
        },
        paint: { "text-color": "#333", "text-halo-color": "#fff", "text-halo-width": 1.2 },
      },
      {
        id: "clusters", type: "circle", source: "incidents", filter: ["has", "point_count"],
        paint: { "circle-color": "#34495e", "circle-opacity": 0.8, "circle-radius": ["step", ["get", "point_count"], 12, 20, 16, 100, 22] },
      },
      {
        id: "cluster-count", type: "symbol", source: "incidents", filter: ["has", "point_count"],
        layout: { "text-field": ["get", "point_count_abbreviated"], "text-font": ["sans-serif"], "text-size": 11 },
        paint: { "text-color": "#fff" },
      },
      {
        id: "incidents", type: "circle", source: "incidents", filter: ["!", ["has", "point_count"]],
        paint: {
          "circle-radius": 7,
          "circle-color": ["match", ["get", "status"], ...Object.entries(STATUS_COLOURS).flat(), "#999"],
          "circle-stroke-color": "#fff", "circle-stroke-width": 1,
        },
      },
      {
        id: "incident-shapes", type: "symbol", source: "incidents", filter: ["!", ["has", "point_count"]],
        layout: {
          "text-field": ["get", "shape"], "text-font": ["sans-serif"], "text-size": 10, "text-allow-overlap": true,
        },
        paint: { "text-color": "#fff" },
      },
    ],
  },
  // The view in the URL, else the whole line of contact.
  ...(view.z !== null && view.lon !== null && view.lat !== null
    ? { center: [view.lon, view.lat], zoom: view.z }
    : { bounds: JSON.parse(document.getElementById("map").dataset.bounds), fitBoundsOptions: { padding: 30 } }),
  attributionControl: { customAttribution: "Natural Earth; the agreement's geometry" },
  // No fade-in of labels: a duty officer reads the map as drawn, and each fade frame costs a
  // full redraw where the browser has no GPU (a mission laptop, the headless tests).
  fadeDuration: 0,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
map.on("moveend", () => {
  const c = map.getCenter();
  Object.assign(view, { z: Math.round(map.getZoom() * 10) / 10, lon: Math.round(c.lng * 1e4) / 1e4, lat: Math.round(c.lat * 1e4) / 1e4 });
  writeView(view);
});
map.on("click", "clusters", async (e) => {
  const feature = e.features[0];
  const zoom = await map.getSource("incidents").getClusterExpansionZoom(feature.properties.cluster_id);
  map.easeTo({ center: feature.geometry.coordinates, zoom });
});
map.on("click", "incidents", (e) => { location.href = `/incidents/${encodeURIComponent(e.features[0].properties.id)}`; });
for (const layer of ["clusters", "incidents"]) {
  map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
}
// The incidents go in as soon as the style (and so their source) exists, not after the first
// full draw ("load"): then the first draw already holds them, and the map draws once, not twice.
const mapLoaded = new Promise((resolve) => map.once("style.load", () => { performance.mark("ceasefire:style"); resolve(); }));

// -- the window and what it holds ----------------------------------------------------------

const untilInput = document.getElementById("until");
const hoursInput = document.getElementById("hours");
const slider = document.getElementById("slider");

async function allPages(first, key) {
  const out = [];
  let next = first;
  while (next) {
    const page = await api(next);
    out.push(...page[key]);
    next = key === "features" ? page.links?.find((l) => l.rel === "next")?.href : page.next;
    if (next && key === "features") next = new URL(next, location.href).pathname + new URL(next, location.href).search;
  }
  return out;
}

async function load() {
  const { start, end } = windowOf();
  tallies();  // beside the incidents, when its panel is open
  const since = encodeURIComponent(start.toISOString());
  const until = encodeURIComponent(end.toISOString());
  notice(`Loading ${when(start.toISOString())} to ${when(end.toISOString())}…`);
  // The incidents first, drawn at once; then the violations, which say whom each is held
  // against (the counts by party and that filter). One after the other: together they share
  // the service's time and the map would wait for both.
  let violations = null;
  try {
    const url = itemsOf({ start, end });
    const early = prefetched;
    prefetched = null;
    loaded = await (early?.url === url ? early.items : allPages(url, "features"));
    performance.mark("ceasefire:data");
    violations = allPages(`/api/v1/violations?limit=10000&since=${since}&until=${until}`, "items");
    notice("");
  } catch (err) {
    notice(err.message, "error");
    loaded = [];
  }
  options();
  await draw();
  if (violations === null) return;
  try {
    heldBy = new Map((await violations).filter((v) => v.party).map((v) => [v.incident_id, v.party]));
  } catch (err) {
    notice(`Whom each incident is held against could not be read: ${err.message}`, "error");
    return;
  }
  options();
  await draw();
}

function heldResponsible(p) {
  return p.assessed_perpetrator || heldBy.get(p.id) || "";
}

function matches(p) {
  return (!view.type || p.event_type === view.type)
    && (!view.status || p.status === view.status)
    && (!view.party || heldResponsible(p) === view.party)
    && (!view.side || p.side === view.side)
    && (!view.zone || listOf(p.zones).includes(view.zone))
    && (!view.oblast || p.oblast === view.oblast);
}

function options() {
  const values = { type: new Set(), status: new Set(), party: new Set(), side: new Set(), zone: new Set(), oblast: new Set() };
  for (const f of loaded) {
    const p = f.properties;
    values.type.add(p.event_type); values.status.add(p.status); values.side.add(p.side);
    if (heldResponsible(p)) values.party.add(heldResponsible(p));
    if (p.oblast) values.oblast.add(p.oblast);
    for (const z of listOf(p.zones)) values.zone.add(z);
  }
  for (const f of FILTERS) {
    const select = document.getElementById(`f-${f}`);
    const keep = view[f];
    select.replaceChildren(el("option", { value: "" }, "any"), ...[...values[f]].filter(Boolean).sort().map((v) => el("option", { value: v }, v)));
    if (keep && !values[f].has(keep)) select.append(el("option", { value: keep }, keep));
    select.value = keep;
  }
}

async function draw() {
  const shown = loaded.filter((f) => matches(f.properties));
  shown.sort((a, b) => (b.properties.observed_from > a.properties.observed_from ? 1 : -1));
  const data = {
    type: "FeatureCollection",
    features: shown.map((f) => ({ ...f, properties: { ...f.properties, shape: TYPE_SHAPES[f.properties.event_type] || "?" } })),
  };
  performance.mark("ceasefire:filtered");
  await mapLoaded;
  const signature = shown.map((f) => `${f.properties.id}:${f.properties.status}`).join(",");
  if (signature !== drawnSignature) {  // the same incidents again: the map stays as drawn
    drawnSignature = signature;
    map.getSource("incidents").setData(data);
    // When the map has drawn it all (benchmarks/web.py reads it: navigation to last layer drawn).
    map.once("idle", () => {
      performance.mark("ceasefire:drawn");
      document.body.dataset.drawnMs ||= String(Math.round(performance.now()));
    });
  }
  const byStatus = new Map();
  const byParty = new Map();
  for (const f of shown) {
    const p = f.properties;
    byStatus.set(p.status, (byStatus.get(p.status) || 0) + 1);
    const who = heldResponsible(p) || "not established";
    byParty.set(who, (byParty.get(who) || 0) + 1);
  }
  const list = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => el("li", { dataset: { key: k } }, `${k} `, el("b", {}, String(n))));
  document.getElementById("counts").replaceChildren(
    el("p", { id: "shown" }, `${shown.length} incident${shown.length === 1 ? "" : "s"}`, loaded.length !== shown.length ? ` of ${loaded.length}` : ""),
    el("div", {}, el("h3", {}, "By status"), el("ul", { id: "by-status" }, list(byStatus))),
    el("div", {}, el("h3", {}, "By party held responsible"), el("ul", { id: "by-party" }, list(byParty))),
  );
  document.getElementById("incidents").replaceChildren(...shown.slice(0, 500).map((f) => {
    const p = f.properties;
    return el("li", { class: "incident", dataset: { id: p.id, status: p.status } },
      el("span", { class: "dot", style: `background:${STATUS_COLOURS[p.status] || "#999"}` }, TYPE_SHAPES[p.event_type] || "?"),
      el("a", { href: `/incidents/${encodeURIComponent(p.id)}` }, p.id),
      ` ${p.event_type.replaceAll("_", " ")} · ${p.status}`,
      el("br"),
      el("small", {}, `${when(p.observed_from)} · ${p.oblast || "?"}${heldResponsible(p) ? ` · ${heldResponsible(p)}` : ""}`));
  }));
  performance.mark("ceasefire:feed");
  document.body.dataset.shown = String(shown.length);
  document.body.dataset.ready = "1";
}

// -- controls and live updates -------------------------------------------------------------

function toLocalInput(d) {
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function syncControls() {
  const { end } = windowOf();
  untilInput.value = toLocalInput(end);
  hoursInput.value = String(view.hours);
}

untilInput.addEventListener("change", () => {
  if (!untilInput.value) return;
  anchor = new Date(untilInput.value);
  slider.value = "0";
  view.until = anchor.toISOString();
  writeView(view);
  load();
});
hoursInput.addEventListener("change", () => { view.hours = Number(hoursInput.value); writeView(view); load(); });
slider.addEventListener("change", () => {
  view.until = windowOf().end.toISOString();
  writeView(view);
  syncControls();
  load();
});
for (const f of FILTERS) {
  document.getElementById(`f-${f}`).addEventListener("change", (e) => { view[f] = e.target.value; writeView(view); draw(); });
}

let pending = null;
function live() {
  // Each change about what the caller may read: reload the window soon (many changes, one load).
  const since = document.querySelector("main.mapview").dataset.since;
  const source = new EventSource(`/api/v1/changes/stream?since=${encodeURIComponent(since)}`);
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(load, 400);
  };
  // The feed names each event by the kind of change (store.changes.KINDS).
  for (const kind of ["incident", "status_change", "violation", "violation_superseded", "release", "retraction"]) {
    source.addEventListener(kind, soon);
  }
}

async function start() {
  if (![...hoursInput.options].some((o) => Number(o.value) === view.hours)) {
    hoursInput.add(new Option(`${view.hours} h`, String(view.hours)));
  }
  syncControls();
  if (!can.read_all) checkpoint();  // beside the incidents, not after them
  await load();
  live();
}

// -- the tallies of the window --------------------------------------------------------------

const talliesPanel = document.getElementById("tallies-panel");
talliesPanel?.addEventListener("toggle", () => tallies());
let talliesAsked = 0;  // the latest window asked for: an older answer arriving late is dropped

/** Each account of the window's attacks in a line: drones and missiles launched and destroyed
 * (the reconciliation's totals: sub-counts never added), and a link to the night's page. */
async function tallies() {
  if (!talliesPanel?.open) return;
  const { start, end } = windowOf();
  // The night that holds the window's last moment (the service names it: web.pages).
  const night = new Date(end.getTime() - 1).toISOString();
  document.getElementById("tallies-link").href = `/tallies?night=${encodeURIComponent(night)}`;
  const box = document.getElementById("tallies-text");
  const q = `since=${encodeURIComponent(start.toISOString())}&until=${encodeURIComponent(end.toISOString())}`;
  const asked = ++talliesAsked;
  let attacks;
  try {
    attacks = (await api(`/api/v1/tallies/reconcile?${q}`)).items;
  } catch (err) {
    box.textContent = `The tallies could not be read: ${err.message}`;
    return;
  }
  if (asked !== talliesAsked) return;
  const family = (figures, name, words) => {
    const said = ["launched", "destroyed"].filter((n) => figures[`${name}.${n}`] !== undefined);
    if (!said.length) return null;
    return `${words} ${said.map((n) => `${count(figures[`${name}.${n}`])} ${n}`).join(", ")}`;
  };
  const lines = attacks.flatMap((a) => Object.entries(a.accounts).map(([issuer, account]) => {
    const parts = [family(account.figures, "drones", "drones"), family(account.figures, "missiles", "missiles")].filter(Boolean);
    return el("li", { dataset: { issuer, attacker: a.attacker } },
      el("b", {}, issuer), ` on ${a.attacker}'s attack: ${parts.join("; ") || "no drone or missile counts"}`);
  }));
  box.replaceChildren(lines.length ? el("ul", {}, lines) : el("p", {}, "No tallies in this window."));
  talliesPanel.dataset.ready = "1";
}

async function checkpoint() {
  const box = document.getElementById("checkpoint-text");
  if (!box) return;
  // A signed note (C2SP tlog-checkpoint): origin, size, root, then the signature lines.
  const response = await fetch("/api/v1/ledger/checkpoint", { credentials: "same-origin" });
  if (!response.ok) {
    box.textContent = "No signed checkpoint yet.";
    return;
  }
  box.replaceChildren(el("pre", { id: "checkpoint-note" }, await response.text()));
}

// A link to another view followed from this page: show that view (the page's own changes use
// replaceState, which fires no hashchange).
window.addEventListener("hashchange", () => location.reload());

start();

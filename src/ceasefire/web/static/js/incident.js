// One incident: fused facts, its place with its uncertainty drawn, member reports (as the
// caller may see them), status history, violations, the hotline thread and its ledger proof;
// for a monitor the decision form, for an admin or the mediator the release form.
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";
import { api, BASE_LAYERS, BASE_SOURCES, can, el, notice, STATUS_COLOURS, when } from "/static/js/common.js";

const main = document.querySelector("main.incident");
const id = main.dataset.incident;
const base = `/api/v1/incidents/${encodeURIComponent(id)}`;

function table(rows) {
  return el("table", { class: "facts" }, rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}

function estimate(e) {
  if (!e || (e.low === null && e.best === null && e.high === null)) return null;
  return `${e.best ?? "?"} (${e.low ?? "?"}–${e.high ?? "?"})`;
}

// People affected: a whole number, or {min, max} (max null: no upper bound); see docs/harm.md.
function people(harm) {
  const p = harm?.people_affected;
  if (p === null || p === undefined) return null;
  const n = (v) => v.toLocaleString("en-GB");
  const count = typeof p === "number" ? n(p) : p.max === null ? `at least ${n(p.min)}` : `${n(p.min)}–${n(p.max)}`;
  const without = harm.utilities?.length ? ` without ${harm.utilities.join(", ")}` : "";
  const since = harm.outage_from ? ` from ${when(harm.outage_from)}${harm.outage_to ? ` to ${when(harm.outage_to)}` : ", ongoing"}` : "";
  return `${count}${without}${since}`;
}

function km(m) {
  return m === null || m === undefined ? null : `${(m / 1000).toFixed(1)} km`;
}

/** A circle of radius_m around (lon, lat), as a polygon (the place's uncertainty). */
function circle(lon, lat, radius) {
  const points = [];
  const dLat = radius / 111320;
  const dLon = dLat / Math.cos((lat * Math.PI) / 180);
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    points.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: "Feature", geometry: { type: "Polygon", coordinates: [points] }, properties: {} };
}

function drawPlace(inc) {
  const radius = Math.max(inc.uncertainty_m || 0, 200);
  const minimap = new maplibregl.Map({
    container: "minimap",
    style: {
      version: 8,
      sources: {
        ...BASE_SOURCES,
        place: { type: "geojson", data: circle(inc.lon, inc.lat, radius) },
        point: { type: "geojson", data: { type: "Point", coordinates: [inc.lon, inc.lat] } },
      },
      layers: [
        ...BASE_LAYERS,
        { id: "zones", type: "fill", source: "agreement", filter: ["==", ["get", "layer"], "zone"], paint: { "fill-color": "#a3c9a8", "fill-opacity": 0.2 } },
        { id: "line", type: "line", source: "agreement", filter: ["==", ["get", "layer"], "line"], paint: { "line-color": "#c0392b", "line-width": 2 } },
        { id: "uncertainty", type: "fill", source: "place", paint: { "fill-color": STATUS_COLOURS[inc.status] || "#999", "fill-opacity": 0.25 } },
        { id: "uncertainty-edge", type: "line", source: "place", paint: { "line-color": STATUS_COLOURS[inc.status] || "#999" } },
        { id: "point", type: "circle", source: "point", paint: { "circle-radius": 5, "circle-color": "#222" } },
      ],
    },
    center: [inc.lon, inc.lat],
    // The circle a fifth of the map across at most: the line and towns around it in sight.
    zoom: Math.max(5, Math.min(10.5, 12 - Math.log2(radius / 150))),
  });
  minimap.addControl(new maplibregl.NavigationControl({ showCompass: false }));
}

async function show() {
  // The thread is asked for beside the incident, not after it: the page waits for the slower.
  const messages = can.use_hotline ? api(`/api/v1/hotline/messages?incident_id=${encodeURIComponent(id)}&limit=100`) : null;
  messages?.catch(() => {});  // shown by thread(), not as an unhandled rejection
  let record;
  try {
    record = await api(base);
  } catch (err) {
    document.getElementById("title").textContent = err.status === 404 ? `No incident ${id} that you may see` : `Incident ${id}`;
    notice(err.message, "error");
    document.body.dataset.ready = "1";
    return;
  }
  const inc = record.incident;
  document.getElementById("title").replaceChildren(
    `${inc.id}: ${inc.event_type.replaceAll("_", " ")} `,
    el("span", { class: "status", id: "status", style: `background:${STATUS_COLOURS[inc.status] || "#999"}` }, inc.status));
  document.getElementById("facts").replaceChildren(
    el("h2", {}, "Facts"),
    table([
      ["Observed", `${when(inc.observed_from)} to ${when(inc.observed_to)}`],
      ["Place", `${inc.lat?.toFixed(4)}, ${inc.lon?.toFixed(4)} ± ${km(inc.uncertainty_m)} (${inc.place_precision})`],
      ["Oblast", inc.oblast],
      ["Side", inc.side ? `${inc.side}${inc.party ? `, held by ${inc.party}` : ""}` : null],
      ["From the line", km(inc.distance_m)],
      ["Zones", (inc.zones || []).join(", ") || "none"],
      ["Weapon", [inc.weapon_class, inc.weapon_model, inc.calibre_mm ? `${inc.calibre_mm} mm` : null].filter(Boolean).join(", ") || null],
      ["Count", estimate(inc.count)],
      ["Killed", estimate(inc.killed)],
      ["Injured", estimate(inc.injured)],
      ["Civilians killed", estimate(inc.civilians_killed)],
      ["Civilians injured", estimate(inc.civilians_injured)],
      ["Infrastructure hit", inc.harm?.infrastructure?.join(", ") || null],
      ["People affected", people(inc.harm)],
      ["Sources", inc.sources ? `${inc.n_sources}: ${inc.sources.join(", ")}` : inc.n_sources],
      ["Claims", inc.claimed_perpetrators ? Object.entries(inc.claimed_perpetrators).map(([p, n]) => `${p} by ${n}`).join(", ") : null],
      ["Assessed perpetrator", inc.assessed_perpetrator ? `${inc.assessed_perpetrator}: ${inc.assessed_basis || ""}` : null],
      ["Ambiguous", inc.ambiguous ? "an oblast-level claim fitting several located incidents: no violation of its own" : null],
    ]));
  drawPlace(inc);
  document.getElementById("history").replaceChildren(el("h2", {}, "Status history"),
    el("ol", {}, (record.history || []).map((h) => el("li", {},
      `${when(h.at)}: ${h.from_status || "—"} → ${h.to_status} by ${h.actor}${h.automatic ? " (automatic)" : ""}`,
      h.basis ? el("br") : null, h.basis ? el("small", {}, h.basis) : null))));
  document.getElementById("violations").replaceChildren(el("h2", {}, "Violations"),
    (record.violations || []).length === 0 ? el("p", {}, "None recorded.") :
      el("ul", { id: "violation-list" }, record.violations.map((v) => el("li", { class: v.superseded_at ? "superseded" : "" },
        el("b", {}, v.rule), ` (agreement ${v.agreement_id} v${v.agreement_version})`,
        v.party ? ` held against ${v.party}` : " no party held responsible",
        v.superseded_at ? ` · superseded ${when(v.superseded_at)}` : "",
        el("br"), el("small", {}, `evidence: ${(v.evidence || []).join(", ")}`)))));
  document.getElementById("members").replaceChildren(el("h2", {}, "Member reports"),
    record.reports === undefined || record.reports === null ? el("p", {}, "Reports are not shown to the public.") :
      el("table", { class: "reports" },
        el("tr", {}, el("th", {}, "Report"), el("th", {}, "Source"), el("th", {}, "Observed"), el("th", {}, "Type"), el("th", {}, "Place")),
        record.reports.map((r) => el("tr", {}, el("td", {}, r.id), el("td", {}, `${r.submitted_by} · ${r.source_kind}${r.source_name ? ` · ${r.source_name}` : ""}`),
          el("td", {}, when(r.observed_from)), el("td", {}, r.event_type), el("td", {}, `± ${km(r.uncertainty_m)} (${r.place_precision || "?"})`)))));
  await thread(messages);
  // An incident's entry holds every member report's id, so only those who see them all prove
  // it whole (the API decides: publish.access.may_prove); the rest prove what they were shown.
  document.getElementById("proof").replaceChildren(el("h2", {}, "Proof"), can.read_all
    ? el("p", {}, "This incident's entry in the shared record, with the hashes that tie it to the signed checkpoint: ",
      el("a", { href: `/api/v1/ledger/proof/inclusion?record_id=${encodeURIComponent(`incident/${inc.id}`)}&kind=incident`, id: "proof-link" }, "inclusion proof"),
      ". Save it and check it offline with ", el("code", {}, "ceasefire ledger verify --bundle FILE"), " and the log's public key.")
    : el("p", {}, "Each violation and status decision shown here is an entry of the shared record: ask ",
      el("code", {}, "/api/v1/ledger/proof/inclusion?record_id=violation/N"), " for its proof and check it offline with ",
      el("code", {}, "ceasefire ledger verify --bundle FILE"), "."));
  // The forms the API would take from this caller (the API decides; this only shows them).
  document.getElementById("decide").hidden = !can.set_status;
  document.getElementById("release").hidden = !can.release;
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = "1";
}

async function thread(messages) {
  const box = document.getElementById("thread");
  if (!messages) {
    box.replaceChildren();
    return;
  }
  try {
    const found = await messages;
    box.replaceChildren(el("h2", {}, "Hotline thread"),
      found.messages.length === 0 ? el("p", {}, "No messages.") :
        el("ol", { id: "thread-list" }, found.messages.map((m) => el("li", {},
          `${when(m.sent_at)} ${m.kind} from ${m.sender} to ${m.recipients.join(", ")}: ${m.state || ""}`,
          m.position ? ` · position ${m.position}` : "", el("br"), el("small", {}, m.subject || m.text || "")))));
  } catch (err) {
    box.replaceChildren(el("h2", {}, "Hotline thread"), el("p", { class: "error" }, err.message));
  }
}

/** Send a form to the API (once per page: show() runs again after
 * each decision, the listener must not be added again). */
function offer(formId, path, body, done) {
  const form = document.getElementById(formId);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`${base}/${path}`, { method: "POST", body: body(form) });
      notice(done);
      await show();
    } catch (err) {
      notice(err.message, "error");
    }
  });
}

function fields(form) {
  const data = Object.fromEntries(new FormData(form));
  for (const k of Object.keys(data)) if (data[k] === "") delete data[k];
  return data;
}

if (can.set_status) offer("status-form", "status", fields, "Decision recorded.");
if (can.release) offer("release-form", "release", (form) => ({ full: form.full.checked }), "Released to the public.");
show();

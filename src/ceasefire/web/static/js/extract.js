// The review step of extraction: propose (POST /api/v1/extract), read each event's figures
// against the words they came from, marked in the text, and accept the ticked events
// (POST /api/v1/extract/accept). The text is the user's and may be hostile: it reaches the page
// only as text nodes (el() and textContent), never as HTML.
import { api, count, el, notice } from "/static/js/common.js";

const form = document.getElementById("extract-form");
const review = document.getElementById("review");
const sourceText = document.getElementById("source-text");
const list = document.getElementById("proposals");
const acceptButton = document.getElementById("accept");
const acceptCount = document.getElementById("accept-count");
const stored = document.getElementById("stored");
const storedList = document.getElementById("stored-list");

// What was proposed, as reviewed: the accept sends it back (the service checks it still holds).
let proposed = null;

const WEAPONS = ["drones", "missiles", "ballistic_missiles", "cruise_missiles"];
const FIGURES = ["locations_hit", "regions_count", "explosions", "killed", "injured", "people_affected",
  "ceasefire_violations"];

function words(name) {
  return name.replaceAll("_", " ").replaceAll(".", " ");
}

/** An event's value of an evidence field ("launched.drones", "killed", "date", "oblasts"). */
function valueOf(event, field) {
  let value = event;
  for (const part of field.split(".")) value = value?.[part];
  if (Array.isArray(value)) return value.join(", ");
  if (value !== null && typeof value === "object") return count(value);
  return value === null || value === undefined ? "" : String(value);
}

/** The text with every evidence span marked: segments between the spans' boundaries, each a
 * text node, inside a <mark> naming its fields where a span covers it. */
function markText(text, events) {
  const spans = events.flatMap((e, i) => e.evidence.map((ev) => ({ ...ev, event: i })));
  const cuts = [...new Set([0, text.length, ...spans.flatMap((s) => [s.start, s.end])])]
    .filter((n) => n >= 0 && n <= text.length).sort((a, b) => a - b);
  const nodes = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const [a, b] = [cuts[k], cuts[k + 1]];
    const piece = text.slice(a, b);
    const over = spans.filter((s) => s.start <= a && s.end >= b);
    if (!over.length) {
      nodes.push(document.createTextNode(piece));
      continue;
    }
    nodes.push(el("mark", {
      title: over.map((s) => `event ${s.event}: ${words(s.field)}`).join("; "),
      dataset: { events: [...new Set(over.map((s) => s.event))].join(" "), fields: over.map((s) => s.field).join(" ") },
    }, piece));
  }
  sourceText.replaceChildren(...nodes);
}

function figureRows(event) {
  const rows = [];
  const quoted = (field) => event.evidence.filter((e) => e.field === field).map((e) => e.text);
  const row = (field, value) => {
    if (value === "" || value === null || value === undefined) return;
    const q = quoted(field);
    rows.push(el("tr", { dataset: { field } }, el("th", { scope: "row" }, words(field)),
      el("td", { class: "num" }, value),
      el("td", {}, q.length ? q.flatMap((t, i) => [i ? " · " : "", el("q", {}, t)]) : el("span", { class: "muted" }, "no words given"))));
  };
  row("date", event.date);
  row("perpetrator", event.perpetrator);
  for (const outcome of ["launched", "destroyed", "hit"]) {
    for (const w of WEAPONS) row(`${outcome}.${w}`, count(event[outcome]?.[w]));
  }
  for (const f of FIGURES) row(f, count(event[f]));
  row("oblasts", (event.oblasts || []).join(", "));
  row("places", (event.places || []).join(", "));
  return rows;
}

function chosen() {
  return [...list.querySelectorAll("input[type=checkbox]:checked")].map((box) => Number(box.value));
}

function selectionChanged() {
  const picked = chosen();
  acceptButton.disabled = picked.length === 0;
  acceptCount.textContent = `${picked.length} selected`;
  for (const mark of sourceText.querySelectorAll("mark")) {
    const of = mark.dataset.events.split(" ").map(Number);
    mark.classList.toggle("chosen", of.some((i) => picked.includes(i)));
  }
}

function show(result, text) {
  proposed = { ...result, text };
  const events = result.events;
  document.getElementById("proposal-summary").textContent =
    `${events.length} event(s) proposed from ${result.source || "an unnamed source"}` +
    `${result.published ? `, published ${result.published}` : ", no publication date"}; text SHA-256 ${result.sha256}`;
  markText(text, events);
  list.replaceChildren(...events.map((event, i) => el("li", { dataset: { event: i } },
    el("label", {},
      el("input", { type: "checkbox", value: i, id: `event-${i}`, onchange: selectionChanged }),
      " ", el("strong", {}, event.kind), ` ${event.date || "(no date)"}`,
      event.perpetrator ? ` by ${event.perpetrator}` : " (attacker not said)"),
    el("table", { class: "figures" }, el("tbody", {}, figureRows(event))))));
  if (!events.length) list.replaceChildren(el("li", { class: "muted" }, "The text proposes no events."));
  review.hidden = false;
  stored.hidden = true;
  selectionChanged();
  document.querySelector("main.extract").dataset.proposed = String(events.length);
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = document.getElementById("text").value;
  const body = {
    text,
    published: document.getElementById("published").value || null,
    source: document.getElementById("source").value.trim() || null,
  };
  try {
    const { items } = await api("/api/v1/extract", { method: "POST", body });
    show(items[0], text);
    notice("Proposed; tick the events to accept.");
  } catch (err) {
    notice(err.message, "error");
  }
});

acceptButton.addEventListener("click", async () => {
  if (!proposed) return;
  const { text, published, source, sha256, proposal } = proposed;
  acceptButton.disabled = true;
  try {
    const done = await api("/api/v1/extract/accept", {
      method: "POST",
      body: { text, published, source, sha256, proposal, events: chosen() },
    });
    const items = done.events.map((e) => el("li", { dataset: { event: e.event } },
      `event ${e.event}: `,
      e.report ? ["report ", el("code", { class: "report-id" }, e.report)] : "no report",
      e.tally ? [", tally ", el("code", { class: "tally-id" }, `mission/${e.tally}`)] : "",
      e.note ? el("div", { class: "muted" }, e.note) : null));
    const newly = done.reports.stored.length + done.tallies.stored.length;
    items.push(el("li", { class: "muted" },
      `${done.reports.stored.length} report(s) and ${done.tallies.stored.length} tally(ies) stored; ` +
      `${done.reports.unchanged.length + done.tallies.unchanged.length} stored before`));
    storedList.replaceChildren(...items);
    stored.hidden = false;
    document.querySelector("main.extract").dataset.accepted = String(newly);
    notice(newly ? "Stored." : "Stored before: nothing new.");
  } catch (err) {
    notice(err.message, "error");
  } finally {
    selectionChanged();
  }
});

document.body.dataset.ready = "1";

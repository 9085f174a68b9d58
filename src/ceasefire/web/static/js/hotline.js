// The hotline inbox: what the caller owes first, deadlines counting down; acknowledge one or
// many, answer with a position and reasons, send a query, a request or an agenda item.
import { api, el, notice, party, role, when } from "/static/js/common.js";

// The caller's hotline address (publish.access.hotline_address): its party, else the mediator
// or the mission.
const address = party || (role === "mediator" ? "mediator" : "mission");

const body = document.querySelector("#inbox tbody");
const selected = new Set();
// What the caller owes, overdue first by deadline, then the rest of its traffic (paged).
const OWED = "/api/v1/hotline/messages?order=owed&limit=100";
// What it still owes in time, soonest deadline first: shown above the rest, so that after a
// flood a fresh line check or notification is not buried under pages of overdue traffic.
const IN_TIME = "/api/v1/hotline/messages?order=owed&state=open&limit=100";
let next = OWED;
let messages = [];
let inTime = [];

function mineOf(m) {
  return m.recipients_progress?.[address] || (m.recipients.includes(address) ? m : {});
}

function due(m) {
  const mine = mineOf(m);
  if (mine.state === "open" || mine.state === "overdue") return m.ack_due;
  if (mine.state === "acknowledged") return m.answer_due;
  return null;
}

function countdown(iso) {
  if (!iso) return "";
  const left = (new Date(iso).getTime() - Date.now()) / 60000;
  if (left < 0) return `overdue by ${Math.round(-left)} min`;
  if (left < 120) return `${Math.round(left)} min left`;
  return when(iso);
}

function row(m) {
  const addressed = m.recipients.includes(address);
  const mine = addressed ? mineOf(m) : m;
  const owed = addressed && (mine.state === "open" || mine.state === "overdue") && Boolean(m.ack_due);
  const box = el("input", {
    type: "checkbox", "aria-label": `Select ${m.id}`, disabled: !owed, checked: selected.has(m.id),
    onchange: (e) => { e.target.checked ? selected.add(m.id) : selected.delete(m.id); counts(); },
  });
  const ack = owed ? el("button", { type: "button", class: "ack", onclick: () => acknowledge([m.id]) }, "Acknowledge") : null;
  const answer = addressed && m.answer_due && !mine.answered_at ? el("button", { type: "button", class: "answer", onclick: () => {
    document.getElementById("answer-id").value = m.id;
    document.getElementById("answer-form").scrollIntoView();
  } }, "Answer") : null;
  return el("tr", { dataset: { id: m.id, state: mine.state || "" }, class: mine.state || "" },
    el("td", {}, box),
    el("td", {}, el("b", {}, m.id), el("br"), el("small", {}, m.subject || m.text?.slice(0, 120) || "")),
    el("td", {}, m.kind),
    el("td", {}, m.sender),
    el("td", {}, m.incident_id ? el("a", { href: `/incidents/${encodeURIComponent(m.incident_id)}` }, m.incident_id) : ""),
    el("td", { class: "state" }, mine.state || ""),
    el("td", { class: "due" }, countdown(due(m))),
    el("td", {}, ack, answer));
}

function counts() {
  document.getElementById("selected-count").textContent = `${selected.size} selected`;
}

function section(text) {
  return el("tr", { class: "section" }, el("th", { colspan: "8", scope: "rowgroup" }, text));
}

function render() {
  const first = new Set(inTime.map((m) => m.id));
  const rest = messages.filter((m) => !first.has(m.id));
  body.replaceChildren(
    section(`Due, in time: soonest deadline first (${inTime.length})`), ...inTime.map(row),
    section(`Overdue first, by deadline; then the rest of the traffic, newest first (${rest.length} shown${next ? "; More pages on" : ""})`),
    ...rest.map(row));
  counts();
  document.body.dataset.ready = "1";
  document.body.dataset.shown = String(first.size + rest.length);
}

async function more() {
  try {
    const page = await api(next);
    messages.push(...page.messages);
    next = page.next || null;
    document.getElementById("more").hidden = !next;
    render();
  } catch (err) {
    notice(err.message, "error");
    document.body.dataset.ready = "1";
  }
}

async function reload() {
  next = OWED;
  messages = [];
  selected.clear();
  try {
    inTime = (await api(IN_TIME)).messages.filter((m) => m.recipients.includes(address));
  } catch (err) {
    notice(err.message, "error");
    inTime = [];
  }
  await more();
}

async function acknowledge(ids) {
  if (ids.length === 0) {
    notice("Select the messages to acknowledge first.", "error");
    return;
  }
  try {
    const done = await api("/api/v1/hotline/messages/ack", { method: "POST", body: { ids } });
    notice(`Acknowledged ${done.acknowledged} message${done.acknowledged === 1 ? "" : "s"}.`);
    await reload();
  } catch (err) {
    notice(err.message, "error");
  }
}

document.getElementById("ack-selected").addEventListener("click", () => acknowledge([...selected]));
document.getElementById("select-all").addEventListener("change", (e) => {
  for (const input of body.querySelectorAll("input[type=checkbox]:not([disabled])")) {
    input.checked = e.target.checked;
    const id = input.closest("tr").dataset.id;
    e.target.checked ? selected.add(id) : selected.delete(id);
  }
  counts();
});
document.getElementById("more").addEventListener("click", more);

const answerForm = document.getElementById("answer-form");
answerForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(answerForm));
  const id = data.message_id.trim();
  const payload = { position: data.position };
  if (data.reasons.trim()) payload.reasons = data.reasons.trim();
  try {
    await api(`/api/v1/hotline/messages/${encodeURIComponent(id)}/answer`, { method: "POST", body: payload });
    notice(`Answered ${id}: ${data.position}.`);
    answerForm.reset();
    await reload();
  } catch (err) {
    notice(err.message, "error");
  }
});

const sendForm = document.getElementById("send-form");
sendForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(sendForm));
  const payload = {
    kind: data.kind,
    recipients: data.recipients.split(",").map((s) => s.trim()).filter(Boolean),
    subject: data.subject,
    text: data.text,
  };
  if (data.incident_id.trim()) payload.incident_id = data.incident_id.trim();
  if (data.topic) payload.topic = data.topic;
  // A place or a window only when given: the library says plainly which a request lacks.
  if (data.lon !== "" || data.lat !== "") {
    payload.place = { lon: Number(data.lon), lat: Number(data.lat), radius_m: Number(data.radius_m || 0) };
  }
  // The inputs hold a wall time with no zone; the form says UTC, and the API wants an offset.
  const utc = (v) => (v.length === 16 ? `${v}:00+00:00` : `${v}+00:00`);
  if (data.from || data.to) payload.window = { from: utc(data.from), to: utc(data.to) };
  try {
    const sent = await api("/api/v1/hotline/messages", { method: "POST", body: payload });
    notice(`Sent ${sent.id}.`);
    sendForm.reset();
    await reload();
  } catch (err) {
    notice(err.message, "error");
  }
});

setInterval(() => { for (const cell of body.querySelectorAll("tr")) {
  const m = messages.find((x) => x.id === cell.dataset.id);
  if (m) cell.querySelector(".due").textContent = countdown(due(m));
} }, 30000);

reload();

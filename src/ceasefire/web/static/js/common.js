// What every page's script shares: the JSON API with the session cookie and the form token,
// small DOM helpers, and the words and colours the pages use for statuses.

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";

export const csrf = meta("csrf-token");
export const csrfHeader = meta("csrf-header") || "X-CSRF-Token";
export const can = JSON.parse(document.body.dataset.can || "{}");
export const role = document.body.dataset.role;
export const party = document.body.dataset.party || null;

/** Read or change through the API; the error's message is the API's own (it names the field). */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers[csrfHeader] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = data?.error;
    const problems = (error?.problems || []).map((p) => `${p.field}: ${p.reason}`).join("; ");
    const err = new Error(`${error?.message || response.statusText}${problems && !error?.message?.includes(problems) ? ` (${problems})` : ""}`);
    err.status = response.status;
    throw err;
  }
  return data;
}

/** An element with attributes (``on*`` as listeners) and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Say something in the page's status line (errors stay until the next message). */
export function notice(text, kind = "info") {
  const box = document.getElementById("notice");
  if (!box) return;
  box.textContent = text;
  box.className = kind;
}

/** A time as the mission writes it: UTC, to the minute. */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export const STATUS_COLOURS = {
  reported: "#8c8c8c",
  corroborated: "#e0a800",
  verified: "#c0392b",
  disputed: "#7d3c98",
  unfounded: "#2e86c1",
  withdrawn: "#5d6d7e",
};

/** A shape per event family, drawn as a character (no sprite or icon server). */
export const TYPE_SHAPES = {
  shelling: "●", small_arms: "•", explosion: "✸", drone_strike: "▲", missile_strike: "◆",
  air_strike: "◆", air_attack: "▲", infrastructure_damage: "■", weapon_sighting: "□",
  armed_presence: "○", military_movement: "→", drone_overflight: "△", mine: "✕", other: "?",
};

/** Parse a JSON list or object the OGC properties carry as text (for GIS clients). */
export function listOf(value) {
  if (Array.isArray(value)) return value;
  if (!value) return [];
  try { return JSON.parse(value); } catch { return []; }
}

/** What every map of the pages draws first: the sea, the land (Natural Earth, built into the
 * package) and the agreement's layers (served by the service), no tile or glyph server. */
export const BASE_SOURCES = {
  basemap: { type: "geojson", data: "/static/vendor/basemap.json" },
  agreement: { type: "geojson", data: "/web/agreement.geojson" },
};
export const BASE_LAYERS = [
  { id: "sea", type: "background", paint: { "background-color": "#dbe7ef" } },
  { id: "land", type: "fill", source: "basemap", paint: { "fill-color": "#f4f1ea" } },
];

/** A count as the API gives it (a number, or ``{min, max}`` with ``max`` null when unbounded)
 * as the mission prints it: "396", "360–399", "≥ 301"; "" when not published. */
export function count(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  if (value.max === null || value.max === undefined) return `≥ ${value.min}`;
  return value.min === value.max ? String(value.min) : `${value.min}–${value.max}`;
}

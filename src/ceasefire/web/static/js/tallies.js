// The tallies of a night: each attack's accounts side by side with how far apart they are and
// the mission's record beside them (GET /api/v1/tallies/reconcile), and a chart of nights for one
// issuer's account of one attacker's attacks (GET /api/v1/tallies/series), drawn here as SVG.
import { api, count, el, notice, when } from "/static/js/common.js";

const main = document.querySelector("main.tallies");
const { since, until } = main.dataset;

// The order and words of an account's figures (ceasefire.tallies.reconcile.Attack.figures:
// families of ACCOUNT_FAMILIES, counts of model.LINE_COUNTS, then TALLY_FIGURES).
const FAMILIES = { all: "all weapons", drones: "drones", missiles: "missiles" };
const COUNTS = {
  launched: "launched", destroyed: "destroyed", suppressed: "suppressed (EW)", lost: "lost from radar",
  hit: "hit", airborne: "still airborne", crossed_border: "crossed a border",
};
const OTHERS = {
  locations_hit: "locations hit", locations_debris: "locations with debris", regions_count: "regions",
  killed: "killed", injured: "injured",
};
const ORDER = [
  ...Object.keys(FAMILIES).flatMap((f) => Object.keys(COUNTS).map((c) => `${f}.${c}`)),
  ...Object.keys(OTHERS),
];

function label(figure) {
  const [family, name] = figure.split(".");
  if (name !== undefined) return `${FAMILIES[family] || family} ${COUNTS[name] || name.replaceAll("_", " ")}`;
  return OTHERS[figure] || figure.replaceAll("_", " ");
}

function rank(figure) {
  const i = ORDER.indexOf(figure);
  return i < 0 ? ORDER.length : i;
}

// -- the night's accounts --------------------------------------------------------------------

/** How far apart two accounts of a figure are (reconcile.Difference: a − b lies in [least,
 * most], size the gap at the least): "agree", or the gap ("≥" when the intervals allow more),
 * with whose figure is higher. */
function apart(d) {
  if (d.agrees) return el("span", { class: "agree" }, "agree");
  const aHigher = d.least !== null && d.least > 0;
  const widest = aHigher ? d.most : d.least === null ? null : -d.least;
  return el("span", { class: "apart", title: `${d.a} − ${d.b}: from ${d.least ?? "−∞"} to ${d.most ?? "∞"}` },
    widest === d.size ? String(d.size) : `≥ ${d.size}`, " ", el("small", {}, `${aHigher ? d.a : d.b} higher`));
}

function accountHead(issuer, account, stored) {
  const tally = stored?.tally;
  const flags = stored?.flags || [];
  return el("th", { scope: "col", dataset: { issuer } },
    el("span", { class: "issuer" }, issuer), el("br"),
    el("small", { class: "tally-id" }, account.tally),
    tally?.supersedes ? el("div", { class: "corrected" }, `corrected version (supersedes ${tally.supersedes})`) : null,
    account.scope !== "national" ? el("div", {}, account.scope) : null,
    flags.length
      ? el("ul", { class: "flags" }, flags.map((f) => el("li", { title: f.field }, `⚑ ${f.message}`)))
      : el("div", { class: "no-flags" }, "no flags"));
}

function attackSection(attack, stored) {
  const issuers = Object.keys(attack.accounts);
  const figures = [...new Set(issuers.flatMap((i) => Object.keys(attack.accounts[i].figures)))];
  figures.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const head = el("tr", {}, el("th", { scope: "col" }, "figure"),
    issuers.map((i) => accountHead(i, attack.accounts[i], stored.get(`${i}/${attack.accounts[i].tally}`))),
    el("th", { scope: "col" }, "apart"));
  const rows = figures.map((figure) => {
    const diffs = attack.differences.filter((d) => d.figure === figure);
    const gap = diffs.length === 0 ? "—"
      : diffs.length === 1 ? apart(diffs[0])
        : el("ul", { class: "pairs" }, diffs.map((d) => el("li", {}, `${d.a}–${d.b}: `, apart(d))));
    return el("tr", { dataset: { figure } }, el("th", { scope: "row" }, label(figure)),
      issuers.map((i) => el("td", { class: "num", dataset: { issuer: i } }, count(attack.accounts[i].figures[figure]))),
      el("td", { class: "gap" }, gap));
  });
  const others = attack.other_tallies.length
    ? el("p", { class: "muted" }, `Also entered for this attack, not counted: ${attack.other_tallies.join(", ")} (earlier or overlapping tallies of the same issuers).`)
    : null;
  return el("section", { class: "attack", dataset: { attacker: attack.attacker } },
    el("h2", {}, `${attack.attacker}'s attack`, " ", el("small", {}, `${when(attack.window_from)} to ${when(attack.window_to)}`)),
    el("table", { class: "accounts" }, el("thead", {}, head), el("tbody", {}, rows)),
    others,
    record(attack));
}

function record(attack) {
  const r = attack.record;
  const oblasts = Object.entries(r.by_oblast);
  const rows = Object.entries(r.accounts).map(([issuer, a]) => {
    const hit = a.locations_hit_against_strikes;
    return el("tr", { dataset: { issuer } }, el("th", { scope: "row" }, issuer),
      el("td", {}, a.regions_only_in_account.join(", ") || "none"),
      el("td", {}, a.regions_only_in_record.join(", ") || "none"),
      el("td", {}, hit ? [`${count(hit.a_value)} against ${count(hit.b_value)} `, apart({ ...hit, a: issuer, b: "record" })] : "—"));
  });
  return el("div", { class: "record" },
    el("h3", {}, "The mission's record"),
    el("p", {}, `${r.strikes} strike incident${r.strikes === 1 ? "" : "s"} of ${attack.attacker} in the window, as you may see them`,
      oblasts.length ? ": " : ".",
      oblasts.length ? el("span", { class: "by-oblast" }, oblasts.map(([o, n]) => `${o} ${n}`).join(", ")) : null),
    el("table", { class: "against" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "account"), el("th", { scope: "col" }, "regions only in the account"),
        el("th", { scope: "col" }, "regions only in the record"), el("th", { scope: "col" }, "locations hit against strikes recorded"))),
      el("tbody", {}, rows)));
}

async function night() {
  const q = `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`;
  // Every version of the night's tallies: whether an account is a correction, and its flags.
  const [reconciled, listed] = await Promise.all([
    api(`/api/v1/tallies/reconcile?${q}`),
    api(`/api/v1/tallies?${q}&all=true`),
  ]);
  const stored = new Map(listed.items.map((s) => [`${s.tally.issuer}/${s.tally.id}`, s]));
  const box = document.getElementById("attacks");
  box.replaceChildren(...(reconciled.items.length
    ? reconciled.items.map((a) => attackSection(a, stored))
    : [el("p", {}, "No tallies for this night.")]));
}

// -- the chart of nights ---------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const low = (v) => (v === null || v === undefined ? null : typeof v === "number" ? v : v.min);
const high = (v) => (v === null || v === undefined ? null : typeof v === "number" ? v : v.max);

/** A round step for about ``n`` ticks up to ``top``. */
function ticks(top, n = 4) {
  const raw = Math.max(top, 1) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  return Array.from({ length: Math.ceil(Math.max(top, 1) / step) + 1 }, (_, i) => i * step);
}

function nightLabel(row) {
  // The window's start as the issuer wrote it (its own offset): the night's date.
  const [, m, d] = row.window_from.slice(0, 10).split("-");
  return `${Number(d)} ${["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][Number(m) - 1]}`;
}

const PANELS = [["drones", "Drones"], ["missiles", "Missiles"]];

function chart(rows, width) {
  const margin = { left: 48, right: 48, top: 44, bottom: 34 };
  const panelH = 150;
  const gapH = 46;
  const height = margin.top + PANELS.length * panelH + (PANELS.length - 1) * gapH + margin.bottom;
  const plotW = width - margin.left - margin.right;
  const band = plotW / Math.max(rows.length, 1);
  const barW = Math.max(3, Math.min(22, band / 3));
  const labelEvery = Math.ceil(rows.length / Math.max(1, Math.floor(plotW / 46)));
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", class: "nights", "aria-labelledby": "chart-title" },
    svg("title", { id: "chart-title" }, "Launched and destroyed per night, and the interception rate"));
  // The legend, once, above the panels.
  const legend = svg("g", { class: "legend", transform: `translate(${margin.left},14)` },
    svg("rect", { x: 0, y: -8, width: 10, height: 10, class: "bar launched" }), svg("text", { x: 14, y: 1 }, "launched"),
    svg("rect", { x: 80, y: -8, width: 10, height: 10, class: "bar destroyed" }), svg("text", { x: 94, y: 1 }, "destroyed"),
    svg("rect", { x: 170, y: -8, width: 10, height: 10, class: "bar open" }), svg("text", { x: 184, y: 1 }, "as far as the interval allows"),
    svg("circle", { cx: 370, cy: -3, r: 4, class: "rate" }), svg("text", { x: 378, y: 1 }, "intercepted (%), with its interval"));
  root.append(legend);
  const groups = rows.map((row, i) => svg("g", { class: "night", "data-tally": row.tally, "data-night": row.window_from.slice(0, 10) }));
  PANELS.forEach(([family, title], p) => {
    const y0 = margin.top + p * (panelH + gapH);  // the panel's top
    const values = rows.flatMap((r) => [low(r.launched[family]), high(r.launched[family]), low(r.destroyed[family]), high(r.destroyed[family])]);
    const top = Math.max(1, ...values.filter((v) => v !== null));
    const grid = ticks(top);
    const max = grid[grid.length - 1];
    const y = (v) => y0 + panelH - (v / max) * panelH;
    const yRate = (r) => y0 + panelH - r * panelH;
    const axes = svg("g", { class: "axes" },
      svg("text", { x: margin.left, y: y0 - 6, class: "panel-title" }, title),
      grid.map((t) => [
        svg("line", { x1: margin.left, x2: width - margin.right, y1: y(t), y2: y(t), class: "grid" }),
        svg("text", { x: margin.left - 6, y: y(t) + 4, class: "tick", "text-anchor": "end" }, String(t)),
      ]),
      [0, 0.5, 1].map((r) => svg("text", { x: width - margin.right + 6, y: yRate(r) + 4, class: "tick rate-tick" }, `${r * 100}%`)),
      svg("text", { x: 12, y: y0 + panelH / 2, class: "axis-title", transform: `rotate(-90 12 ${y0 + panelH / 2})`, "text-anchor": "middle" }, "count"),
      svg("text", { x: width - 8, y: y0 + panelH / 2, class: "axis-title", transform: `rotate(90 ${width - 8} ${y0 + panelH / 2})`, "text-anchor": "middle" }, "intercepted"),
      svg("line", { x1: margin.left, x2: width - margin.right, y1: y0 + panelH, y2: y0 + panelH, class: "axis" }));
    root.append(axes);
    const points = [];
    rows.forEach((row, i) => {
      const cx = margin.left + band * i + band / 2;
      const g = groups[i];
      [["launched", -barW], ["destroyed", 0]].forEach(([name, dx]) => {
        const v = row[name][family];
        if (v === null || v === undefined) return;
        const lo = low(v);
        const hi = high(v);
        const x = cx + dx - (dx === 0 ? 0 : 1);
        g.append(svg("rect", { x, y: y(lo), width: barW, height: y(0) - y(lo), class: `bar ${name}` },
          svg("title", {}, `${title} ${name}: ${count(v)}`)));
        if (hi !== lo) {  // the interval above what is certain; unbounded: to the panel's top
          const upto = hi === null ? max : hi;
          g.append(svg("rect", { x, y: y(upto), width: barW, height: y(lo) - y(upto), class: `bar open ${name}` }));
        }
      });
      const rate = row.rates[family]?.interception;
      if (rate) {
        const mid = (rate.min + rate.max) / 2;
        points.push([cx + barW / 2, yRate(mid)]);
        g.append(svg("line", { x1: cx + barW / 2, x2: cx + barW / 2, y1: yRate(rate.min), y2: yRate(rate.max), class: "rate-interval" }),
          svg("circle", { cx: cx + barW / 2, cy: yRate(mid), r: 3.5, class: "rate" },
            svg("title", {}, `${title} intercepted: ${pct(rate)}`)));
      }
      if (p === PANELS.length - 1 && i % labelEvery === 0) {
        g.append(svg("text", { x: cx, y: y0 + panelH + 16, class: "tick", "text-anchor": "middle" }, nightLabel(row)));
      }
    });
    if (points.length > 1) root.append(svg("polyline", { points: points.map((pt) => pt.join(",")).join(" "), class: "rate-line" }));
  });
  root.append(...groups);
  return root;
}

function pct(rate) {
  if (!rate) return "";
  const lo = (100 * rate.min).toFixed(1);
  const hi = (100 * rate.max).toFixed(1);
  return lo === hi ? `${lo} %` : `${lo}–${hi} %`;
}

function table(rows) {
  const head = ["night", "tally", "drones launched", "drones destroyed", "drones intercepted",
    "missiles launched", "missiles destroyed", "missiles intercepted"];
  return el("table", { class: "chart-numbers" },
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", { dataset: { tally: r.tally } },
      el("th", { scope: "row" }, r.window_from.slice(0, 10)), el("td", {}, r.tally),
      ["drones", "missiles"].flatMap((f) => [
        el("td", { class: "num" }, count(r.launched[f])), el("td", { class: "num" }, count(r.destroyed[f])),
        el("td", { class: "num" }, pct(r.rates[f]?.interception)),
      ])))));
}

let shown = [];
function drawChart() {
  const box = document.getElementById("chart");
  if (!shown.length) {
    box.replaceChildren(el("p", {}, "No national tallies to chart."));
    return;
  }
  box.replaceChildren(chart(shown, Math.max(320, Math.floor(box.clientWidth))));
}

async function nights() {
  const choice = document.getElementById("series").value;
  if (!choice) {
    shown = [];
  } else {
    const [issuer, attacker] = choice.split("/");
    const q = `issuer=${encodeURIComponent(issuer)}&attacker=${encodeURIComponent(attacker)}`;
    // National tallies only: a regional command's count is part of the nation's, not a night.
    shown = (await api(`/api/v1/tallies/series?${q}`)).items.filter((r) => r.scope === "national");
  }
  drawChart();
  document.getElementById("chart-table").replaceChildren(table(shown));
}

// -- controls --------------------------------------------------------------------------------

document.getElementById("night").addEventListener("change", () => document.getElementById("night-form").submit());
document.getElementById("night-go").hidden = true;  // the picker goes on change
document.getElementById("series").addEventListener("change", () => nights().catch((err) => notice(err.message, "error")));
let resized = null;
window.addEventListener("resize", () => {
  clearTimeout(resized);
  resized = setTimeout(drawChart, 150);
});

async function start() {
  try {
    await Promise.all([night(), nights()]);
  } catch (err) {
    notice(err.message, "error");
  }
  document.body.dataset.ready = "1";
}

start();

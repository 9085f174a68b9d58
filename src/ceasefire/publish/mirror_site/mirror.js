// The public mirror's check, in the browser (docs/publish.md). Everything is recomputed here
// from this folder's files with WebCrypto: the log's Ed25519 signature on its checkpoint
// (C2SP signed-note), the cosigners' cosignature/v1 lines (C2SP tlog-cosignature), the
// consistency of every published checkpoint with the next (RFC 9162 2.1.4.2), each incident's
// leaves against the checkpoint's root (RFC 9162 2.1.3.2, SHA-256 with the 0x00/0x01 leaf and
// node prefixes of 2.1.1), and every file's SHA-256 against manifest.json.
"use strict";

(() => {
  // RFC 9162 2.1.1: a leaf is hashed behind 0x00, an interior node behind 0x01.
  const LEAF_PREFIX = 0x00;
  const NODE_PREFIX = 0x01;
  // C2SP signed-note signature types.
  const ED25519 = 0x01;
  const COSIGNATURE_V1 = 0x04;
  const FORMAT = 1;

  const utf8 = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });

  const b64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const toB64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const leafHash = (bytes) => sha256(concat(Uint8Array.of(LEAF_PREFIX), bytes));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(NODE_PREFIX), left, right));
  // Tree sizes pass 2^31, where JavaScript's bit operators stop: halve and test with arithmetic.
  const half = (n) => Math.floor(n / 2);
  const odd = (n) => n % 2 === 1;

  class Failure extends Error {}
  const fail = (message) => {
    throw new Failure(message);
  };

  // -- files ---------------------------------------------------------------------------------

  const files = new Map(); // path -> bytes, each fetched once

  async function fetchBytes(path) {
    if (!files.has(path)) {
      files.set(
        path,
        (async () => {
          const answer = await fetch(path, { cache: "no-store" });
          if (!answer.ok) fail(`${path}: not found (HTTP ${answer.status})`);
          return new Uint8Array(await answer.arrayBuffer());
        })(),
      );
    }
    return files.get(path);
  }
  const fetchText = async (path) => decoder.decode(await fetchBytes(path));
  const fetchJson = async (path) => JSON.parse(await fetchText(path));

  // -- keys and notes (C2SP signed-note, tlog-checkpoint, tlog-cosignature) ------------------

  async function parseKey(text) {
    // name+keyid+base64: names hold no "+", base64 may.
    const match = /^([^+\s]+)\+([0-9a-fA-F]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
    if (!match) fail(`a key must read name+keyid+key, got ${text.trim()}`);
    const [, name, id, material] = match;
    const raw = b64(material);
    const type = raw[0];
    const key = raw.slice(1);
    if (key.length !== 32) fail(`${name}: an Ed25519 key is 32 bytes, got ${key.length}`);
    // signed-note: key ID = SHA-256(name || 0x0A || type || public key)[:4].
    const digest = await sha256(concat(utf8.encode(name + "\n"), Uint8Array.of(type), key));
    if (hex(digest.slice(0, 4)) !== id.toLowerCase()) {
      fail(`${name}: the key ID ${id} does not match the name and key (${hex(digest.slice(0, 4))})`);
    }
    const imported = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, [
      "verify",
    ]);
    return { name, id: digest.slice(0, 4), type, key: imported, text: text.trim() };
  }

  function splitNote(note) {
    const split = note.lastIndexOf("\n\n");
    if (split < 0) fail("the note has no blank line before its signatures");
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2).split("\n").filter((line) => line !== "");
    const signatures = lines.map((line) => {
      if (!line.startsWith("\u2014 ")) fail(`a signature line must start with an em dash: ${line}`);
      const rest = line.slice(2);
      const space = rest.lastIndexOf(" ");
      const raw = b64(rest.slice(space + 1));
      return { name: rest.slice(0, space), id: raw.slice(0, 4), payload: raw.slice(4) };
    });
    return { text, signatures };
  }

  function parseCheckpoint(text) {
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3) fail("a checkpoint has an origin, a size and a root");
    if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) fail(`the checkpoint's size ${lines[1]} is not a number`);
    const root = b64(lines[2]);
    if (root.length !== 32) fail("the checkpoint's root is not 32 bytes");
    return { origin: lines[0], size: Number(lines[1]), root };
  }

  const signatureOf = (note, key) =>
    note.signatures.find((s) => s.name === key.name && same(s.id, key.id));

  // A checkpoint note signed by the log: its parsed body, or a Failure naming what is wrong.
  async function openCheckpoint(noteText, log) {
    const note = splitNote(noteText);
    const line = signatureOf(note, log);
    if (!line) fail(`no signature by the log key ${log.name}`);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, log.key, line.payload, utf8.encode(note.text));
    if (!ok) fail(`the log's signature (${log.name}) does not verify`);
    const checkpoint = parseCheckpoint(note.text);
    if (checkpoint.origin !== log.name) fail(`the checkpoint's origin ${checkpoint.origin} is not the log's`);
    return { ...checkpoint, note };
  }

  // tlog-cosignature: payload = u64 timestamp || Ed25519 over "cosignature/v1\ntime T\n" + body.
  async function checkCosignature(note, cosigner) {
    const line = signatureOf(note, cosigner);
    if (!line) return { name: cosigner.name, state: "absent" };
    if (line.payload.length !== 72) fail(`${cosigner.name}: a cosignature is 72 bytes`);
    let time = 0n;
    for (const b of line.payload.slice(0, 8)) time = time * 256n + BigInt(b);
    const message = utf8.encode(`cosignature/v1\ntime ${time}\n${note.text}`);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, cosigner.key, line.payload.slice(8), message);
    if (!ok) fail(`the cosignature of ${cosigner.name} does not verify`);
    return { name: cosigner.name, state: "verified", time: new Date(Number(time) * 1000) };
  }

  // -- RFC 9162 proofs -------------------------------------------------------------------------

  async function verifyInclusion(leaf, index, size, proof, root) {
    if (!(index >= 0 && index < size)) fail(`leaf ${index} is not in a tree of size ${size}`);
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0) fail(`the inclusion proof of leaf ${index} is too long`);
      if (odd(fn) || fn === sn) {
        r = await nodeHash(p, r);
        while (fn !== 0 && !odd(fn)) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    if (sn !== 0) fail(`the inclusion proof of leaf ${index} is too short`);
    if (!same(r, root)) {
      fail(`the inclusion proof of leaf ${index} leads to another root (${toB64(r)}), not the checkpoint's`);
    }
  }

  async function verifyConsistency(size1, size2, proof, root1, root2) {
    if (size1 === 0) {
      // Every tree extends the empty one, whose root is SHA-256 of nothing (RFC 9162 2.1.1).
      if (proof.length || !same(root1, await sha256(new Uint8Array(0)))) fail("a checkpoint of size 0 is not the empty tree's");
      return;
    }
    if (size1 > size2) fail(`no consistency proof from size ${size1} to ${size2}`);
    if (size1 === size2) {
      if (proof.length || !same(root1, root2)) fail(`two different trees of size ${size1}`);
      return;
    }
    const path = proof.slice();
    let power = size1;
    while (!odd(power)) power = half(power);
    if (power === 1) path.unshift(root1); // the old tree is a complete subtree: its root seeds
    let fn = size1 - 1;
    let sn = size2 - 1;
    while (odd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) fail("the consistency proof is too long");
      if (odd(fn) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (fn !== 0 && !odd(fn)) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    if (sn !== 0) fail("the consistency proof is too short");
    if (!same(fr, root1)) fail(`the consistency proof does not lead to the root of size ${size1}`);
    if (!same(sr, root2)) fail(`the consistency proof does not lead to the root of size ${size2}`);
  }

  // -- the page ----------------------------------------------------------------------------------

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const child of children) node.append(child);
    return node;
  };
  const reason = (error) => (error instanceof Failure ? error.message : `${error.name}: ${error.message}`);

  function statusCell(problems, okText = "verified", extra = "") {
    const cell = el("td");
    const state = problems.length ? "failed" : "verified";
    cell.append(el("span", { class: `status ${state}` }, problems.length ? "failed" : okText));
    if (extra) cell.append(" ", extra);
    if (problems.length) cell.append(el("ul", { class: "problems" }, ...problems.map((p) => el("li", {}, p))));
    return cell;
  }

  async function checkManifest(manifest) {
    const results = new Map(); // path -> problem or null
    await Promise.all(
      Object.entries(manifest.files).map(async ([path, want]) => {
        try {
          const got = hex(await sha256(await fetchBytes(path)));
          results.set(path, got === want ? null : `${path}: its SHA-256 ${got} is not the manifest's ${want}`);
        } catch (error) {
          results.set(path, reason(error));
        }
      }),
    );
    return results;
  }

  async function run() {
    // WebCrypto exists only in a secure context: a page served over https://, or from this
    // machine (localhost, 127.0.0.1). Over plain http:// from elsewhere nothing can be checked.
    if (!window.crypto || !window.crypto.subtle) {
      fail(
        "this browser offers no WebCrypto here: open the mirror over https:// (or from localhost), " +
          "where signatures and hashes can be checked",
      );
    }
    const problems = [];
    const manifest = await fetchJson("manifest.json");
    const index = await fetchJson("mirror.json");
    if (index.format !== FORMAT) fail(`this page reads mirror format ${FORMAT}, the folder is ${index.format}`);
    const hashes = await checkManifest(manifest);
    const fileProblem = (path) => (path in manifest.files ? hashes.get(path) : `${path}: not in the manifest`);
    for (const [path, problem] of hashes) if (problem) problems.push(problem);
    for (const p of ["mirror.json", index.keys.log, "checkpoint.txt"]) {
      const problem = fileProblem(p);
      if (problem && !(p in manifest.files)) problems.push(problem);
    }

    // The log's key and the checkpoint.
    const log = await parseKey(await fetchText(index.keys.log));
    if (log.type !== ED25519) fail(`the log key ${log.name} is not an Ed25519 note key`);
    if (log.text !== index.keys.log_key) problems.push("keys/log.vkey is not the key mirror.json names");
    let checkpoint = null;
    const dl = document.getElementById("checkpoint");
    try {
      checkpoint = await openCheckpoint(await fetchText("checkpoint.txt"), log);
      if (checkpoint.size !== index.checkpoint.size || toB64(checkpoint.root) !== index.checkpoint.root) {
        fail("mirror.json names another checkpoint than checkpoint.txt");
      }
    } catch (error) {
      problems.push(`checkpoint.txt: ${reason(error)}`);
    }
    const cosigned = [];
    if (checkpoint) {
      for (const [name, path] of Object.entries(index.keys.cosigners)) {
        try {
          const cosigner = await parseKey(await fetchText(path));
          if (cosigner.type !== COSIGNATURE_V1) fail(`${name}: not a cosignature/v1 key`);
          cosigned.push(await checkCosignature(checkpoint.note, cosigner));
        } catch (error) {
          problems.push(`cosignature: ${reason(error)}`);
          cosigned.push({ name, state: "failed" });
        }
      }
    }
    const row = (term, value) => dl.append(el("dt", {}, term), el("dd", {}, value));
    row("Log", el("code", {}, log.text));
    if (checkpoint) {
      row("Tree size", String(checkpoint.size));
      row("Root", el("code", {}, toB64(checkpoint.root)));
      row("Log signature", el("span", { class: "status verified", id: "log-signature" }, "verified"));
    } else {
      row("Log signature", el("span", { class: "status failed", id: "log-signature" }, "failed"));
    }
    row(
      "Cosigned by",
      cosigned.length
        ? cosigned.map((c) => `${c.name}: ${c.state}${c.time ? ` (${c.time.toISOString()})` : ""}`).join("; ")
        : "no cosigner keys published",
    );
    row("Published", index.published_at);

    // Every published checkpoint, and the log only grew from each to the next.
    const tbody = document.querySelector("#history tbody");
    const roots = new Map();
    for (const item of index.checkpoints) {
      const mine = [];
      try {
        const opened = await openCheckpoint(await fetchText(item.note), log);
        if (opened.size !== item.size) fail(`${item.note} holds the checkpoint of size ${opened.size}`);
        roots.set(item.size, opened.root);
      } catch (error) {
        mine.push(`${item.note}: ${reason(error)}`);
      }
      for (const link of index.consistency.filter((c) => c.to === item.size)) {
        try {
          const doc = await fetchJson(link.file);
          if (!roots.has(link.from) || !roots.has(link.to)) fail(`${link.file}: a checkpoint it joins did not verify`);
          if (doc.from.size !== link.from || doc.to.size !== link.to) fail(`${link.file}: names other sizes`);
          await verifyConsistency(link.from, link.to, doc.proof.map(b64), roots.get(link.from), roots.get(link.to));
        } catch (error) {
          mine.push(`${link.file}: ${reason(error)}`);
        }
      }
      if (checkpoint && item.size === checkpoint.size && roots.has(item.size) && !same(roots.get(item.size), checkpoint.root)) {
        mine.push(`${item.note}: another root than checkpoint.txt for the same size`);
      }
      problems.push(...mine);
      const since = index.consistency.find((c) => c.to === item.size);
      tbody.append(
        el(
          "tr",
          { "data-size": String(item.size) },
          el("td", {}, el("a", { href: item.note }, String(item.size))),
          el("td", { class: "hash" }, roots.has(item.size) ? toB64(roots.get(item.size)) : "?"),
          statusCell(mine, "verified", since ? `grew from ${since.from}` : "first published"),
        ),
      );
    }

    // Each released incident: its leaves against the checkpoint.
    const features = new Map();
    const dataProblems = index.data.map(fileProblem).filter(Boolean);
    try {
      for (const f of (await fetchJson("incidents.geojson")).features) features.set(String(f.properties.id), f.properties);
    } catch (error) {
      dataProblems.push(`incidents.geojson: ${reason(error)}`);
    }
    const incidents = document.querySelector("#incidents tbody");
    let verifiedCount = 0;
    for (const item of index.incidents) {
      const own = []; // this incident's own failures; the files' are counted above
      let leaves = [];
      const fileTrouble = fileProblem(item.proofs);
      try {
        if (!checkpoint) fail("the checkpoint did not verify, so no proof against it can");
        const doc = await fetchJson(item.proofs);
        if (doc.incident_id !== item.id) fail(`${item.proofs} is about ${doc.incident_id}`);
        if (doc.checkpoint.size !== checkpoint.size || doc.checkpoint.root !== toB64(checkpoint.root)) {
          fail(`${item.proofs} proves against another checkpoint (size ${doc.checkpoint.size})`);
        }
        leaves = doc.leaves;
        if (!leaves.some((l) => l.kind === "release" && l.record_id === `release/${item.id}`)) {
          fail("its release is not among its proved leaves");
        }
        for (const leaf of leaves) {
          try {
            const claimed = b64(leaf.leaf_hash);
            if (typeof leaf.leaf === "string") {
              if (!same(await leafHash(utf8.encode(leaf.leaf)), claimed)) fail("its body does not hash to its leaf hash");
              const body = JSON.parse(leaf.leaf);
              if (body.kind !== leaf.kind || body.id !== leaf.record_id) fail(`its body is a ${body.kind} ${body.id}`);
              const about = body.record && body.record.incident_id;
              if (about !== undefined && about !== item.id) fail(`its body is about ${about}`);
            }
            await verifyInclusion(claimed, leaf.index, checkpoint.size, leaf.proof.map(b64), checkpoint.root);
          } catch (error) {
            fail(`leaf ${leaf.index} (${leaf.kind} ${leaf.record_id}): ${reason(error)}`);
          }
        }
      } catch (error) {
        own.push(reason(error));
      }
      if (!features.has(item.id)) own.push("not in incidents.geojson");
      const mine = [...dataProblems, ...(fileTrouble ? [fileTrouble] : []), ...own];
      if (!mine.length) verifiedCount += 1;
      problems.push(...own.map((p) => `${item.id}: ${p}`));
      const f = features.get(item.id) || {};
      const shown = leaves.filter((l) => typeof l.leaf === "string").length;
      incidents.append(
        el(
          "tr",
          { "data-incident": item.id },
          el("td", {}, el("a", { href: item.proofs }, item.id)),
          el("td", {}, f.event_type || ""),
          el("td", {}, f.status || ""),
          el("td", {}, f.observed_from ? String(f.observed_from).slice(0, 16).replace("T", " ") : ""),
          el("td", {}, f.oblast || ""),
          el("td", {}, f.place_precision || ""),
          el("td", {}, `${leaves.length} (${shown} whole, ${leaves.length - shown} hash)`),
          statusCell(mine),
        ),
      );
    }

    // Daily reports: in the manifest, each with its signed note naming the file's SHA-256.
    const noteKeys = [log];
    for (const [name, path] of Object.entries(index.keys.reports || {})) {
      try {
        noteKeys.push(await parseKey(await fetchText(path)));
      } catch (error) {
        problems.push(`report key ${name}: ${reason(error)}`);
      }
    }
    const reports = document.querySelector("#reports tbody");
    for (const item of index.reports) {
      const mine = [fileProblem(item.file), item.note ? fileProblem(item.note) : null].filter(Boolean);
      problems.push(...mine.filter((p) => !problems.includes(p)));
      let signedBy = "";
      if (item.note) {
        try {
          const note = splitNote(await fetchText(item.note));
          const signers = [];
          for (const key of noteKeys.filter((k) => k.type === ED25519)) {
            const line = signatureOf(note, key);
            if (!line) continue;
            const ok = await crypto.subtle.verify({ name: "Ed25519" }, key.key, line.payload, utf8.encode(note.text));
            if (!ok) fail(`${item.note}: the signature of ${key.name} does not verify`);
            signers.push(key.name);
          }
          if (!signers.length) fail(`${item.note}: not signed by a key this mirror publishes`);
          const digest = await sha256(await fetchBytes(item.file));
          if (!note.text.includes(hex(digest)) && !note.text.includes(toB64(digest))) {
            fail(`${item.note}: does not name the SHA-256 of ${item.file}`);
          }
          signedBy = `signed by ${signers.join(", ")}`;
        } catch (error) {
          mine.push(reason(error));
          problems.push(reason(error));
        }
      }
      reports.append(
        el(
          "tr",
          { "data-report": item.file },
          el("td", {}, el("a", { href: item.file }, item.file.replace(/^reports\//, ""))),
          el("td", {}, item.note ? el("a", { href: item.note }, item.note.replace(/^reports\//, "")) : "none"),
          statusCell(mine, item.note ? "verified" : "in the manifest", signedBy),
        ),
      );
    }
    if (!index.reports.length) reports.append(el("tr", {}, el("td", { colspan: "3" }, "No daily report published yet.")));

    const list = document.querySelector("#files tbody");
    for (const [path, want] of Object.entries(manifest.files)) {
      const problem = hashes.get(path);
      list.append(
        el("tr", { "data-file": path }, el("td", {}, el("a", { href: path }, path)), el("td", { class: "hash" }, want), statusCell(problem ? [problem] : [])),
      );
    }

    const summary = document.getElementById("summary");
    summary.replaceChildren();
    const state = problems.length ? "failed" : "verified";
    document.body.dataset.status = state;
    document.body.dataset.incidentsVerified = String(verifiedCount);
    if (problems.length) {
      summary.append(
        el("p", { class: "status failed" }, `${problems.length} check(s) failed; what failed is listed below and beside each item.`),
        el("ul", { class: "problems" }, ...problems.map((p) => el("li", {}, p))),
      );
    } else {
      const by = cosigned.filter((c) => c.state === "verified").map((c) => c.name);
      summary.append(
        el(
          "p",
          { class: "status verified" },
          `All verified: checkpoint of size ${checkpoint.size} signed by ${log.name}` +
            (by.length ? `, cosigned by ${by.join(", ")}` : "") +
            `; ${verifiedCount} incident(s); ${index.checkpoints.length} checkpoint(s) published, each consistent with the next; ` +
            `${Object.keys(manifest.files).length} files match the manifest.`,
        ),
      );
    }
  }

  window.addEventListener("DOMContentLoaded", () => {
    run().catch((error) => {
      document.body.dataset.status = "failed";
      document.getElementById("summary").replaceChildren(
        el("p", { class: "status failed" }, `The mirror could not be checked: ${reason(error)}`),
      );
    });
  });
})();

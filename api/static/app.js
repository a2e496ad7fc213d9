// newsrag playground: plain DOM, no framework, no build step. Every string that comes from an
// article (titles, outlets, passages, answers) is put on the page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
let docsOffset = 0;
let lastCitations = [];

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function headers(extra = {}) {
  const key = sessionStorage.getItem("newsrag-key") || "";
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function errorText(resp) {
  try {
    const body = await resp.json();
    if (Array.isArray(body.detail)) return body.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
    return body.detail || body.error || resp.statusText;
  } catch (_) {
    return resp.statusText;
  }
}

// A control or format character (U+202E and the other bidi controls, zero-width marks) makes a
// URL read as another address than it leads to: such a URL is never a link, only escaped text.
const HIDDEN_CHARS = /[\p{Cc}\p{Cf}]/gu;

function safeHref(url) {
  if (typeof url !== "string" || !/^https?:\/\/[^\s<>"']+$/i.test(url)) return null;
  return url.search(HIDDEN_CHARS) === -1 ? url : null;
}

function visibleText(s) {
  return s.replace(HIDDEN_CHARS, (c) => `<U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}>`);
}

// -- asking ----------------------------------------------------------------------------------
function filtersFromForm() {
  const filters = {};
  const outlets = [...document.querySelectorAll("#outlets input:checked")].map((i) => i.value);
  if (outlets.length) filters.sources = outlets;
  if ($("published-from").value) filters.published_from = $("published-from").value;
  if ($("published-to").value) filters.published_to = $("published-to").value;
  return Object.keys(filters).length ? filters : undefined;
}

// The answer as text runs and marker groups: "claim [1][2] next [3]".
function segments(answer) {
  const out = [];
  const rx = /(?:\s*\[\d+\])+/g;
  let pos = 0;
  let m;
  while ((m = rx.exec(answer)) !== null) {
    if (m.index > pos) out.push({ text: answer.slice(pos, m.index) });
    out.push({ markers: [...m[0].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])) });
    pos = m.index + m[0].length;
  }
  if (pos < answer.length) out.push({ text: answer.slice(pos) });
  return out;
}

function renderAnswer(answer) {
  const box = $("answer");
  box.replaceChildren();
  for (const seg of segments(answer)) {
    if (seg.text !== undefined) {
      box.append(document.createTextNode(seg.text));
      continue;
    }
    box.append("\u00a0"); // a marker never wraps away from the words it cites
    for (const n of seg.markers) {
      const b = el("button", { type: "button", class: "marker", "data-n": String(n), "aria-pressed": "false",
        "aria-label": `Show source ${n}`, text: `[${n}]` });
      b.addEventListener("click", () => showCitations(seg.markers, n, b));
      box.append(b);
    }
  }
}

function renderAbstention(resp) {
  const box = $("answer");
  box.replaceChildren(el("div", { class: "abstained", role: "note" },
    el("strong", { text: "The archive does not cover this." }), " ",
    el("span", { text: resp.answer.replace(/^The indexed articles don't cover this:?\s*/, "") })));
}

async function showCitations(group, clicked, button) {
  for (const b of document.querySelectorAll(".marker")) b.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-pressed", "true");
  const panel = $("citation");
  panel.hidden = false;
  panel.replaceChildren(el("h2", { text: group.length > 1 ? `Sources ${group.map((n) => `[${n}]`).join("")}` : `Source [${clicked}]` }));
  const ordered = [clicked, ...group.filter((n) => n !== clicked)];
  for (const n of ordered) {
    const c = lastCitations.find((x) => x.n === n);
    if (!c) continue;
    const block = el("section", { class: "source", "data-n": String(n) });
    block.append(el("h3", { text: `[${n}] ${c.title}` }));
    const meta = [c.source || "unknown outlet", c.published || "undated"].join(" · ");
    block.append(el("p", { class: "muted", text: meta }));
    const href = safeHref(c.url);
    if (href) block.append(el("p", {}, el("a", { href, rel: "noopener noreferrer nofollow", target: "_blank", text: href })));
    else block.append(el("p", { class: "muted", text: c.path || c.doc_id }));
    const passage = el("p", { class: "passage" });
    block.append(passage);
    panel.append(block);
    passage.append(el("span", { class: "muted", text: "loading passage…" }));
    try {
      const resp = await fetch(`/v1/documents/${encodeURIComponent(c.doc_id)}`, { headers: headers() });
      if (!resp.ok) throw new Error(await errorText(resp));
      const doc = await resp.json();
      const from = Math.max(0, c.start - 400);
      const to = Math.min(doc.text.length, c.end + 400);
      passage.replaceChildren(
        document.createTextNode((from > 0 ? "…" : "") + doc.text.slice(from, c.start)),
        el("mark", { text: doc.text.slice(c.start, c.end) }),
        document.createTextNode(doc.text.slice(c.end, to) + (to < doc.text.length ? "…" : "")),
      );
    } catch (e) {
      passage.replaceChildren(document.createTextNode(c.text), el("p", { class: "muted", text: `(${e.message})` }));
    }
  }
  panel.querySelector("mark")?.scrollIntoView({ block: "nearest" });
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  const body = { question, stream: true };
  const filters = filtersFromForm();
  if (filters) body.filters = filters;
  if ($("as-of").value) body.as_of = $("as-of").value;
  $("ask").disabled = true;
  $("status").textContent = "Searching the archive…";
  $("answer").replaceChildren();
  $("citation").hidden = true;
  lastCitations = [];
  let text = "";
  try {
    const resp = await fetch("/v1/ask", {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify(body),
    });
    if (!resp.ok) throw new Error(await errorText(resp));
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const name = (block.match(/^event: (.*)$/m) || [])[1] || "message";
        const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        const payload = data ? JSON.parse(data) : null;
        if (name === "citations") lastCitations = lastCitations.concat(payload);
        else if (name === "delta") { text += payload.text; renderAnswer(text); $("status").textContent = "Answering…"; }
        else if (name === "done") {
          lastCitations = payload.citations;
          if (payload.abstained) renderAbstention(payload);
          else renderAnswer(payload.answer);
          const tw = payload.time_window;
          const window = tw ? ` · read “${tw.phrase}” as ${tw.from || "…"} to ${tw.to}${tw.note ? ` (${tw.note})` : ""}` : "";
          const short = payload.short_answer;
          const agreeing = short ? new Set(payload.citations.filter((c) => (short.stated_in || [short.citation]).includes(c.n)).map((c) => c.doc_id)).size : 0;
          const stated = short ? ` · the short answer is stated in ${agreeing} cited article${agreeing === 1 ? "" : "s"}` : "";
          $("status").textContent = payload.abstained ? "No answer in the archive." + window
            : `${payload.citations.length} citation(s) · as of ${payload.as_of}${window}${stated} · select a [n] to see the passage`;
          $("answer").dataset.done = "true";
        } else if (name === "error") throw new Error(payload.detail || payload.error);
      }
    }
  } catch (e) {
    $("status").textContent = `Error: ${e.message}`;
  } finally {
    $("ask").disabled = false;
  }
}

async function loadOutlets() {
  const box = $("outlets");
  try {
    const resp = await fetch("/v1/outlets", { headers: headers() });
    if (!resp.ok) throw new Error(await errorText(resp));
    const { outlets } = await resp.json();
    box.replaceChildren(...outlets.map((o) => el("label", {}, el("input", { type: "checkbox", value: o }), " ", o)));
    if (!outlets.length) box.replaceChildren(el("span", { class: "muted", text: "no outlets yet" }));
  } catch (e) {
    box.replaceChildren(el("span", { class: "muted", text: `outlets unavailable (${e.message})` }));
  }
}

// -- documents -------------------------------------------------------------------------------
async function loadDocs() {
  const resp = await fetch(`/v1/documents?limit=${PAGE}&offset=${docsOffset}`, { headers: headers() });
  const body = $("docs-body");
  if (!resp.ok) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "5", text: `Error: ${await errorText(resp)}` })));
    return;
  }
  const page = await resp.json();
  body.replaceChildren(...page.items.map((d) => {
    const open = el("button", { type: "button", class: "secondary", text: "Open" });
    open.addEventListener("click", () => openDoc(d.doc_id));
    const del = el("button", { type: "button", class: "secondary", text: "Delete", "aria-label": `Delete ${d.title}` });
    del.addEventListener("click", () => deleteDoc(d.doc_id, d.title));
    return el("tr", { "data-doc": d.doc_id },
      el("td", { text: d.title }), el("td", { text: d.source || "–" }), el("td", { text: d.published || "undated" }),
      el("td", { text: String(d.chunks) }), el("td", {}, open, " ", del));
  }));
  const last = Math.min(page.total, docsOffset + page.items.length);
  $("page-info").textContent = page.total ? `${docsOffset + 1}–${last} of ${page.total}` : "no documents";
  $("docs-caption").textContent = `Documents (${page.total})`;
  $("prev-page").disabled = docsOffset === 0;
  $("next-page").disabled = last >= page.total;
}

async function openDoc(docId) {
  const view = $("doc-view");
  const resp = await fetch(`/v1/documents/${encodeURIComponent(docId)}`, { headers: headers() });
  view.hidden = false;
  if (!resp.ok) { view.textContent = `Error: ${await errorText(resp)}`; return; }
  const d = await resp.json();
  const href = safeHref(d.url);
  view.replaceChildren(el("h2", { text: d.title }),
    el("p", { class: "muted", text: [d.source || "unknown outlet", d.published || "undated", d.doc_id].join(" · ") }),
    ...(href ? [el("p", {}, el("a", { href, rel: "noopener noreferrer nofollow", target: "_blank", text: href }))]
      : d.url ? [el("p", { class: "muted url-text", text: visibleText(String(d.url)) })] : []),
    el("div", { text: d.text }));
  view.scrollIntoView({ block: "nearest" });
}

async function deleteDoc(docId, title) {
  if (!confirm(`Delete “${title}”?`)) return;
  const resp = await fetch(`/v1/documents/${encodeURIComponent(docId)}`, { method: "DELETE", headers: headers() });
  $("upload-status").textContent = resp.ok ? `Deleted ${title}.` : `Error: ${await errorText(resp)}`;
  await loadDocs();
  loadOutlets();
}

async function upload(event) {
  event.preventDefault();
  const files = $("upload-files").files;
  if (!files.length) return;
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  $("upload").disabled = true;
  $("upload-status").textContent = "Uploading and indexing…";
  try {
    const resp = await fetch("/v1/documents", { method: "POST", headers: headers(), body: form });
    const body = await resp.json().catch(() => ({}));
    if (resp.status === 200 || resp.status === 207) {
      const failed = (body.failures || []).map((f) => `${f.input}: ${f.reason}`);
      $("upload-status").textContent = `Added ${body.added}, updated ${body.updated}, unchanged ${body.unchanged}, failed ${body.failed}.`
        + (failed.length ? ` ${failed.join("; ")}` : "");
    } else {
      $("upload-status").textContent = `Error: ${Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail || resp.statusText}`;
    }
  } finally {
    $("upload").disabled = false;
  }
  docsOffset = 0;
  await loadDocs();
  loadOutlets();
}

// -- wiring ----------------------------------------------------------------------------------
function showView(name) {
  for (const v of ["ask", "docs"]) {
    $(`view-${v}`).hidden = v !== name;
    $(`tab-${v}`).setAttribute("aria-selected", String(v === name));
  }
  if (name === "docs") loadDocs();
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = sessionStorage.getItem("newsrag-key") || "";
  $("api-key").addEventListener("change", (e) => { sessionStorage.setItem("newsrag-key", e.target.value.trim()); loadOutlets(); });
  $("ask-form").addEventListener("submit", ask);
  $("upload-form").addEventListener("submit", upload);
  $("tab-ask").addEventListener("click", () => showView("ask"));
  $("tab-docs").addEventListener("click", () => showView("docs"));
  $("prev-page").addEventListener("click", () => { docsOffset = Math.max(0, docsOffset - PAGE); loadDocs(); });
  $("next-page").addEventListener("click", () => { docsOffset += PAGE; loadDocs(); });
  loadOutlets();
  $("question").focus();
});

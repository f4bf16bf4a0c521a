// The page of `deepfake-detect serve`: plain JavaScript, no build step, no network but this server.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { rows: [], runThreshold: 0.5, curve: [], validation: null, maxExplain: 32, method: "" };

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const key = sessionStorage.getItem("deepfake-detect-key");
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function api(path, opts) {
  const r = await fetch(path, Object.assign({}, opts, { headers: headers((opts || {}).headers) }));
  if (r.status === 401) { $("key-box").hidden = false; throw new Error("this server needs an API key: enter it above"); }
  if (!r.ok) {
    let msg = r.status + " " + r.statusText;
    try { msg = (await r.json()).detail || msg; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return r;
}

function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }
const pct = (x) => (100 * x).toFixed(1) + "%";
const fmt = (x, d) => (x === null || x === undefined) ? "n/a" : Number(x).toFixed(d === undefined ? 3 : d);

async function loadModel() {
  try {
    const m = await (await api("v1/model")).json();
    $("key-box").hidden = true;
    const run = m.run, pol = run.threshold_policy || {};
    const why = pol.source === "run" ? `chosen on ${pol.split || "validation"} for FPR ≤ ${pct(pol.target_fpr)}` :
                pol.source === "given" ? "given to the server" : "the default";
    let card = `${run.name} · ${run.preset || run.kind} (${run.backend}) · threshold ${fmt(run.threshold)} (${why})`;
    const v = m.validation;
    if (v) card += ` · validation (${v.n} tweets): accuracy ${fmt(v.accuracy)}, macro-F1 ${fmt(v.macro_f1)}, ROC-AUC ${fmt(v.roc_auc)}`;
    $("run-card").textContent = card;
    state.runThreshold = run.threshold; state.validation = v; state.curve = (v && v.curve) || [];
    state.maxExplain = m.limits.max_explain;
    state.note = m.note || "";
    setThreshold(run.threshold);
  } catch (e) { $("run-card").textContent = "cannot read the run: " + e.message; }
}

function threshold() { return Number($("threshold").value); }

function setThreshold(t) { $("threshold").value = t; onThreshold(); }

function ratesAt(t) {
  // the stored point with the smallest threshold >= t: the tweets flagged at t are those flagged there
  const pts = state.curve.filter((p) => p.threshold >= t).sort((a, b) => a.threshold - b.threshold);
  return pts.length ? pts[0] : { threshold: null, fpr: 0, tpr: 0 };
}

function onThreshold() {
  const t = threshold();
  $("threshold-value").textContent = t.toFixed(3) + (Math.abs(t - state.runThreshold) < 5e-4 ? " (the run's)" : "");
  if (!state.curve.length) {
    $("rates").textContent = "This run stores no validation operating points, so the false- and true-positive rates at a threshold " +
      "are not known. " + (state.note || "");
  } else {
    const p = ratesAt(t), v = state.validation;
    $("rates").textContent = `On validation (${v.n} tweets, ${v.source}): at this threshold ${pct(p.fpr)} of human tweets are ` +
      `flagged as machine (FPR) and ${pct(p.tpr)} of machine tweets are caught (TPR)` +
      (p.threshold !== null && Math.abs(p.threshold - t) > 1e-3 ? ` (nearest stored point: p_bot ≥ ${fmt(p.threshold)})` : "") + ".";
  }
  renderLabels();
}

function label(p) { return p >= threshold() ? "bot" : "human"; }

function highlighted(text, expl) {
  const span = document.createElement("span");
  if (!expl) { span.textContent = text; return span; }
  const max = Math.max(1e-9, ...expl.words.map((w) => Math.abs(w.weight)));
  let at = 0;
  for (const w of expl.words) {
    if (w.start > at) span.appendChild(document.createTextNode(text.slice(at, w.start)));
    const s = document.createElement("span");
    s.textContent = text.slice(w.start, w.end);
    const a = Math.abs(w.weight) / max;
    if (a >= 0.05) {
      s.className = "hl " + (w.weight > 0 ? "bot-w" : "human-w");
      s.style.backgroundColor = w.weight > 0 ? `rgba(217,83,79,${(0.12 + 0.6 * a).toFixed(2)})` : `rgba(66,133,244,${(0.12 + 0.6 * a).toFixed(2)})`;
    }
    s.title = `${w.weight > 0 ? "+" : ""}${w.weight.toFixed(3)} log-odds toward ${w.weight > 0 ? "machine" : "human"}`;
    span.appendChild(s); at = w.end;
  }
  if (at < text.length) span.appendChild(document.createTextNode(text.slice(at)));
  return span;
}

function whyLine(expl) {
  const ws = expl.words.slice().sort((a, b) => b.weight - a.weight);
  const up = ws.filter((w) => w.weight > 0).slice(0, 3).map((w) => w.word);
  const down = ws.filter((w) => w.weight < 0).reverse().slice(0, 3).map((w) => w.word);
  let s = `toward machine: ${up.join(", ") || "–"} · toward human: ${down.join(", ") || "–"}`;
  if (expl.members) s += " · members: " + expl.members.filter((m) => m.member).map((m) => `${m.member} p_bot ${fmt(m.value)} (${m.contribution >= 0 ? "+" : ""}${fmt(m.contribution, 2)})`).join(", ");
  return s;
}

function render() {
  const tb = document.querySelector("#results tbody");
  tb.textContent = "";
  state.rows.forEach((r, i) => {
    const tr = document.createElement("tr"); tr.className = "result";
    const n = document.createElement("td"); n.textContent = i + 1;
    const tx = document.createElement("td"); tx.className = "tweet"; tx.appendChild(highlighted(r.text, r.expl));
    if (r.expl) { const w = document.createElement("div"); w.className = "why"; w.textContent = whyLine(r.expl); tx.appendChild(w); }
    const pb = document.createElement("td"); pb.className = "num";
    pb.innerHTML = `<span class="p">${fmt(r.p_bot)}</span><div class="bar"><span style="width:${(100 * r.p_bot).toFixed(1)}%"></span><i></i></div>`;
    const lb = document.createElement("td"); lb.innerHTML = '<span class="label"></span>';
    tr.append(n, tx, pb, lb); tb.appendChild(tr);
  });
  $("results-box").hidden = state.rows.length === 0;
  $("method").textContent = state.method || "not computed";
  renderLabels();
}

function renderLabels() {
  const t = threshold();
  const trs = document.querySelectorAll("#results tbody tr");
  let bots = 0;
  trs.forEach((tr, i) => {
    const l = label(state.rows[i].p_bot); bots += l === "bot";
    const s = tr.querySelector(".label"); s.textContent = l; s.className = "label " + l;
    tr.querySelector(".bar > i").style.left = `calc(${(100 * t).toFixed(1)}% - 1px)`;
  });
  if (state.rows.length) $("summary").textContent = `${state.rows.length} tweets: ${bots} labelled bot at threshold ${t.toFixed(3)}`;
}

async function score() {
  showError(null);
  const texts = $("tweets").value.split("\n").map((s) => s.trim()).filter((s) => s);
  if (!texts.length) { showError("paste one or more tweets, one per line"); return; }
  $("score").disabled = true;
  try {
    const res = await (await api("v1/predict", { method: "POST", headers: { "Content-Type": "application/json" },
                                                body: JSON.stringify({ texts }) })).json();
    state.rows = texts.map((t, i) => ({ text: t, p_bot: res.results[i].p_bot, expl: null }));
    state.method = ""; render();
    await explain();
  } catch (e) { showError(e); } finally { $("score").disabled = false; }
}

async function explain() {
  const rows = state.rows.slice(0, state.maxExplain);
  if (!rows.length) return;
  const res = await (await api("v1/explain", { method: "POST", headers: { "Content-Type": "application/json" },
                                              body: JSON.stringify({ texts: rows.map((r) => r.text) }) })).json();
  res.results.forEach((e, i) => { rows[i].expl = e; });
  state.method = res.results.length ? res.results[0].method + (state.rows.length > rows.length ? `, first ${rows.length} tweets` : "") : "";
  render();
}

async function upload(file) {
  showError(null);
  const fd = new FormData();
  fd.append("file", file); fd.append("column", $("column").value || "text"); fd.append("out_format", "jsonl");
  try {
    const body = await (await api("v1/predict/file", { method: "POST", body: fd })).text();
    const col = $("column").value || "text";
    state.rows = body.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l)).map((o) => ({ text: String(o[col]), p_bot: o.p_bot, expl: null }));
    state.method = ""; render();
    await explain();
  } catch (e) { showError(e); }
}

function download() {
  const q = (s) => '"' + String(s).replace(/"/g, '""') + '"';
  const t = threshold();
  const lines = ["text,p_bot,label,threshold"].concat(state.rows.map((r) => [q(r.text), r.p_bot, label(r.p_bot), t].join(",")));
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
  a.download = "scored.csv"; document.body.appendChild(a); a.click(); a.remove();
}

$("score").addEventListener("click", score);
$("threshold").addEventListener("input", onThreshold);
$("threshold-reset").addEventListener("click", () => setThreshold(state.runThreshold));
$("download").addEventListener("click", download);
$("file").addEventListener("change", (e) => { if (e.target.files.length) upload(e.target.files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]); });
$("key-save").addEventListener("click", () => { sessionStorage.setItem("deepfake-detect-key", $("api-key").value); loadModel(); });
loadModel();

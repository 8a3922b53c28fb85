// Search page: Pagefind's JS API behind a plain, accessible form.
// The form works as a normal GET form (shareable URLs); this script runs the query,
// shows the results and the filter counts, and maps result URLs to the page's language.
//
// What a reader downloads is kept small (a phone on a slow network is a first-class reader):
// Pagefind loads only when something is asked, a page of results is 10 excerpts, and the filter
// counts of dimensions not in the query load only when the reader turns to the filters.
import { MAX, address, chosen, keep } from "./compare-list.js";

const DIMENSIONS = ["scale", "criteria", "basis", "partners", "type", "language"];
const PAGE = 10;
// Every entry page holds this word (kb.site.EVERY_ENTRY): searching it lists entries by filters
// alone. Pagefind's own filter-only search (a null term) loads every index chunk, 7 MB at
// 10,000 entries; this word is one chunk.
const EVERY_ENTRY = "kbinventaire";
const TERMS_SECTION = "kbtermes";
// The anchor of an entry's titles and summaries in other languages (kb.site.pages.LANGUAGES_SECTION).
const LANGUAGES_SECTION = "kblangues";
const lang = document.documentElement.lang;
const root = new URL("../", import.meta.url);
const labels = JSON.parse(document.getElementById("kb-labels").textContent);
const form = document.getElementById("kb-search");
const status = document.getElementById("kb-status");
const list = document.getElementById("kb-results");
const more = document.getElementById("kb-more");
const section = document.getElementById("kb-results-section");
const switcher = document.querySelector("a.switch");
let pagefind;
let superseded = new Set(); // results of the bundle that a delta holds newer (kb.site.pagefind)
let current = [];
let shown = 0;
let timer;
let generation = 0; // bumped by every change: a slower, older search never shows its results

function fromUrl() {
  const params = new URLSearchParams(location.search);
  form.elements.q.value = params.get("q") || "";
  for (const box of form.querySelectorAll("input[type=checkbox]")) {
    box.checked = params.getAll(box.name).includes(box.value);
  }
  form.elements.year.value = params.get("year") || "";
}

function query() {
  const filters = {};
  for (const dimension of DIMENSIONS) {
    const values = [...form.querySelectorAll(`input[name="${dimension}"]:checked`)].map((b) => b.value);
    if (values.length) filters[dimension] = { all: values };
  }
  if (form.elements.year.value) filters.year = form.elements.year.value;
  // Typographic apostrophes are indexed as plain ones.
  const term = form.elements.q.value.replace(/[\u2019\u2018]/g, "'").trim();
  const places = [...form.querySelectorAll('input[name="territory"]:checked')].map((b) => b.value);
  return { term: term || null, filters, places, ownOnly: form.elements.own.checked };
}

// With territories asked for, the entries about them first, then (unless "only these") those
// about a broader territory, marked: the rule of kb.entries.territories, as `kb search
// --territory` applies it. Each entry page carries `place` filters (the territories it is
// about) and `territories` filters (the ones it lists).
async function findNear({ term, filters, places, ownOnly }) {
  if (!places.length) {
    const search = await find(term, filters);
    return { results: search.results, filters: search.filters, asked: filters, broader: 0 };
  }
  const own = new Set(places.flatMap((p) => labels.reach[p].own));
  const around = new Set(places.flatMap((p) => labels.reach[p].broader).filter((p) => !own.has(p)));
  const ownFilters = { ...filters, place: { any: places } };
  const first = await find(term, ownFilters);
  if (ownOnly || !around.size) return { results: first.results, filters: first.filters, asked: ownFilters, broader: 0 };
  const second = await find(term, { ...filters, territories: { any: [...around], none: [...own] } });
  for (const result of second.results) result.broader = true;
  return { results: [...first.results, ...second.results], filters: first.filters, asked: ownFilters,
           broader: second.results.length };
}

// As kb.i18n.count: "1 fiche", "12 fiches", "1\u202f234 fiches".
function count(n) {
  if (n === 1) return labels.ui.count_one;
  return labels.ui.count.replace("{n}", String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f"));
}

function escape(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

// Shows the next PAGE results; returns the first link added (null if the search went stale).
async function render(results, token) {
  const batch = results.slice(shown, shown + PAGE);
  shown += batch.length; // before waiting, so that a second click takes the next batch
  const data = await Promise.all(batch.map((r) => r.data()));
  if (token !== generation) return null;
  let first = null;
  for (const [index, item] of data.entries()) {
    const badge = batch[index].broader ? ` <span class="badge">${escape(labels.ui.broader_badge)}</span>` : "";
    const url = item.url.replace(/\/fr\/entries\//, `/${lang}/entries/`);
    const type = (item.filters.type || []).map((v) => labels.type[v] || v).join(", ");
    // The title in the reader's language (our translation when there is one), marked with its
    // language when it is another; excerpts are in the entry's language.
    const language = (item.filters.language || [])[0];
    const other = language && language !== lang ? ` lang="${escape(language)}"` : "";
    const titleLang = item.meta[`lang_${lang}`] || language;
    const titleAttr = titleLang && titleLang !== lang ? ` lang="${escape(titleLang)}"` : "";
    const title = item.meta[`title_${lang}`] || item.meta.title || url;
    // Our translation is marked as such, with the title as published beside it.
    // (each meta is on the page only when it differs from the fallback: kb.site.pages.Site.search_meta)
    const published = item.meta.original || item.meta.title;
    const original = language && titleLang !== language && published
      ? `<p class="original"><span class="mark">${escape(labels.ui.translation)}</span> ` +
        `${escape(labels.ui.original_title)}${escape(labels.ui.colon)} <cite${other}>${escape(published)}</cite></p>`
      : "";
    const id = (url.match(/\/entries\/([^/]+)\/$/) || [])[1] || "";
    const li = document.createElement("li");
    li.className = "card";
    li.innerHTML = `<h3><a href="${escape(url)}"${titleAttr}>${escape(title)}</a></h3>${original}` +
      `<p class="meta">${escape(item.meta.year || "")} · ${escape(type)}${badge} ` +
      `<button type="button" class="compare-toggle" data-id="${escape(id)}" aria-pressed="false">` +
      `${escape(labels.ui.compare_add)}<span class="visually-hidden"> : ${escape(title)}</span></button></p>` +
      `<p class="summary"${other}>${excerpt(item)}</p>`;
    list.append(li);
    showChosen(li);
    first = first || li.querySelector("a");
  }
  more.hidden = shown >= results.length;
  return first;
}

// The excerpt around the words found; with filters alone, the text's beginning after the title.
function excerpt(item) {
  const title = item.meta.title || "";
  if (!words) {
    let text = item.content.replace(EVERY_ENTRY, "").trim();
    if (text.startsWith(title)) text = text.slice(title.length).replace(/^[.\s]+/, "");
    return escape(text.length > 220 ? `${text.slice(0, text.lastIndexOf(" ", 220))}…` : text);
  }
  // The section of the body where most searched words are, under its own heading: Pagefind runs
  // a heading into its first sentence ("Contenu. Dans le n°104..."), so the heading is set apart.
  const marks = (text) => (text.match(/<mark>/g) || []).length;
  const all = item.sub_results && item.sub_results.length ? item.sub_results : [{ title, excerpt: item.excerpt }];
  // The hidden section of labels in both languages (kb.site.TERMS_SECTION) is shown only when the
  // words are nowhere else, as the labels they matched.
  const terms = all.find((section) => section.title === TERMS_SECTION);
  const sections = all.filter((section) => section !== terms && marks(section.excerpt));
  if (!sections.length && terms) {
    const found = [...new Set([...terms.excerpt.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => m[1]))];
    return `<span class="section">${escape(labels.ui.found_by)}</span> ${found.map((w) => `<mark>${w}</mark>`).join(", ")}`;
  }
  const best = (sections.length ? sections : all).reduce((a, b) => (marks(b.excerpt) > marks(a.excerpt) ? b : a));
  const excerpt = best.excerpt.replace(EVERY_ENTRY, "");
  if (best.title === title) { // the title is shown above: the text after it, unless the words are only in it
    const rest = withoutHeading(excerpt, title);
    return marks(rest) ? rest : excerpt;
  }
  const heading = best.title === LANGUAGES_SECTION ? labels.ui.other_languages : best.title;
  return `<span class="section">${escape(heading)}</span> ${withoutHeading(excerpt, best.title)}`;
}

// An excerpt that starts with its section's heading (marks and all), without it.
function withoutHeading(html, heading) {
  const plain = html.replace(/<\/?mark>/g, "");
  if (!heading || !plain.startsWith(heading)) return html;
  let seen = 0;
  let i = 0;
  while (seen < heading.length && i < html.length) {
    if (html.startsWith("<mark>", i)) i += 6;
    else if (html.startsWith("</mark>", i)) i += 7;
    else { i += 1; seen += 1; }
  }
  if (html.startsWith("</mark>", i)) i += 7;
  return html.slice(i).replace(/^[.\s]+/, "");
}

// Result cards: a "Compare" button each, pressed when the entry is in the list to compare, and
// a bar under the results that leads to the comparison.
const compareBar = document.getElementById("kb-compare-bar");

function showChosen(scope = list) {
  const ids = chosen();
  for (const button of scope.querySelectorAll("button.compare-toggle")) {
    button.setAttribute("aria-pressed", String(ids.includes(button.dataset.id)));
  }
  const link = compareBar.querySelector("a");
  link.href = `../compare/${address(ids)}`;
  link.textContent = labels.ui.compare_go.replace("{n}", ids.length);
  compareBar.hidden = ids.length === 0;
}

function toggleCompare(button) {
  const ids = chosen();
  const id = button.dataset.id;
  const note = compareBar.querySelector(".note");
  note.textContent = "";
  if (ids.includes(id)) keep(ids.filter((other) => other !== id));
  else if (ids.length >= MAX) note.textContent = labels.ui.compare_full;
  else keep([...ids, id]);
  showChosen();
}

// Counts of the dimensions Pagefind has loaded; the others are left blank until loaded.
function updateCounts(counts) {
  for (const span of form.querySelectorAll("[data-filter]")) {
    const [dimension, value] = span.dataset.filter.split(":");
    span.textContent = counts[dimension] ? counts[dimension][value] || 0 : "";
  }
}

function busy() {
  status.textContent = labels.ui.loading;
  list.setAttribute("aria-busy", "true");
  return ++generation;
}

let words = false; // whether the results shown came from words (else from filters alone)

// The years of the inventory, newest first (the options of the year filter).
const YEARS = [...form.elements.year.options].map((option) => option.value).filter(Boolean);

async function find(term, filters) {
  const search = await (term ? pagefind.search(term, { filters }) : browse(filters));
  return superseded.size ? { ...search, results: search.results.filter((r) => !superseded.has(r.id)) } : search;
}

// Filters alone: the entries they keep, newest first, as the listing pages show them. Asked a
// year at a time, since a Pagefind sort index (each page's rank by year) would weigh on every
// first query: it is part of the index metadata, 22 KB gzip at 10,000 entries.
async function browse(filters) {
  const all = await pagefind.search(EVERY_ENTRY, { filters });
  if (filters.year) return all;
  const years = await Promise.all(YEARS.map((year) => pagefind.search(EVERY_ENTRY, { filters: { ...filters, year } })));
  return { ...all, results: years.flatMap((search) => search.results) };
}

// The bundle's layout (kb.site.pagefind): its shards beyond the first, and a delta (the last
// edits, indexed alone until the whole bundle catches up), merged into one search.
async function loadLayout(bundle) {
  try {
    const response = await fetch(new URL(`kb-search.json?ts=${Date.now()}`, bundle));
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

async function loadPagefind() {
  if (!pagefind) {
    const bundle = new URL("pagefind/", root);
    const [module, layout] = await Promise.all([
      import(new URL("pagefind.js", bundle).href).catch((error) => error),
      loadLayout(bundle),
    ]);
    // An inventory without entries has a bundle without shards (nothing for Pagefind to index).
    if (Array.isArray(layout.shards) && !layout.shards.length) {
      pagefind = { search: async () => ({ results: [], filters: {} }), filters: async () => ({}) };
      return pagefind;
    }
    if (module instanceof Error) throw module;
    // The bundle indexes fr/entries/ as its own site: its URLs are relative to that folder.
    const baseUrl = new URL("fr/entries/", root).pathname;
    // No web worker: its script would add 12 KB to the first query, for searches that take
    // milliseconds.
    await module.options({ baseUrl, noWorker: true });
    for (const shard of layout.shards || []) {
      if (shard.path) await module.mergeIndex(new URL(shard.path, bundle).pathname, { baseUrl });
    }
    const delta = layout.delta || {};
    if (delta.path) {
      await module.mergeIndex(new URL(delta.path, bundle).pathname, { baseUrl, indexWeight: delta.weight || 1 });
    }
    superseded = new Set(delta.stale || []);
    pagefind = module;
  }
  return pagefind;
}

function asked({ term, filters, places }) {
  return Boolean(term) || Object.keys(filters).length > 0 || places.length > 0;
}

async function run(token) {
  const asking = query();
  if (!asked(asking)) { // nothing asked: nothing to show, nothing to download
    section.hidden = true;
    list.replaceChildren();
    list.removeAttribute("aria-busy");
    updateCounts(totals);
    return;
  }
  section.hidden = false;
  await loadPagefind();
  const search = await findNear(asking);
  if (token !== generation) return;
  words = Boolean(asking.term);
  current = search.results;
  list.replaceChildren();
  shown = 0;
  updateCounts(allFilters ? search.filters || {} : loaded(search.filters || {}, search.asked));
  await render(current, token);
  if (token !== generation) return;
  const broader = search.broader ? ` (${labels.ui.broader_count.replace("{n}", search.broader)})` : "";
  status.textContent = current.length ? count(current.length) + broader : labels.ui.no_results;
  list.removeAttribute("aria-busy");
}

// Before every filter index is loaded, Pagefind counts the loaded ones only: keep those.
function loaded(counts, filters) {
  return Object.fromEntries(Object.entries(counts).filter(([dimension]) => dimension in filters));
}

// The counts of every dimension (about 200 KB at 10,000 entries) load when the reader turns
// to the filters; then the shown counts are brought up to date.
let allFilters = null;

async function loadAllFilters() {
  if (allFilters) return;
  allFilters = loadPagefind().then((module) => module.filters());
  await allFilters;
  const asking = query();
  if (!asked(asking)) return;
  const token = generation;
  const search = await findNear(asking);
  if (token === generation) updateCounts(search.filters || {});
}

function changed() {
  const params = new URLSearchParams(new FormData(form));
  for (const [key, value] of [...params]) if (!value) params.delete(key);
  history.replaceState(null, "", `?${params}`);
  // The language switch keeps the search.
  if (switcher) switcher.search = params.size ? `?${params}` : "";
  clearTimeout(timer);
  const token = busy();
  timer = setTimeout(() => run(token).catch(failed), 200);
}

function failed(error) {
  section.hidden = false;
  list.removeAttribute("aria-busy");
  status.textContent = labels.ui.failed;
  console.error(error);
}

// The counts printed in the page: every entry's, before anything is asked.
const totals = {};
for (const span of form.querySelectorAll("[data-filter]")) {
  const [dimension, value] = span.dataset.filter.split(":");
  (totals[dimension] ||= {})[value] = Number(span.textContent);
}

async function start() {
  more.textContent = labels.ui.more;
  fromUrl();
  if (switcher) switcher.search = location.search;
  const details = form.querySelector("details.filters");
  // Open on wide screens, and wherever filters are set (so that they show).
  const filtered = [...new URLSearchParams(location.search)].some(([key, value]) => key !== "q" && value);
  details.open = matchMedia("(min-width: 50rem)").matches || filtered;
  for (const event of ["focusin", "pointerover", "touchstart"]) {
    details.addEventListener(event, () => loadAllFilters().catch(failed), { once: true, passive: true });
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); changed(); });
  form.addEventListener("input", changed);
  // The button hides itself after the last results: move focus to the first new result.
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.compare-toggle");
    if (button) toggleCompare(button);
  });
  addEventListener("storage", () => showChosen());
  more.addEventListener("click", async () => {
    const first = await render(current, generation);
    if (first) first.focus();
  });
  await run(busy());
}

start().catch(failed);

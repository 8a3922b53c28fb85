// Search page: Pagefind's JS API behind a plain, accessible form.
// The form works as a normal GET form (shareable URLs); this script runs the query,
// shows the results and the filter counts, and maps result URLs to the page's language.
const DIMENSIONS = ["scale", "criteria", "partners", "type", "language"];
const PAGE = 20;
const lang = document.documentElement.lang;
const root = new URL("../", import.meta.url);
const labels = JSON.parse(document.getElementById("kb-labels").textContent);
const form = document.getElementById("kb-search");
const status = document.getElementById("kb-status");
const list = document.getElementById("kb-results");
const more = document.getElementById("kb-more");
let pagefind;
let current = [];
let shown = 0;
let timer;

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
  return { term: term || null, filters };
}

function count(n) {
  return labels.ui.count.replace("{n}", n);
}

function escape(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

async function render(results) {
  const batch = results.slice(shown, shown + PAGE);
  const data = await Promise.all(batch.map((r) => r.data()));
  for (const item of data) {
    const url = item.url.replace(/\/fr\/entries\//, `/${lang}/entries/`);
    const type = (item.filters.type || []).map((v) => labels.type[v] || v).join(", ");
    const li = document.createElement("li");
    li.className = "card";
    li.innerHTML = `<h3><a href="${escape(url)}">${escape(item.meta.title || url)}</a></h3>` +
      `<p class="meta">${escape(item.meta.year || "")} · ${escape(type)}</p>` +
      `<p class="summary">${item.excerpt}</p>`;
    list.append(li);
  }
  shown += batch.length;
  more.hidden = shown >= results.length;
}

function updateCounts(counts) {
  for (const span of form.querySelectorAll("[data-filter]")) {
    const [dimension, value] = span.dataset.filter.split(":");
    span.textContent = (counts[dimension] && counts[dimension][value]) || 0;
  }
}

async function run() {
  const { term, filters } = query();
  status.textContent = labels.ui.loading;
  const search = term || Object.keys(filters).length
    ? await pagefind.search(term, { filters, sort: term ? undefined : { year: "desc" } })
    : await pagefind.search(null, { sort: { year: "desc" } });
  current = search.results;
  list.replaceChildren();
  shown = 0;
  status.textContent = current.length ? count(current.length) : labels.ui.no_results;
  updateCounts(search.filters || {});
  await render(current);
}

function changed() {
  const params = new URLSearchParams(new FormData(form));
  for (const [key, value] of [...params]) if (!value) params.delete(key);
  history.replaceState(null, "", `?${params}`);
  clearTimeout(timer);
  timer = setTimeout(run, 200);
}

async function start() {
  pagefind = await import(new URL("pagefind/pagefind.js", root).href);
  await pagefind.options({ baseUrl: root.pathname });
  // Load every filter's index now: searches report counts only for loaded filters.
  await pagefind.filters();
  document.getElementById("kb-results-section").hidden = false;
  more.textContent = labels.ui.more;
  fromUrl();
  const details = form.querySelector("details.filters");
  details.open = matchMedia("(min-width: 50rem)").matches || new URLSearchParams(location.search).size > 1;
  form.addEventListener("submit", (event) => { event.preventDefault(); changed(); });
  form.addEventListener("input", changed);
  more.addEventListener("click", () => render(current));
  await run();
}

start().catch((error) => {
  status.textContent = labels.ui.failed;
  console.error(error);
});

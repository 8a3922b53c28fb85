// Compare page: two to five entries side by side, from a shareable URL (?ids=a,b,c).
// Entry pages add to the list with a plain GET form (?add=id); the list is kept in the URL
// and in localStorage; each entry's data comes from its CSL-JSON download (export/entries/).
const MAX = 5;
const DIMENSIONS = ["scale", "criteria", "basis", "territories", "partners"];
const root = new URL("../", import.meta.url);
const labels = JSON.parse(document.getElementById("kb-labels").textContent);
const section = document.getElementById("kb-compare");
const status = document.getElementById("kb-compare-status");
const table = document.getElementById("kb-compare-table");
const share = document.getElementById("kb-compare-share");

function stored() {
  try { return JSON.parse(localStorage.getItem("kb-compare") || "[]"); } catch { return []; }
}

function store(ids) {
  try { localStorage.setItem("kb-compare", JSON.stringify(ids)); } catch { /* private mode */ }
}

function cell(tag, text, attributes = {}) {
  const element = document.createElement(tag);
  element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

function url(ids) {
  return `?ids=${ids.map(encodeURIComponent).join(",")}`;
}

async function start() {
  const params = new URLSearchParams(location.search);
  let ids = params.has("ids") ? params.get("ids").split(",") : stored();
  for (const id of params.getAll("add")) if (!ids.includes(id)) ids.push(id);
  ids = ids.filter((id) => /^[a-z0-9-]{3,80}$/.test(id)).slice(-MAX);
  store(ids);
  history.replaceState(null, "", url(ids));
  share.href = url(ids);
  section.hidden = false;
  if (!ids.length) {
    status.textContent = labels.ui.compare_empty;
    return;
  }
  const items = await Promise.all(ids.map(async (id) => {
    const response = await fetch(new URL(`export/entries/${id}.json`, root));
    return response.ok ? (await response.json())[0] : null;
  }));
  const found = items.filter(Boolean);
  status.textContent = found.length === 1 ? labels.ui.count_one : labels.ui.count.replace("{n}", found.length);
  const head = document.createElement("thead");
  const top = head.insertRow();
  top.append(cell("td", ""));
  for (const item of found) {
    const th = document.createElement("th");
    th.scope = "col";
    const link = cell("a", item.title, { href: `../entries/${item.id}/`, lang: item.language });
    const remove = cell("a", "×", { href: url(ids.filter((id) => id !== item.id)), "aria-label": `− ${item.title}` });
    remove.className = "remove";
    th.append(link, " ", remove);
    top.append(th);
  }
  const body = document.createElement("tbody");
  const row = (label, values) => {
    const tr = body.insertRow();
    tr.append(cell("th", label, { scope: "row" }));
    for (const value of values) tr.append(cell("td", value));
  };
  row(labels.ui.year, found.map((item) => String(item.issued["date-parts"][0].join("-"))));
  row(labels.ui.type, found.map((item) => labels.type[item.custom.type] || item.custom.type));
  for (const dimension of DIMENSIONS) {
    row(labels.ui[dimension], found.map((item) => (item.custom[dimension] || [])
      .map((value) => labels[dimension][value] || value).join(", ") || "—"));
  }
  row(labels.ui.method, found.map((item) => item.abstract || "—"));
  table.replaceChildren(head, body);
}

start();

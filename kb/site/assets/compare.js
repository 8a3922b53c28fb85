// Compare page: two to five entries side by side (one under another on a phone), from a
// shareable URL (?ids=a,b,c). Entry pages add to the list with a plain GET form (?add=id), the
// search page's result cards with their "Compare" buttons; the list is kept in the URL and in
// localStorage. Each entry's data comes from its page in the reader's language: the title and
// summary it shows, the date of its JSON-LD, the tags its facts link to.
import { MAX, address, chosen, clean, keep } from "./compare-list.js";

const DIMENSIONS = ["scale", "criteria", "basis", "territories", "partners"];
const lang = document.documentElement.lang;
const root = new URL("../", import.meta.url);
const labels = JSON.parse(document.getElementById("kb-labels").textContent);
const section = document.getElementById("kb-compare");
const status = document.getElementById("kb-compare-status");
const items = document.getElementById("kb-compare-items");
const share = document.getElementById("kb-compare-share");
const links = document.getElementById("kb-compare-links"); // to share or empty the list: none without entries

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

// "8 mars 2024", "maart 2024", "2024": as precise as the entry's date, in the reader's language.
function when(date) {
  const [year, month, day] = (date || "").split("-").map(Number);
  if (!month) return year ? String(year) : "—";
  const options = { year: "numeric", month: "long", timeZone: "UTC", ...(day ? { day: "numeric" } : {}) };
  return new Intl.DateTimeFormat(lang, options).format(new Date(Date.UTC(year, month - 1, day || 1)));
}

function row(dl, label, value, attributes = {}) {
  const group = element("div");
  group.append(element("dt", label), element("dd", value, attributes));
  dl.append(group);
}

function card(item, ids) {
  const li = element("li");
  const heading = element("h2");
  heading.append(element("a", item.title, { href: `../entries/${item.id}/`, lang: item.titleLang }));
  const remove = element("a", labels.ui.compare_remove, { href: address(ids.filter((id) => id !== item.id)) });
  remove.className = "remove";
  remove.append(element("span", ` : ${item.title}`, { class: "visually-hidden" }));
  const dl = element("dl");
  const type = (item.tags.type || [])[0];
  row(dl, labels.ui.year, when(item.date));
  row(dl, labels.ui.type, labels.type[type] || type || "—");
  for (const dimension of DIMENSIONS) {
    row(dl, labels.ui[dimension], (item.tags[dimension] || [])
      .map((value) => labels[dimension][value] || value).join(", ") || "—");
  }
  row(dl, labels.ui.method, item.summary || "—", item.summary ? { lang: item.summaryLang } : {});
  li.append(heading, remove, dl);
  return li;
}

// An entry as its page shows it: the page is the one copy of its data the site publishes.
const TAG = /\/(type|scale|criteria|basis|territories|partners)\/([^/]+)\/$/;

async function entryPage(language, id) {
  const response = await fetch(new URL(`${language}/entries/${id}/`, root));
  if (!response.ok) return null;
  return [new DOMParser().parseFromString(await response.text(), "text/html"), response];
}

// The JSON-LD (the entry's date) is on its French page only (kb.site.pages.Site.entry_page).
const DESCRIBED = 'script[type="application/ld+json"]';

async function load(id) {
  const [page, response] = (await entryPage(lang, id)) || [];
  if (!page) return null;
  const title = page.querySelector("main h1");
  const summary = page.querySelector("main p.lead");
  const french = lang === "fr" ? [page] : (await entryPage("fr", id)) || [];
  const described = french[0] && french[0].querySelector(DESCRIBED);
  if (!title || !described) return null;
  const tags = {};
  for (const link of page.querySelectorAll("dl.facts a.tag")) {
    const [, dimension, value] = TAG.exec(new URL(link.getAttribute("href"), response.url).pathname) || [];
    if (dimension) (tags[dimension] ||= []).push(decodeURIComponent(value));
  }
  return {
    id,
    title: title.textContent,
    titleLang: title.lang || lang,
    summary: summary && summary.textContent,
    summaryLang: summary && (summary.lang || lang),
    date: JSON.parse(described.textContent).datePublished,
    tags,
  };
}

async function start() {
  const params = new URLSearchParams(location.search);
  let ids = clean(params.has("ids") ? params.get("ids").split(",") : chosen());
  let full = false;
  for (const id of params.getAll("add")) {
    if (ids.includes(id)) continue;
    if (ids.length >= MAX) full = true;
    else ids = clean([...ids, id]);
  }
  keep(ids);
  history.replaceState(null, "", address(ids));
  share.href = address(ids);
  links.hidden = !ids.length;
  section.hidden = false;
  if (!ids.length) {
    status.textContent = labels.ui.compare_empty;
    return;
  }
  const found = (await Promise.all(ids.map(load))).filter(Boolean);
  const counted = found.length === 1 ? labels.ui.count_one : labels.ui.count.replace("{n}", found.length);
  status.textContent = full ? `${counted}. ${labels.ui.compare_full}` : counted;
  items.style.setProperty("--n", found.length);
  items.replaceChildren(...found.map((item) => card(item, ids)));
}

start();

// The "propose an entry" page: builds the entry file from the form, checks it as kb check
// does, previews its page, and hands it over (forge, download, copy, e-mail).
//
// Every rule comes from #kb-form-data, which the build derives from kb's typed schema
// (kb/site/propose.py), and every message from kb's catalogue in the page's language: this
// script holds no rule or text of its own. tests/test_propose.py checks that, for the same
// file, it reports exactly what kb check reports.
const data = JSON.parse(document.getElementById("kb-form-data").textContent);
const form = document.getElementById("kb-propose");
const $ = (id) => document.getElementById(id);
const DRAFT = "kb-propose-draft";
const MAX_URL = 7000; // forges answer 414 past a few KB of address
const MAX_MAILTO = 1800;

// --- the catalogue -------------------------------------------------------------------------
const msg = (key, params = {}) => ({ key, params });
function say(key, params = {}) {
  const text = data.messages[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (_, name) => {
    const value = params[name];
    return value && typeof value === "object" ? say(value.key, value.params) : String(value);
  });
}

// --- YAML, written the way kb new writes it (kb/entries/new.py) ------------------------------
const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/;
const RESOLVED = [
  /^(?:true|True|TRUE|false|False|FALSE)$/,
  /^[-+]?(?:0|[1-9][0-9]*)$/,
  /^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/,
  /^(?:~|null|Null|NULL|)$/,
];
function scalar(value) {
  if (typeof value === "number") return String(value);
  const plain = PLAIN.test(value) && !RESOLVED.some((pattern) => pattern.test(value));
  return plain ? value : JSON.stringify(value);
}
const words = (text) => text.split(/\s+/).filter(Boolean).join(" ");

function fileText(values) {
  const lines = ["---"];
  for (const rule of data.fields) {
    const value = values[rule.name];
    if (value === undefined || value === "" || (Array.isArray(value) && !value.length)) continue;
    if (rule.kind === "translations") {
      lines.push("translations:");
      for (const [lang, parts] of value) {
        lines.push(`  ${lang}:`);
        for (const part of Object.keys(rule.parts)) {
          if (parts[part]) lines.push(`    ${part}: ${JSON.stringify(words(parts[part]))}`);
        }
      }
    } else if (rule.name === "authors") {
      lines.push("authors:", ...value.map((person) => `  - ${JSON.stringify(person)}`));
    } else if (rule.name === "summary") {
      lines.push(`summary: ${JSON.stringify(words(value))}`);
    } else if (Array.isArray(value)) {
      lines.push(`${rule.name}: [${value.map(scalar).join(", ")}]`);
    } else {
      lines.push(`${rule.name}: ${scalar(value)}`);
    }
  }
  lines.push(`added: ${new Date().toISOString().slice(0, 10)}`, "---");
  return `${lines.join("\n")}\n\n${values.body.trim()}\n`;
}

// --- reading the form ------------------------------------------------------------------------
function read() {
  const values = {};
  for (const rule of data.fields) {
    const name = rule.name;
    if (rule.kind === "translations") {
      values[name] = [];
      for (const lang of rule.langs) {
        const parts = {};
        for (const part of Object.keys(rule.parts)) {
          const text = form.elements[`translations.${lang}.${part}`].value.trim();
          if (text) parts[part] = text;
        }
        if (Object.keys(parts).length) values[name].push([lang, parts]);
      }
    } else if (rule.kind === "list" && rule.item.kind === "choice") {
      values[name] = [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);
    } else if (rule.kind === "list" || rule.kind === "people") {
      values[name] = form.elements[name].value.split("\n").map((line) => line.trim()).filter(Boolean);
    } else {
      const text = form.elements[name].value.trim();
      // A year of digits is written as a number, as YAML will read it back.
      values[name] = rule.kind === "integer" && /^(?:0|[1-9][0-9]*)$/.test(text) && text.length < 100 ? Number(text) : text;
    }
  }
  values.body = form.elements.body.value;
  return values;
}

// --- the checks kb check makes on one file (kb/entries/schema.py) ---------------------------
function describe(value) {
  if (typeof value === "number") return msg("value.number", { value });
  return msg("value.text", { value });
}
const length = (text) => [...text].length;
function controlled(text) {
  const control = new RegExp(data.control).exec(text);
  if (control) throw new Invalid("check.control_character", { code: control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0") });
}
function checkDigit(number) { // ISBN-10, ISBN-13 or ISSN; X stands for 10
  const digits = [...number].map((c) => (c === "X" ? 10 : Number(c)));
  if (digits.length === 13) return digits.reduce((sum, d, i) => sum + d * (i % 2 ? 3 : 1), 0) % 10 === 0;
  return digits.reduce((sum, d, i) => sum + d * (digits.length - i), 0) % 11 === 0;
}
class Invalid { constructor(key, params = {}, severity = "error") { Object.assign(this, { key, params, severity }); } }

function convert(rule, value) {
  switch (rule.kind) {
    case "text": {
      controlled(String(value));
      const text = words(String(value));
      if (!text) throw new Invalid("check.empty_optional");
      if (length(text) > rule.max) throw new Invalid("check.too_long", { length: length(text), max: rule.max });
      return text;
    }
    case "integer": {
      const number = typeof value === "number" ? value
        : /^[0-9]+$/.test(value.trim()) && value.trim().length < 100 ? Number(value.trim()) : null;
      if (number === null) throw new Invalid("check.not_whole_number", { value: describe(value) });
      if (number < rule.min || number > rule.max) throw new Invalid("check.year_range", { value: number, min: rule.min, max: rule.max });
      return number;
    }
    case "date": {
      const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
      const shape = msg(rule.full ? "shape.full" : "shape.partial");
      if (!match || (rule.full && !match[3])) throw new Invalid("check.not_date", { value: describe(value), shape });
      const [year, month, day] = [match[1], match[2] || "01", match[3] || "01"].map(Number);
      const date = new Date(Date.UTC(year, month - 1, day));
      if (year < 1 || month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
        throw new Invalid("check.not_real_date", { value, shape });
      }
      return value;
    }
    case "url": {
      const text = value.trim();
      controlled(text);
      if (new RegExp(rule.unsafe).test(text)) throw new Invalid("check.url_unsafe", { value: describe(value) });
      const parts = /^([A-Za-z][A-Za-z0-9+.\-]*):(?:\/\/([^/?#]*))?/.exec(text);
      if (!parts || !["http", "https"].includes(parts[1].toLowerCase()) || !(parts[2] || "").includes(".") || /\s/.test(text)) {
        throw new Invalid("check.not_url", { value: describe(value) });
      }
      return text;
    }
    case "doi": {
      const text = value.trim().replace(/^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:\s*)/i, "");
      controlled(text);
      if (!new RegExp(rule.pattern).test(text)) throw new Invalid("check.not_doi", { value: describe(value) });
      return text;
    }
    case "standard_number": {
      const kind = rule.number;
      const text = words(String(value)).replace(new RegExp(`^${kind}[:\\s]*`, "i"), "");
      const compact = text.replace(/[\s-]/g, "").toUpperCase();
      const lengths = kind === "ISBN" ? [10, 13] : [8];
      if (!lengths.includes(compact.length) || !/^\d+X?$/.test(compact) || (compact.includes("X") && compact.length === 13)) {
        throw new Invalid(`check.not_${kind.toLowerCase()}`, { value: describe(value) });
      }
      if (!checkDigit(compact)) throw new Invalid("check.check_digit", { value: text, kind });
      return text;
    }
    case "choice":
      return value;
    default:
      throw new Error(`unknown rule ${rule.kind}`);
  }
}

function check(values) {
  const bytes = new TextEncoder().encode(fileText(values)).length;
  if (bytes > data.maxBytes) {  // kb check reads nothing else of such a file
    return [{ field: "body", key: "check.file_too_large", params: { size: (bytes / 1e6).toFixed(1), max: data.maxBytes / 1e6 }, severity: "error" }];
  }
  const problems = [];
  const add = (field, key, params = {}, severity = "error") => problems.push({ field, key, params: { field, ...params }, severity });
  const converted = {};
  for (const rule of data.fields) {
    const value = values[rule.name];
    const given = !(value === "" || (Array.isArray(value) && !value.length));
    if (!given) {
      if (rule.required) add(rule.name, "check.missing", { help: msg(`help.${rule.name}`) });
      continue;
    }
    if (rule.kind === "translations") {
      const kept = [];
      for (const [lang, parts] of value) {
        let titled = false;
        for (const [part, partRule] of Object.entries(rule.parts)) {
          if (!(part in parts)) continue;
          try {
            convert(partRule, parts[part]);
            if (part === "title") titled = true;
          } catch (error) {
            if (!(error instanceof Invalid)) throw error;
            const where = { field: `${lang}.${part}`, ...error.params };
            add(rule.name, "check.translation_value", { problem: msg(error.key, where), fix: msg(`${error.key}.fix`, where) },
              error.severity);
          }
        }
        if (titled) kept.push(lang);
        else add(rule.name, "check.translation_no_title", { lang }); // missing, or refused above
      }
      converted[rule.name] = kept;
      continue;
    }
    if (rule.kind === "list" || rule.kind === "people") {
      const kept = [];
      for (const item of value) {
        try {
          const one = convert(rule.item, item);
          if (kept.includes(one)) add(rule.name, "check.listed_twice", { value: one }, "warning");
          else kept.push(one);
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          add(rule.name, error.key, error.params, error.severity);
        }
      }
      converted[rule.name] = kept;
      continue;
    }
    try {
      converted[rule.name] = convert(rule, value);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      add(rule.name, error.key, error.params, error.severity);
    }
  }
  if (converted.language && (converted.translations || []).includes(converted.language)) {
    add("translations", "check.translation_own_language", { lang: converted.language });
  }
  if (converted.date && converted.year !== undefined && !converted.date.startsWith(String(converted.year))) {
    add("date", "check.date_not_in_year", { date: converted.date, year: converted.year });
  }
  const text = values.body.replace(/<!--[\s\S]*?-->/g, "");
  if (!text.split("\n").some((line) => line.trim() && !line.trimStart().startsWith("#"))) {
    problems.push({ field: "body", key: "check.empty_body", params: {}, severity: "error" });
  }
  return problems;
}

// --- the entry's id, as kb new chooses it (kb/entries/schema.py: suggest_id; new.py: free_id) --
const LETTERS = { "œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d" };
function suggestId(title, max = 60) {
  const folded = title.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "").replace(/[œæøłđ]/g, (c) => LETTERS[c]);
  let result = "";
  for (const word of folded.match(/[a-z0-9]+/g) || []) {
    const next = result ? `${result}-${word}` : word;
    if (next.length > max) break;
    result = next;
  }
  return result;
}
let published = null; // loaded when first needed
async function freeId(title) {
  if (published === null) {
    try {
      published = new Set(await (await fetch(form.dataset.ids)).json());
    } catch {
      published = new Set();
    }
  }
  let base = suggestId(title);
  if (base.length < data.id.min) base = `${base}-entry`.replace(/^-/, "");
  let candidate = base;
  for (let number = 2; published.has(candidate); number += 1) candidate = `${base}-${number}`;
  return candidate;
}

// --- showing problems next to their fields ----------------------------------------------------
function show(problems) {
  for (const box of form.querySelectorAll(".error")) { box.hidden = true; box.textContent = ""; }
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  const list = $("kb-problems");
  list.replaceChildren();
  for (const problem of problems) {
    const text = `${say(problem.key, problem.params)} — ${say(`${problem.key}.fix`, problem.params)}`;
    const box = $(`kb-error-${problem.field}`);
    box.hidden = false;
    box.textContent = box.textContent ? `${box.textContent} ${text}` : text;
    const control = $(`kb-${problem.field}`) || box.closest("fieldset");
    if (problem.severity === "error") control.setAttribute("aria-invalid", "true");
    const item = document.createElement("li");
    Object.assign(item.dataset, { message: say(problem.key, problem.params), fix: say(`${problem.key}.fix`, problem.params) });
    const link = document.createElement("a");
    link.href = `#kb-field-${problem.field}`;
    link.textContent = text;
    Object.assign(item.dataset, { severity: problem.severity, key: problem.key });
    item.append(`${say(`severity.${problem.severity}`)}${say("colon")} `, link);
    list.append(item);
  }
  const errors = problems.filter((p) => p.severity === "error").length;
  $("kb-status").textContent = errors === 0 ? say("propose.ready")
    : errors === 1 ? say("propose.problems_one") : say("propose.problems", { n: errors });
  return errors;
}

// --- preview: the entry's page, from escaped text (nothing typed becomes HTML) ----------------
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
function inline(text) {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/\*([^*]+)\*/g, "<em>$1</em>")
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+|\.{0,2}\/[^\s)]*)\)/g, '<a href="$2" rel="noopener">$1</a>')
    .replace(/\[([^\]]+)\]\(([^)]*)\)/g, "$1");
}
function markdown(source) {
  const html = [];
  let paragraph = [];
  let list = null;
  const flush = () => {
    if (paragraph.length) html.push(`<p>${inline(paragraph.join(" "))}</p>`);
    if (list) html.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`);
    paragraph = [];
    list = null;
  };
  for (const line of source.replace(/<!--[\s\S]*?-->/g, "").split("\n")) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (!line.trim()) flush();
    else if (heading) { flush(); html.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`); }
    else if (bullet || numbered) {
      const tag = bullet ? "ul" : "ol";
      if (paragraph.length || (list && list.tag !== tag)) flush();
      list = list || { tag, items: [] };
      list.items.push((bullet || numbered)[1]);
    } else if (list) list.items[list.items.length - 1] += ` ${line.trim()}`;
    else paragraph.push(line.trim());
  }
  flush();
  return html.join("\n");
}
function preview(values) {
  const facts = [];
  for (const rule of data.fields) {
    const value = values[rule.name];
    if (["title", "summary", "translations"].includes(rule.name) || value === "" || (Array.isArray(value) && !value.length)) continue;
    const vocabulary = rule.vocabulary || (rule.item && rule.item.vocabulary);
    const shown = [].concat(value).map((v) => (vocabulary ? data.labels[vocabulary][v] || v : v));
    facts.push(`<dt>${escapeHtml(form.querySelector(`#kb-field-${rule.name} label, #kb-field-${rule.name} legend`).firstChild.textContent.trim())}</dt><dd>${escapeHtml(shown.join("; "))}</dd>`);
  }
  const lang = values.language || data.lang;
  const title = words(String(values.title || ""));
  $("kb-preview-page").innerHTML = `<article class="entry">${title ? `<h3 class="title" lang="${escapeHtml(lang)}">${escapeHtml(title)}</h3>` : ""}`
    + (values.summary ? `<p class="lead" lang="${escapeHtml(lang)}">${escapeHtml(words(values.summary))}</p>` : "")
    + `<dl class="facts">${facts.join("")}</dl><div class="body" lang="${escapeHtml(lang)}">${markdown(values.body)}</div></article>`;
  $("kb-preview").hidden = false;
}

// --- the result and how to send it -----------------------------------------------------------
let result = null;
async function produce(values) {
  const id = await freeId(String(values.title));
  const text = fileText(values);
  result = { id, name: `${id}.md`, text, title: words(String(values.title)) };
  $("kb-file").value = text;
  $("kb-file-name").textContent = say("propose.file_name", { name: result.name });
  const forge = $("kb-forge");
  if (forge) {
    const base = `${form.dataset.repository.replace(/\/$/, "")}/new/${form.dataset.branch}/${form.dataset.folder}`;
    const full = `${base}?filename=${encodeURIComponent(result.name)}&value=${encodeURIComponent(text)}`;
    forge.href = full.length <= MAX_URL ? full : `${base}?filename=${encodeURIComponent(result.name)}`;
    forge.dataset.tooLong = full.length > MAX_URL ? "1" : "";
  }
  const mail = $("kb-email");
  if (mail) {
    const subject = encodeURIComponent(say("propose.email_subject", { title: result.title }));
    const href = `mailto:${form.dataset.contact}?subject=${subject}&body=${encodeURIComponent(text)}`;
    mail.href = href.length <= MAX_MAILTO ? href : `mailto:${form.dataset.contact}?subject=${subject}`;
    mail.dataset.tooLong = href.length > MAX_MAILTO ? "1" : "";
  }
  $("kb-result").hidden = false;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    $("kb-file").select();
    document.execCommand("copy");
  }
  $("kb-result-note").textContent = say("propose.copied");
}

// --- the draft, kept in this browser ----------------------------------------------------------
function saveDraft() {
  const draft = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    if (element.type === "checkbox") { if (element.checked) (draft[element.name] ||= []).push(element.value); }
    else draft[element.name] = element.value;
  }
  try { localStorage.setItem(DRAFT, JSON.stringify(draft)); } catch { /* private mode: no draft */ }
}
function loadDraft() {
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch { draft = null; }
  if (!draft || typeof draft !== "object") return false;
  for (const element of form.elements) {
    if (!element.name || !(element.name in draft)) continue;
    if (element.type === "checkbox") element.checked = [].concat(draft[element.name]).includes(element.value);
    else element.value = String(draft[element.name]);
  }
  return true;
}

// --- wiring ------------------------------------------------------------------------------------
let bodyTouched = false;
function bodyFor(lang) {
  if (!bodyTouched) form.elements.body.value = data.bodies[lang] || data.bodies[data.lang];
}
let checkedOnce = false;
let pending = null; // the next check, after a pause in typing
const touched = new Set(); // fields left once: their problems show before the first check
async function run(final) {
  const values = read();
  $("kb-file").value = fileText(values); // what kb check would read (shown once it passes)
  const problems = check(values);
  if (!checkedOnce) {
    show(problems.filter((problem) => touched.has(problem.field)));
    $("kb-status").textContent = ""; // no verdict before the person asks for one
    preview(values);
    return 1;
  }
  const errors = show(problems);
  preview(values);
  if (errors === 0) await produce(values);
  else if (final) $("kb-result").hidden = true;
  return errors;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  checkedOnce = true;
  const errors = await run(true);
  const target = errors ? $("kb-problems") : $("kb-result");
  target.scrollIntoView({ block: "start" });
});
form.addEventListener("input", (event) => {
  if (event.target.name === "body") bodyTouched = true;
  if (event.target.dataset.filter) return;
  saveDraft();
  clearTimeout(pending);
  pending = setTimeout(() => run(false), 250);
});
form.elements.language.addEventListener("change", () => bodyFor(form.elements.language.value || data.lang));
form.addEventListener("change", (event) => {
  const field = event.target.closest("[data-field]");
  if (!field || event.target.dataset.filter) return;
  touched.add(field.dataset.field);
  // Later, not now: leaving a field by pressing "check" must not move the button under the click.
  clearTimeout(pending);
  pending = setTimeout(() => run(false), 250);
});
for (const filter of form.querySelectorAll("[data-filter]")) {
  filter.addEventListener("input", () => {
    const fold = (text) => text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "").replace(/[-\s]+/g, " ");
    const wanted = fold(filter.value.trim());
    for (const choice of filter.closest("fieldset").querySelectorAll(".choice")) {
      choice.hidden = wanted !== "" && !fold(choice.dataset.names).includes(wanted) && !choice.querySelector("input").checked;
    }
  });
}
$("kb-restart").addEventListener("click", () => {
  try { localStorage.removeItem(DRAFT); } catch { /* nothing kept */ }
  form.reset();
  bodyTouched = false;
  checkedOnce = false;
  touched.clear();
  bodyFor(form.elements.language.value || data.lang);
  show([]);
  $("kb-status").textContent = "";
  $("kb-preview").hidden = true;
  $("kb-result").hidden = true;
});
$("kb-download").addEventListener("click", () => {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([result.text], { type: "text/markdown;charset=utf-8" }));
  link.download = result.name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
});
$("kb-copy").addEventListener("click", () => copy(result.text));
$("kb-forge")?.addEventListener("click", async () => {
  if ($("kb-forge").dataset.tooLong) {
    await copy(result.text);
    $("kb-result-note").textContent = say("propose.too_long_for_link", { name: result.name });
  }
});
$("kb-email")?.addEventListener("click", () => {
  if ($("kb-email").dataset.tooLong) $("kb-result-note").textContent = say("propose.email_too_long");
});

form.hidden = false;
if (loadDraft()) {
  bodyTouched = form.elements.body.value !== "";
  if (!bodyTouched) bodyFor(form.elements.language.value || data.lang);
  preview(read());
} else {
  bodyFor(form.elements.language.value || data.lang);
}

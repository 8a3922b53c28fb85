// The entries a reader has chosen to compare: at most MAX ids, kept in localStorage so that the
// search page, the entry pages and the compare page share one list.
export const MAX = 5;
const KEY = "kb-compare";
const ID = /^[a-z0-9-]{3,80}$/;

export function chosen() {
  try {
    const ids = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(ids) ? clean(ids) : [];
  } catch { return []; }
}

export function keep(ids) {
  try { localStorage.setItem(KEY, JSON.stringify(clean(ids))); } catch { /* private mode */ }
}

export function clean(ids) {
  return [...new Set(ids.filter((id) => ID.test(id)))].slice(0, MAX);
}

// The compare page's address for these ids, relative to a page in the same language folder.
export function address(ids) {
  return `?ids=${ids.map(encodeURIComponent).join(",")}`;
}

// citeproc-js over many styles in one process, for the sweep (sweep.py).
//
// Usage: node sweep_js.mjs LOCALE_DIR ITEMS_JSON STYLES_TXT
//
// ITEMS_JSON is a JSON array of CSL-JSON items; STYLES_TXT lists one .csl path per line (a file,
// not standard input: a pipe each way can fill up and leave both processes waiting).
// For each style, one line of JSON goes to standard output as soon as it is rendered:
// {"style": PATH, "entries": [text, ...]} or {"style": PATH, "error": MESSAGE}. Each style gets an
// engine of its own (built, used once, dropped); the style's default-locale decides the locale,
// en-US when it has none, as in Zotero. Items are registered in the order given, which is the
// citation order for styles that number their entries.

import fs from "node:fs";
import CSL from "citeproc";

const [localeDir, itemsPath, stylesPath] = process.argv.slice(2);
if (!localeDir || !itemsPath || !stylesPath) {
  process.stderr.write("usage: node sweep_js.mjs LOCALE_DIR ITEMS_JSON STYLES_TXT\n");
  process.exit(2);
}

const items = new Map(JSON.parse(fs.readFileSync(itemsPath, "utf8")).map((item) => [String(item.id), item]));
const localeCache = new Map();
const sys = {
  retrieveLocale(lang) {
    if (!localeCache.has(lang)) {
      const path = `${localeDir}/locales-${lang}.xml`;
      localeCache.set(lang, fs.existsSync(path) ? fs.readFileSync(path, "utf8") : false);
    }
    return localeCache.get(lang);
  },
  retrieveItem(id) {
    return items.get(id);
  },
};

function render(path) {
  const engine = new CSL.Engine(sys, fs.readFileSync(path, "utf8"));
  engine.setOutputFormat("text");
  engine.updateItems([...items.keys()]);
  const result = engine.makeBibliography();
  return result ? result[1].map((entry) => entry.trim()) : [];
}

for (const line of fs.readFileSync(stylesPath, "utf8").split("\n")) {
  const path = line.trim();
  if (!path) continue;
  let out;
  try {
    out = { style: path, entries: render(path) };
  } catch (err) {
    out = { style: path, error: String(err && err.message ? err.message : err).split("\n")[0] };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

// citeproc-js (the processor Zotero and Mendeley use) as a reference for bibkit's formatted lists.
//
// Reads a JSON array of jobs on standard input, each {style: path to a .csl file, lang: "en-US",
// items: [CSL-JSON item, ...]}, and writes a JSON array with one result per job: the bibliography's
// entries as plain text, in the order citeproc-js gives them. Items are registered in the order
// given, which is the citation order for styles that number their entries.
//
// Usage: node citeproc_js.mjs LOCALE_DIR < jobs.json
// LOCALE_DIR holds locales-xx-XX.xml files (bibkit passes citeproc-py's own, so that both
// processors read the same terms).

import fs from "node:fs";
import CSL from "citeproc";

const localeDir = process.argv[2];
if (!localeDir) {
  process.stderr.write("usage: node citeproc_js.mjs LOCALE_DIR < jobs.json\n");
  process.exit(2);
}

// Building an engine parses the style, which takes seconds for the large ones (Chicago: ~7 s):
// one engine per style serves every job with that style. updateItems() replaces the registered
// items, and ids carry their job's number, so no item or disambiguation state crosses jobs.
const engines = new Map();
let items = new Map();
const sys = {
  retrieveLocale(lang) {
    const path = `${localeDir}/locales-${lang}.xml`;
    return fs.existsSync(path) ? fs.readFileSync(path, "utf8") : false;
  },
  retrieveItem(id) {
    return items.get(id);
  },
};

function engineFor(style, lang) {
  const key = `${lang}\n${style}`;
  if (!engines.has(key)) {
    // forceLang: the job's locale wins over the style's default-locale, as in bibkit.
    const engine = new CSL.Engine(sys, fs.readFileSync(style, "utf8"), lang, true);
    engine.setOutputFormat("text");
    engines.set(key, engine);
  }
  return engines.get(key);
}

function render(job, n) {
  items = new Map(job.items.map((item) => [`job${n}:${item.id}`, { ...item, id: `job${n}:${item.id}` }]));
  const engine = engineFor(job.style, job.lang || "en-US");
  engine.updateItems([...items.keys()]);
  const result = engine.makeBibliography();
  return result ? result[1].map((entry) => entry.trim()) : [];
}

const jobs = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(jobs.map(render)));

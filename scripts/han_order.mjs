// Writes the order in which ICU sorts Han characters, as citeproc-js compares sort keys, for
// bibkit's collation (bibkit/exporters/csl/collation.py reads the files this writes):
//
//     node scripts/han_order.mjs     # rewrites bibkit/exporters/csl/han-*.txt
//
// han-root.txt: CLDR's root order (radical and stroke count), which every language but those
// with a Han order of their own uses; han-zh.txt: Chinese, by pinyin. Each holds every Han
// character of the Basic Multilingual Plane (CJK Unified Ideographs and Extension A, 27,584)
// once, in order; no two compare equal at citeproc-js's strength ("base"). The characters of
// the supplementary planes (Extension B on) are left out: ~70,000 more, rare in names and
// titles; bibkit sorts them after these, by code point.

import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "..", "bibkit", "exporters", "csl");
const chars = [];
for (const [first, last] of [[0x3400, 0x4dbf], [0x4e00, 0x9fff]]) {
  for (let c = first; c <= last; c++) chars.push(String.fromCodePoint(c));
}
for (const [name, lang, what] of [["root", "en", "CLDR root order (radical, strokes)"], ["zh", "zh", "Chinese (pinyin)"]]) {
  const collator = new Intl.Collator(lang, {sensitivity: "base", ignorePunctuation: true, numeric: true});
  const order = [...chars].sort((a, b) => collator.compare(a, b) || (a < b ? -1 : 1));
  for (let i = 1; i < order.length; i++) {
    if (collator.compare(order[i - 1], order[i]) === 0) throw new Error(`${name}: ${order[i - 1]} = ${order[i]}`);
  }
  const lines = [`# Han characters in ICU's ${what} order: ICU ${process.versions.icu}, CLDR ${process.versions.cldr}` +
                 ` (Node ${process.versions.node}); written by scripts/han_order.mjs`];
  for (let i = 0; i < order.length; i += 64) lines.push(order.slice(i, i + 64).join(""));
  fs.writeFileSync(path.join(out, `han-${name}.txt`), lines.join("\n") + "\n");
}

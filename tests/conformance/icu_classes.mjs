// ICU's order of strings as citeproc-js compares sort keys (localeCompare, base letters only,
// punctuation ignored, numbers by value, both lower-cased in the language first), grouped into
// classes of strings that compare equal. The reference for bibkit's collation (test_collation.py).
//
// Reads {"langs": [...], "strings": [...]} on standard input; writes {lang: [[string, ...], ...]}.

import fs from "node:fs";

const {langs, strings} = JSON.parse(fs.readFileSync(0, "utf8"));
const out = {};
for (const lang of langs) {
  const opts = {sensitivity: "base", ignorePunctuation: true, numeric: true};
  const cmp = (a, b) => a.toLocaleLowerCase(lang).localeCompare(b.toLocaleLowerCase(lang), lang, opts);
  const sorted = [...strings].sort((a, b) => cmp(a, b) || (a < b ? -1 : a > b ? 1 : 0));
  const classes = [];
  for (const s of sorted) {
    const last = classes[classes.length - 1];
    if (last && cmp(last[0], s) === 0) last.push(s);
    else classes.push([s]);
  }
  out[lang] = classes;
}
process.stdout.write(JSON.stringify(out));

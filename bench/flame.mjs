// Summarise a V8 .cpuprofile: top functions by self time, and totals by file.
// usage: node flame.mjs FILE [topN] [ancestorRegex]  — with a regex, only samples under a matching frame count.
import { readFileSync } from 'node:fs';
const [file, topN = '25', anc] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const re = anc ? new RegExp(anc) : null;
const under = new Map();
const isUnder = (id) => {
  if (!re) return true;
  if (under.has(id)) return under.get(id);
  const n = byId.get(id);
  const v = re.test(n.callFrame.functionName) || (parent.has(id) && isUnder(parent.get(id)));
  under.set(id, v);
  return v;
};
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
let total = 0;
const self = new Map();
const byFile = new Map();
for (const [id, us] of dt) {
  if (!isUnder(id)) continue;
  const cf = byId.get(id).callFrame;
  const f = cf.url ? cf.url.replace(/^.*\/(src|node_modules|bench|test)\//, '$1/').replace(/^node:/, 'node:') : '(native)';
  const key = `${cf.functionName || '(anon)'}  ${f}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  byFile.set(f, (byFile.get(f) ?? 0) + us);
  total += us;
}
const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + ' %';
console.log(`sampled ${(total / 1e3).toFixed(0)} ms${re ? ` under /${anc}/` : ''}`);
console.log('-- self time by function');
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topN))) console.log(pct(us), k);
console.log('-- self time by file');
for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(pct(us), k);

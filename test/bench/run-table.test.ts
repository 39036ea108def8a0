import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, updateDoc } from '../../bench/run.js';
import { ratioRow, type Row } from '../../bench/row.js';

const row = (metric: string): Row => ({ group: 'g', metric, value: 1, unit: 'x' });

test('ratioRow: ratio to the same-run baseline and the verdict of an at-least / at-most target', () => {
  const hi = ratioRow('server', 'verify + store', 600, 'blocks/s', { value: 1000, what: 'verify alone' }, { atLeast: 0.8 });
  assert.equal(hi.ratio, 0.6);
  assert.equal(hi.target, '>= 0.8x');
  assert.equal(hi.ok, false);
  assert.deepEqual(hi.baseline, { value: 1000, unit: 'blocks/s', what: 'verify alone' });
  const lo = ratioRow('device', 'CPU per still', 9, 'ms', { value: 8, unit: 'ms CPU', what: 'floor' }, { atMost: 1.25 });
  assert.equal(lo.ok, true);
  assert.equal(ratioRow('d', 'm', 2, 'u', { value: 1, what: 'b' }).ok, undefined);
});

test('renderTable: baseline and ratio columns; a target without a baseline says it is absolute', () => {
  const t = renderTable([
    ratioRow('server', 'verify + store', 600, 'blocks/s', { value: 1000, what: 'verify alone' }, { atLeast: 0.8 }),
    { group: 'ble', metric: 'goodput', value: 90, unit: '%', target: '>= 80', ok: true },
    row('informational'),
  ]);
  const lines = t.split('\n');
  assert.match(lines[0]!, /same-run baseline\s*\| ratio\s*\| target/);
  assert.match(lines[2]!, /1000 blocks\/s \(verify alone\)\s*\| 0\.60x\s*\| >= 0\.8x\s*\| MISSED/);
  assert.match(lines[3]!, /none: a fixed bound/);
  assert.doesNotMatch(lines[4]!, /fixed bound/);
});

test('updateDoc: replaces only the sections of the modules that ran and keeps every other section', () => {
  const doc = [
    '# Performance', '', 'intro', '',
    '<!-- bench:server start -->', 'old server table', '<!-- bench:server end -->', '',
    '## arm64 and a Raspberry Pi ESTIMATE', '', 'hand-written arm64 table', '',
    '<!-- bench:device start -->', 'old device table', '<!-- bench:device end -->', '',
  ].join('\n');
  const out = updateDoc(doc, [{ name: 'server', rows: [row('new server row')], seconds: 3 }, { name: 'scale', rows: [row('scale row')], seconds: 9 }], 'M', '2026-12-07');
  assert.match(out, /new server row/);
  assert.doesNotMatch(out, /old server table/);
  assert.match(out, /## arm64 and a Raspberry Pi ESTIMATE\n\nhand-written arm64 table/);
  assert.match(out, /old device table/);
  assert.match(out, /intro/);
  assert.match(out, /## scale\n\n<!-- bench:scale start -->\nMeasured 2026-12-07 with `npm run bench -- --only scale` \(9 s\) on M\.\n\n\| group/);
  assert.ok(out.indexOf('new server row') < out.indexOf('arm64'));
  assert.equal(updateDoc(out, [{ name: 'scale', rows: [row('scale row')], seconds: 9 }], 'M', '2026-12-07'), out);
});

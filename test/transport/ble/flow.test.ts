/**
 * Windowed flow control in isolation: a FlowSender and a FlowReceiver joined
 * by a hand-driven channel that can drop, duplicate and reorder, with a
 * ManualClock for retransmission timeouts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/platform/clock.js';
import { isSealcamError } from '../../../src/platform/errors.js';
import type { BleError } from '../../../src/transport/ble/errors.js';
import { decodeFrag, Reassembler } from '../../../src/transport/ble/link/fragment.js';
import { FlowReceiver } from '../../../src/transport/ble/link/flow-receiver.js';
import { FlowSender } from '../../../src/transport/ble/link/flow-sender.js';
import type { Frame } from '../../../src/transport/transport.js';
import { payloadFor } from '../contract.js';

function harness(o: { window?: number; pmax?: number; maxQueueFrames?: number; maxTransmissions?: number } = {}) {
  const clock = new ManualClock(0n);
  let ackDue = false;
  const dead: BleError[] = [];
  const tx = new FlowSender({ clock, maxQueueFrames: o.maxQueueFrames, maxTransmissions: o.maxTransmissions, onKick: () => {}, onDead: (e) => dead.push(e) });
  const rx = new FlowReceiver({ clock, window: o.window ?? 16, onAckDue: () => (ackDue = true) });
  tx.setLimit(rx.state.limit);
  const reasm = new Reassembler(1 << 20);
  const frames: Frame[] = [];
  const seen: number[] = [];
  let pmax = o.pmax ?? 20;
  /** Moves fragments; `drop(seq, n)` decides loss of the n-th transmission overall. */
  const deliver = (f: ReturnType<typeof decodeFrag>): void => {
    for (const g of rx.onFrag(f)) {
      const fr = reasm.push(g);
      if (fr) frames.push(fr);
    }
  };
  const run = (drop: (seq: number) => boolean = () => false, rounds = 10_000): void => {
    for (let r = 0; r < rounds; r++) {
      let moved = false;
      for (let v = tx.nextPdu(pmax); v; v = tx.nextPdu(pmax)) {
        moved = true;
        const f = decodeFrag(v);
        seen.push(f.seq);
        if (!drop(f.seq)) deliver(f);
      }
      if (!moved && !ackDue) break;
      ackDue = false;
      tx.onAck(rx.takeAck(pmax));
    }
  };
  return { clock, tx, rx, frames, seen, dead, run, deliver, setPmax: (p: number) => (pmax = p), ackDue: () => ackDue };
}

const send = (h: ReturnType<typeof harness>, n: number, len: (k: number) => number) =>
  Array.from({ length: n }, (_, k) => h.tx.enqueue(1 + (k % 200), payloadFor(k, len(k))));

function assertFrames(frames: Frame[], n: number, len: (k: number) => number): void {
  assert.equal(frames.length, n);
  frames.forEach((f, k) => assert.deepEqual(f, { kind: 1 + (k % 200), payload: payloadFor(k, len(k)) }, `frame ${k}`));
}

describe('flow control', () => {
  test('in-order delivery of many frames, no retransmission, sender idle at the end', async () => {
    const h = harness();
    const len = (k: number) => (k * 37) % 300;
    const sends = send(h, 60, len);
    h.run();
    await Promise.all(sends);
    assertFrames(h.frames, 60, len);
    assert.equal(h.tx.stats.retransmissions, 0);
    assert.equal(h.tx.idle, true);
  });

  test('a dropped fragment is recovered from the selective ack, without any timer', () => {
    const h = harness();
    let dropped = false;
    void send(h, 5, () => 200);
    h.run((seq) => seq === 3 && !dropped && (dropped = true));
    assertFrames(h.frames, 5, () => 200);
    assert.equal(h.tx.stats.retransmissions, 1);
    assert.ok(h.rx.stats.outOfOrder > 0);
  });

  test('a lost last fragment is resent after the retransmission timeout', () => {
    const h = harness({ window: 64 });
    void send(h, 1, () => 31); // 3 fragments at 20 bytes: 7 + 12 + 12
    h.run((seq) => seq === 2 && h.seen.filter((s) => s === 2).length === 1);
    assert.equal(h.frames.length, 0);
    h.clock.advance(999);
    h.run();
    assert.equal(h.frames.length, 0);
    h.clock.advance(1); // initial RTO 1000 ms
    h.run();
    assertFrames(h.frames, 1, () => 31);
    assert.equal(h.tx.stats.retransmissions, 1);
  });

  test('duplicates are suppressed and re-acknowledged', () => {
    const h = harness();
    void send(h, 1, () => 5);
    const v = h.tx.nextPdu(20)!;
    const f = decodeFrag(v);
    assert.equal(h.rx.onFrag(f).length, 1);
    assert.equal(h.rx.onFrag(decodeFrag(v)).length, 0);
    assert.equal(h.rx.stats.duplicates, 1);
    assert.equal(h.ackDue(), true);
  });

  test('the sender respects the window; the receiver rejects fragments beyond its limit', () => {
    const h = harness({ window: 4 });
    void send(h, 1, () => 500);
    const vals: Uint8Array[] = [];
    for (let v = h.tx.nextPdu(20); v; v = h.tx.nextPdu(20)) vals.push(v);
    assert.equal(vals.length, 4);
    const rx = new FlowReceiver({ clock: new ManualClock(0n), window: 4, onAckDue: () => {} });
    assert.throws(() => rx.onFrag({ ...decodeFrag(vals[0]!), seq: 4 }), (e) => isSealcamError(e, 'BLE_FRAG_WINDOW'));
  });

  test('acks for unsent fragments are refused; reordered acks never move backwards', () => {
    const h = harness();
    void send(h, 1, () => 100);
    for (let i = 0; i < 4; i++) h.tx.nextPdu(20);
    assert.throws(() => h.tx.onAck({ type: 'ack', next: 5, limit: 20, sack: new Uint8Array(0) }), (e) => isSealcamError(e, 'BLE_ACK_INVALID'));
    h.tx.onAck({ type: 'ack', next: 3, limit: 19, sack: new Uint8Array(0) });
    h.tx.onAck({ type: 'ack', next: 1, limit: 17, sack: new Uint8Array(0) }); // late, older ack
    assert.deepEqual(h.tx.state, { acked: 3, sent: 4, limit: 19 });
  });

  test('rewind on resume: nothing acknowledged is resent, the rest is re-cut for a smaller MTU', () => {
    const h = harness({ window: 64, pmax: 244 });
    void send(h, 2, () => 3000);
    for (let i = 0; i < 5; i++) {
      const f = decodeFrag(h.tx.nextPdu(244)!);
      if (i < 3) h.deliver(f); // the link drops: fragments 3 and 4 are lost with it
    }
    const rx = h.rx.resetForResume();
    assert.equal(rx.next, 3);
    h.tx.rewind(rx.next, rx.limit);
    h.setPmax(20);
    const before = h.seen.length;
    h.run();
    assert.ok(h.seen.slice(before).every((s) => s >= 3), 'no fragment below the resume point was resent');
    assertFrames(h.frames, 2, () => 3000);
    assert.throws(() => h.tx.rewind(1, 10), (e) => isSealcamError(e, 'BLE_ACK_INVALID'));
  });

  test('the send queue is bounded (SEND_QUEUE_FULL) and sends resolve when transmitted', async () => {
    const h = harness({ window: 1, maxQueueFrames: 2 });
    let resolved = 0;
    const a = h.tx.enqueue(1, new Uint8Array(100)).then(() => resolved++);
    const b = h.tx.enqueue(1, new Uint8Array(100)).then(() => resolved++);
    await assert.rejects(h.tx.enqueue(1, new Uint8Array(1)), (e) => isSealcamError(e, 'SEND_QUEUE_FULL'));
    h.run();
    await Promise.all([a, b]);
    assert.equal(resolved, 2);
  });

  test('a fragment never acknowledged kills the link after maxTransmissions', () => {
    const h = harness({ maxTransmissions: 3 });
    void send(h, 1, () => 5);
    h.run(() => true);
    for (let i = 0; i < 6 && h.dead.length === 0; i++) {
      h.clock.advance(20_000);
      h.run(() => true);
    }
    assert.equal(h.dead[0]?.code, 'BLE_RETRANSMIT_LIMIT');
    assert.equal(h.seen.length, 3);
  });

  test('a paused receiver stops extending the window; resuming sends a window update', () => {
    const h = harness({ window: 8 });
    h.rx.pause();
    void send(h, 1, () => 2000);
    h.run();
    const stalled = h.tx.state;
    assert.equal(stalled.sent, 8, 'only the first window went out');
    assert.equal(h.frames.length, 0);
    h.rx.resume();
    assert.equal(h.ackDue(), true);
    h.run();
    assert.equal(h.frames.length, 1);
  });
});

/**
 * The shared transport contract over the simulated BLE link (MTU 247,
 * 7.5 ms connection interval, 6 values per event, acks reordered), in both
 * orientations: central → device and device → central.
 */
import { transportContract } from '../contract.js';
import { simSetup } from './helpers.js';

for (const dir of ['central→device', 'device→central'] as const) {
  transportContract(`ble (simulated link, ${dir})`, async ({ maxFrameBytes }) => {
    const s = await simSetup({ maxFrameBytes, radio: { ackReorderProbability: 0.2 } });
    const { central, device } = await s.pair();
    const [a, b] = dir === 'central→device' ? [central, device] : [device, central];
    return {
      a,
      b,
      cleanup: async () => {
        await Promise.all([a.close(), b.close()]);
        await s.cleanup();
      },
    };
  });
}

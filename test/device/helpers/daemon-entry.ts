/**
 * Test entry of the daemon while src/cli/main.ts does not list `device` yet:
 * `node --import tsx test/device/helpers/daemon-entry.ts --config FILE` behaves
 * like `sealcam device --config FILE` (same run(), same exit codes).
 */
import { run } from '../../../src/cli/commands/device.js';

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);

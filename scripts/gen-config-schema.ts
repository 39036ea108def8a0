// Writes firmware-config/device.schema.json from src/device/daemon/config-schema.ts (the source of truth).
import { writeFileSync } from 'node:fs';
import { deviceConfigSchema } from '../src/device/daemon/config-schema.js';

export function renderDeviceSchema(): string {
  return JSON.stringify(deviceConfigSchema, null, 2) + '\n';
}

if (process.argv[1]?.endsWith('gen-config-schema.ts')) {
  writeFileSync(new URL('../firmware-config/device.schema.json', import.meta.url), renderDeviceSchema());
  console.log('wrote firmware-config/device.schema.json');
}

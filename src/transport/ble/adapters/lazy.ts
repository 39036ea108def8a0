/**
 * Lazy loading of the optional native Bluetooth packages (STYLE.md §5): the
 * specifier is a runtime string so TypeScript never resolves it and nothing
 * loads it unless BLE is configured. A missing or broken package becomes a
 * coded BLE_ADAPTER_MISSING error that says how to fix it.
 */
import { bleError } from '../errors.js';

/** Linux set-up every HCI-socket Bluetooth package needs (also in docs/BLE.md "Pi set-up"). */
export const LINUX_BLE_HINT =
  'On Linux the process needs cap_net_raw,cap_net_admin (e.g. `sudo setcap cap_net_raw,cap_net_admin+eip "$(readlink -f "$(which node)")"` ' +
  'or AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN in the systemd unit), and bluetoothd must not hold the adapter: ' +
  '`sudo systemctl stop bluetooth` (and `disable` to persist), or use the HCI user channel with the adapter down (`sudo hciconfig hci0 down`).';

/**
 * Imports an optional package and returns its default export (or the module).
 * @throws BleError BLE_ADAPTER_MISSING naming `npm install <name>` and the capabilities needed.
 */
export async function loadOptional<T>(name: string): Promise<T> {
  const specifier = name; // a variable: tsc must not try to resolve the package
  try {
    const m = (await import(specifier)) as { default?: T };
    return (m.default ?? m) as T;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw bleError(
      'BLE_ADAPTER_MISSING',
      `cannot load ${name} (${why}). BLE needs it: run \`npm install ${name}\` (a native module: build tools, libbluetooth-dev, libudev-dev). ${LINUX_BLE_HINT}`,
      e,
    );
  }
}

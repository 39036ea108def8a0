// Runs `sealcam server --config ARGV[2]` in this process (the crash test's child; SIGKILLed on purpose).
import { run } from '../../src/cli/commands/server.js';

process.exitCode = await run(['--config', process.argv[2]!, '--stop-timeout', '5000']);

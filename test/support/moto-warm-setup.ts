import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WARM_MOTO_ENV } from './moto.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'moto-warm.py');

/**
 * Global setup of the tiers that run moto: the warm moto process (moto-warm.py), which imports
 * moto and builds its backends once, then forks each test file's fresh server in milliseconds —
 * each server started from `moto_server` spent ~3.5 s of CPU getting there, ~2 minutes of the
 * suite's CPU over its ~35 servers. Its control port reaches the test workers through the
 * environment; startMoto falls back to `moto_server` without it (so a missing moto still fails
 * with the install hint, from the first test that needs it).
 */
export default async function setup(): Promise<() => void> {
  const warm = spawn('python3', [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  warm.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const port = await new Promise<number | undefined>((resolve) => {
    let out = '';
    warm.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^ready (\d+)$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    warm.on('error', () => resolve(undefined));
    warm.on('exit', () => resolve(undefined));
  });
  if (port === undefined) {
    console.warn(`The warm moto process did not start; each test file starts moto_server itself.\n${err}`);
    return () => undefined;
  }
  process.env[WARM_MOTO_ENV] = String(port);
  // Closing its stdin ends it and every server it forked (also if this process dies).
  return () => {
    delete process.env[WARM_MOTO_ENV];
    warm.stdin.end();
  };
}

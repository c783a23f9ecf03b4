import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/**
 * The local AWS for integration and end-to-end tests: moto in server mode, on a free loopback
 * port, started by the test and stopped by its pid. Never skipped: without moto the suite fails
 * and says how to install it.
 */
export interface Moto {
  endpoint: string;
  port: number;
  /** Wipe all state (about a second). */
  reset(): Promise<void>;
  stop(): Promise<void>;
  /** Environment for a child process (the built CLI) talking to this moto. */
  env(extra?: Record<string, string>): Record<string, string>;
}

export interface MotoOptions {
  /** Every ECS service reports this many running tasks (moto never runs tasks otherwise). */
  serviceRunning?: number;
  /** Seconds until moto turns a DNS-validated ACM certificate ISSUED (moto's default: 60). */
  acmValidationWait?: number;
}

export const INSTALL_HINT =
  'The integration tests need moto server (the local AWS emulator). Install it with: pip install "moto[server]>=5.2" — then `moto_server --help` must work.';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * How to start moto: `moto_server` from PATH, else `python3 -m moto.server`. Found by looking, not
 * by running `moto_server --help` (which imports all of moto: ~1.5 s of CPU for every test file);
 * one that is there but broken exits at start, and startMoto says so with the install hint.
 */
function motoCommand(): { cmd: string; args: string[] } {
  const onPath = (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, 'moto_server')));
  if (onPath) return { cmd: 'moto_server', args: [] };
  const py = spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' });
  if (!py.error && py.status === 0) return { cmd: 'python3', args: ['-m', 'moto.server'] };
  throw new Error(INSTALL_HINT);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Fake but harmless credentials and region: the SDK never reaches beyond loopback. */
export const TEST_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  // moto answers at once: the CLI checks every 50 ms instead of AWS's 1 s (src/cli/context.ts).
  ECS_WIZARD_POLL_MS: '50',
};

export async function startMoto(opts: MotoOptions = {}): Promise<Moto> {
  const { cmd, args } = motoCommand();
  const port = await freePort();
  const env = {
    ...process.env,
    MOTO_IAM_LOAD_MANAGED_POLICIES: 'true',
    ...(opts.serviceRunning !== undefined ? { MOTO_ECS_SERVICE_RUNNING: String(opts.serviceRunning) } : {}),
    // Low by default: no test should sit out moto's 60 s; one that needs a slow ACM says so.
    MOTO_ACM_VALIDATION_WAIT: String(opts.acmValidationWait ?? 1),
  };
  const child: ChildProcess = spawn(cmd, [...args, '-H', '127.0.0.1', '-p', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let spawnError: Error | undefined;
  child.on('error', (e) => (spawnError = e));
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError) throw new Error(`moto server could not start (${spawnError.message})\n${INSTALL_HINT}`);
    if (child.exitCode !== null) throw new Error(`moto server exited (${child.exitCode}): ${stderr}\n${INSTALL_HINT}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not answer on ${endpoint} within 30 s: ${stderr}\n${INSTALL_HINT}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    port,
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`moto reset failed: ${r.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
    env(extra = {}) {
      return { ...TEST_AWS_ENV, AWS_ENDPOINT_URL: endpoint, ...extra };
    },
  };
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
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

/** The warm moto process global-setup.ts started (its control port), if it did: see moto-warm.py. */
export const WARM_MOTO_ENV = 'ECS_WIZARD_TEST_MOTO_WARM';

/** A started moto server process, however it was started. */
interface ServerProcess {
  /** Why it is not running, once it has stopped (undefined while it runs). */
  exited(): string | undefined;
  /** What it printed, for an error message. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when it has stopped. */
  gone(): Promise<void>;
}

/** A fresh moto server forked from the warm one (milliseconds instead of ~3.5 s of CPU). */
async function forkWarm(control: number, port: number, env: Record<string, string>): Promise<ServerProcess> {
  const log = join(mkdtempSync(join(tmpdir(), 'moto-')), 'server.log');
  const pid = await new Promise<number>((resolve, reject) => {
    const socket = connect(control, '127.0.0.1', () => socket.end(JSON.stringify({ port, env, log }) + '\n'));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('end', () => {
      try {
        resolve((JSON.parse(answer) as { pid: number }).pid);
      } catch {
        reject(new Error(`the warm moto server gave no pid (${answer})`));
      }
    });
    socket.on('error', reject);
  });
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const output = (): string => {
    try {
      return readFileSync(log, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  return {
    exited: () => (alive() ? undefined : 'exited'),
    output,
    kill: (signal) => {
      if (alive()) process.kill(pid, signal);
    },
    async gone() {
      while (alive()) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

function spawnServer(port: number, env: Record<string, string>): ServerProcess {
  const { cmd, args } = motoCommand();
  const child: ChildProcess = spawn(cmd, [...args, '-H', '127.0.0.1', '-p', String(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let spawnError: Error | undefined;
  child.on('error', (e) => (spawnError = e));
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exitedAt = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    exited: () => (spawnError ? `could not start (${spawnError.message})` : child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : undefined),
    output: () => stderr,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    gone: () => (child.exitCode !== null || child.signalCode !== null || spawnError ? Promise.resolve() : exitedAt),
  };
}

export async function startMoto(opts: MotoOptions = {}): Promise<Moto> {
  const port = await freePort();
  const env = {
    MOTO_IAM_LOAD_MANAGED_POLICIES: 'true',
    ...(opts.serviceRunning !== undefined ? { MOTO_ECS_SERVICE_RUNNING: String(opts.serviceRunning) } : {}),
    // Low by default: no test should sit out moto's 60 s; one that needs a slow ACM says so.
    MOTO_ACM_VALIDATION_WAIT: String(opts.acmValidationWait ?? 1),
  };
  const warm = Number(process.env[WARM_MOTO_ENV]);
  const server = warm ? await forkWarm(warm, port, env) : spawnServer(port, env);
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const exited = server.exited();
    if (exited) throw new Error(`moto server ${exited}: ${server.output()}\n${INSTALL_HINT}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      server.kill('SIGKILL');
      throw new Error(`moto server did not answer on ${endpoint} within 30 s: ${server.output()}\n${INSTALL_HINT}`);
    }
    await new Promise((r) => setTimeout(r, warm ? 20 : 100));
  }
  return {
    endpoint,
    port,
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`moto reset failed: ${r.status}`);
    },
    async stop() {
      if (server.exited()) return;
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 3000);
      await server.gone();
      clearTimeout(timer);
    },
    env(extra = {}) {
      return { ...TEST_AWS_ENV, AWS_ENDPOINT_URL: endpoint, ...extra };
    },
  };
}

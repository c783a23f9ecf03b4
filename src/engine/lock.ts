import { promises as fs, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { WizardError } from '../errors.js';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export interface StackLock {
  readonly file: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the exclusive lock of a stack (`<stateDir>/<stack>.lock`, created with O_EXCL). A second
 * run fails at once naming the holder. A lock left by a dead process on this host is stale: one
 * contender at a time (holding `<stack>.lock.takeover`, also O_EXCL) checks it is still the same
 * stale lock, removes it and competes again for the lock — so a fresh lock is never removed.
 */
export async function acquireLock(stateDir: string, stack: string, command: string): Promise<StackLock> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, `${stack}.lock`);
  const takeover = `${file}.takeover`;
  const info: LockInfo = { pid: process.pid, host: os.hostname(), command, startedAt: new Date().toISOString() };
  const locked = (holder: LockInfo): WizardError =>
    new WizardError(
      'STATE_LOCKED',
      `Stack "${stack}" is locked by another ecs-wizard run: pid ${holder.pid} on ${holder.host} (${holder.command}, started ${holder.startedAt}).`,
      { hint: `Wait for it to finish. If that process is gone, remove ${file}.` },
    );
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await createExclusive(file, info)) return makeLock(file);
    const holder = await readLock(file);
    if (holder && (holder.host !== os.hostname() || alive(holder.pid))) throw locked(holder);
    if (holder === undefined && attempt > 20 && (await exists(file))) {
      throw new WizardError('STATE_LOCKED', `Stack "${stack}" has an unreadable lock file ${file}.`, {
        hint: `If no other ecs-wizard run is active, remove ${file}.`,
      });
    }
    if (holder !== undefined) {
      // Stale. Only the contender holding the takeover file may remove it.
      const mine = { ...info, command: `${command} (taking over a stale lock)` };
      if (await createExclusive(takeover, mine)) {
        try {
          const still = await readLock(file);
          if (still && still.pid === holder.pid && still.startedAt === holder.startedAt) await fs.rm(file, { force: true });
        } finally {
          await fs.rm(takeover, { force: true });
        }
        continue;
      }
      const other = await readLock(takeover);
      if (other && other.host === os.hostname() && !alive(other.pid)) await fs.rm(takeover, { force: true });
    }
    // A contender is writing its lock file, or taking over: give it a moment.
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
  }
  throw new WizardError('STATE_LOCKED', `Could not take the lock of stack "${stack}" (${file}).`, {
    hint: `If no other ecs-wizard run is active, remove ${file} and ${takeover}.`,
  });
}

async function createExclusive(file: string, info: LockInfo): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(JSON.stringify(info) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

async function readLock(file: string): Promise<LockInfo | undefined> {
  try {
    const info = JSON.parse(await fs.readFile(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

function makeLock(file: string): StackLock {
  let released = false;
  // Also released on a hard exit (process.exit after a second Ctrl-C).
  const onExit = (): void => {
    if (!released) {
      released = true;
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    }
  };
  process.once('exit', onExit);
  return {
    file,
    async release() {
      process.removeListener('exit', onExit);
      if (released) return;
      released = true;
      await fs.rm(file, { force: true });
    },
  };
}

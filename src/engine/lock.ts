import { promises as fs, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
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
 * run fails at once naming the holder. A lock left by a dead process on this host is stale: it is
 * renamed away (only one contender can win that rename) and the lock taken again.
 */
export async function acquireLock(stateDir: string, stack: string, command: string): Promise<StackLock> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, `${stack}.lock`);
  const info: LockInfo = { pid: process.pid, host: os.hostname(), command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(info) + '\n');
      await handle.sync();
      await handle.close();
      return makeLock(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readLock(file);
    if (holder && (holder.host !== os.hostname() || alive(holder.pid))) {
      throw new WizardError(
        'STATE_LOCKED',
        `Stack "${stack}" is locked by another ecs-wizard run: pid ${holder.pid} on ${holder.host} (${holder.command}, started ${holder.startedAt}).`,
        { hint: `Wait for it to finish. If that process is gone, remove ${file}.` },
      );
    }
    if (holder === undefined) {
      // Lock file being written right now by a contender, or unreadable: give it a moment.
      await new Promise((r) => setTimeout(r, 50));
      const again = await readLock(file);
      if (again === undefined && (await exists(file))) {
        throw new WizardError('STATE_LOCKED', `Stack "${stack}" has an unreadable lock file ${file}.`, {
          hint: `If no other ecs-wizard run is active, remove ${file}.`,
        });
      }
      continue;
    }
    // Stale: the holder is dead. Move it aside atomically; whoever wins the rename retries first.
    const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
    try {
      await fs.rename(file, aside);
    } catch {
      continue; // another contender moved it first
    }
    const moved = await readLock(aside);
    if (moved && (moved.pid !== holder.pid || moved.startedAt !== holder.startedAt)) {
      // We raced and moved a fresh, live lock: put it back unless someone already holds the lock.
      await fs.link(aside, file).catch(() => undefined);
    }
    await fs.rm(aside, { force: true });
  }
  throw new WizardError('STATE_LOCKED', `Could not take the lock of stack "${stack}" (${file}).`);
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

import { promises as fs, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { WizardError } from '../errors.js';
import { describeHolder, parseLockBody, trackLock, untrackLock, type HeldLock, type LockHolder, type LockOptions, type StackLock } from './store.js';

export type { StackLock } from './store.js';

/** This process as a lock holder. */
export function lockHolder(command: string, now = new Date()): LockHolder {
  let user = process.env.USER ?? process.env.USERNAME ?? '';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the environment's name.
  }
  return { host: os.hostname(), pid: process.pid, user, command, since: now.toISOString() };
}

/**
 * The error for a lock someone else holds: who, since when, and the command that clears it. After
 * waiting `waitedMs` (--lock-timeout) it says so, rather than suggesting the flag just used; a
 * holder that is a dead process on this host (an S3 lock is never taken over) is said to be dead.
 */
export function lockedError(stack: string, held: HeldLock, location: string, unlockCommand: string, waitedMs = 0): WizardError {
  if (holderIsDead(held)) {
    return new WizardError('STATE_LOCKED', `Stack "${stack}" is locked by a run that is no longer running: ${describeHolder(held)} (no such process on this host).`, {
      hint: `That run died holding the lock: clear it (${location}) with: ${unlockCommand}`,
    });
  }
  const waited = waitedMs > 0 ? ` after waiting ${formatWait(waitedMs)}` : '';
  return new WizardError('STATE_LOCKED', `Stack "${stack}" is ${waited ? 'still ' : ''}locked by another ecs-wizard run${waited}: ${describeHolder(held)}.`, {
    hint: waited
      ? `Run the command again once that run has finished. If it is gone, clear the lock (${location}) with: ${unlockCommand}`
      : `Wait for it to finish, or pass --lock-timeout 5m to wait for it. If that run is gone, clear the lock (${location}) with: ${unlockCommand}`,
  });
}

/** "30 s", "5 min", "1 h 30 min": the --lock-timeout that ran out, as the user gave it roughly. */
function formatWait(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${Math.max(1, s)} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** A holder recorded by a process of this host that no longer runs: the run died holding the lock. */
export function holderIsDead(h: HeldLock): boolean {
  return !h.unreadable && h.pid > 0 && h.host === os.hostname() && !alive(h.pid);
}

/** Sleeps before the next attempt at a held lock (never past the deadline) and returns the next, longer, delay. */
export async function waitForLock(attempt: { delayMs: number; deadline: number; signal?: AbortSignal }, maxDelayMs: number): Promise<number> {
  try {
    await delay(Math.max(0, Math.min(attempt.delayMs, attempt.deadline - Date.now())), undefined, { signal: attempt.signal });
  } catch (err) {
    if (attempt.signal?.aborted) throw new WizardError('INTERRUPTED', 'Interrupted while waiting for the lock: nothing was changed.', { cause: err });
    throw err;
  }
  return Math.min(maxDelayMs, Math.round(attempt.delayMs * 1.5));
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

export function lockFilePath(stateDir: string, stack: string): string {
  return path.join(stateDir, `${stack}.lock`);
}

/**
 * Takes the exclusive lock of a stack (`<stateDir>/<stack>.lock`, created with O_EXCL). A second
 * run fails naming the holder — at once, or after waiting `timeoutMs` with backoff. A lock left by
 * a dead process on this host is stale: one contender at a time (holding `<stack>.lock.takeover`,
 * also O_EXCL) checks it is still the same stale lock, removes it and competes again for the lock
 * — so a fresh lock is never removed.
 */
export async function acquireLock(stateDir: string, stack: string, command: string, opts: LockOptions & { unlockCommand?: string } = {}): Promise<StackLock> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = lockFilePath(stateDir, stack);
  const takeover = `${file}.takeover`;
  const info = lockHolder(command);
  const unlock = opts.unlockCommand ?? `ecs-wizard unlock ${stack} --state-dir ${stateDir}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 0);
  let delayMs = 200;
  let told = false;
  // Attempts that met no live holder (a lock being written, a stale one being taken over): bounded.
  let attempt = 0;
  for (;;) {
    if (await createExclusive(file, info)) return makeLock(file);
    const holder = await readLock(file);
    if (holder && !holder.unreadable && (holder.host !== os.hostname() || alive(holder.pid))) {
      // Held by a live run: wait for it while the timeout allows, else name it.
      if (Date.now() >= deadline) throw lockedError(stack, holder, file, unlock, opts.timeoutMs);
      if (!told) opts.onWait?.(holder);
      told = true;
      delayMs = await waitForLock({ delayMs, deadline, signal: opts.signal }, 5000);
      continue;
    }
    if (++attempt >= 100) {
      throw new WizardError('STATE_LOCKED', `Could not take the lock of stack "${stack}" (${file}).`, {
        hint: `If no other ecs-wizard run is active, remove ${file} and ${takeover}.`,
      });
    }
    if ((holder === undefined || holder.unreadable) && attempt > 20 && (await exists(file))) {
      throw new WizardError('STATE_LOCKED', `Stack "${stack}" has an unreadable lock file ${file}.`, {
        hint: `If no other ecs-wizard run is active, clear it with: ${unlock}`,
      });
    }
    if (holder !== undefined && !holder.unreadable) {
      // Stale. Only the contender holding the takeover file may remove it.
      const mine = { ...info, command: `${command} (taking over a stale lock)` };
      if (await createExclusive(takeover, mine)) {
        try {
          const still = await readLock(file);
          if (still && still.pid === holder.pid && still.since === holder.since) await fs.rm(file, { force: true });
        } finally {
          await fs.rm(takeover, { force: true });
        }
        continue;
      }
      const other = await readLock(takeover);
      if (other && !other.unreadable && other.host === os.hostname() && !alive(other.pid)) await fs.rm(takeover, { force: true });
    }
    // A contender is writing its lock file, or taking over: give it a moment.
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
  }
}

async function createExclusive(file: string, info: LockHolder): Promise<boolean> {
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
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** The lock file as found (its text is its revision), or undefined when there is none. */
export async function readLock(file: string): Promise<HeldLock | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseLockBody(text, text);
}

/** Removes a lock file if it still holds exactly what was shown (its text); false when it changed or was gone. */
export async function removeLock(file: string, held: HeldLock): Promise<boolean> {
  const now = await readLock(file);
  if (!now || now.revision !== held.revision) return false;
  await fs.rm(file, { force: true });
  await fs.rm(`${file}.takeover`, { force: true });
  return true;
}

/** Lock files this process holds: removed on a hard exit too (process.exit after a second Ctrl-C). */
const heldFiles = new Set<{ file: string; released: boolean }>();

/** One 'exit' listener for every lock, however many a process takes (not one each: they would pile up). */
function removeHeldFilesOnExit(): void {
  for (const held of heldFiles) {
    held.released = true;
    try {
      unlinkSync(held.file);
    } catch {
      /* already gone */
    }
  }
  heldFiles.clear();
}

function makeLock(file: string): StackLock {
  const held = { file, released: false };
  if (!process.listeners('exit').includes(removeHeldFilesOnExit)) process.on('exit', removeHeldFilesOnExit);
  heldFiles.add(held);
  const lock: StackLock = {
    location: file,
    async release() {
      untrackLock(lock);
      heldFiles.delete(held);
      // Gone already (released, or removed by the exit hook): a lock taken since is someone else's.
      if (held.released) return;
      held.released = true;
      await fs.rm(file, { force: true });
    },
  };
  trackLock(lock);
  return lock;
}

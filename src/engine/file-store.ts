import { promises as fs } from 'node:fs';
import { acquireLock, lockFilePath, readLock, removeLock } from './lock.js';
import { parseState, readStateText, stateFilePath, writeFileAtomic } from './state.js';
import type { HeldLock, LockOptions, StackLock, StateStore, StoredState } from './store.js';

/**
 * States as files in a directory: `<dir>/<stack>.json`, written atomically (temp file, fsync,
 * rename, directory fsync) with mode 0600, and `<dir>/<stack>.lock` taken with O_EXCL. The lock
 * alone keeps other writers out (every writer takes it, on this one machine), so revisions are
 * not compared.
 */
export class FileStore implements StateStore {
  constructor(readonly dir: string) {}

  get location(): string {
    return this.dir;
  }

  where(stack: string): string {
    return stateFilePath(this.dir, stack);
  }

  async read(stack: string): Promise<StoredState | undefined> {
    const file = this.where(stack);
    const text = await readStateText(file);
    return text === undefined ? undefined : { text, state: parseState(text, file) };
  }

  async write(stack: string, text: string): Promise<undefined> {
    await writeFileAtomic(this.where(stack), text);
    return undefined;
  }

  async remove(stack: string): Promise<void> {
    await fs.rm(this.where(stack), { force: true });
  }

  lock(stack: string, command: string, opts: LockOptions = {}): Promise<StackLock> {
    return acquireLock(this.dir, stack, command, { ...opts, unlockCommand: `ecs-wizard unlock ${stack} --state-dir ${this.dir}` });
  }

  holder(stack: string): Promise<HeldLock | undefined> {
    return readLock(lockFilePath(this.dir, stack));
  }

  unlock(stack: string, held: HeldLock): Promise<boolean> {
    return removeLock(lockFilePath(this.dir, stack), held);
  }

  /** Every `<stack>.json`, not temp files or locks. */
  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  }

  close(): void {}
}

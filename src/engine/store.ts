import type { StackState } from './state.js';

/**
 * Where stacks' states live: a directory of files, or an S3 bucket and prefix. Nothing above this
 * interface knows which one it has — commands open a store, lock a stack, read it, write it back.
 */
export interface StateStore {
  /** The store as the user names it: a directory, or `s3://BUCKET/PREFIX`. */
  readonly location: string;
  /** Where one stack's state lives (a file path or an s3:// URL), for messages. */
  where(stack: string): string;
  /** The stack's state; undefined when there is none. A corrupt or newer-version document is refused (STATE_INVALID). */
  read(stack: string): Promise<StoredState | undefined>;
  /**
   * Writes the stack's state, conditional on `revision` — the one last read or written (undefined:
   * there must be none yet). A writer that lost a race fails (STATE_CONFLICT) instead of
   * overwriting. Returns the new revision. A store whose lock alone excludes other writers (a
   * local file) may ignore revisions.
   */
  write(stack: string, text: string, revision: string | undefined): Promise<string | undefined>;
  /** Deletes the stack's state, conditional on `revision` like write(); already gone is done. */
  remove(stack: string, revision: string | undefined): Promise<void>;
  /** Takes the stack's exclusive lock, or fails (STATE_LOCKED) naming the holder once `timeoutMs` has passed. */
  lock(stack: string, command: string, opts?: LockOptions): Promise<StackLock>;
  /** Who holds the stack's lock, if anyone. */
  holder(stack: string): Promise<HeldLock | undefined>;
  /** Removes the stack's lock if it is still the one `holder()` returned; false when it changed or was gone. */
  unlock(stack: string, held: HeldLock): Promise<boolean>;
  /** The names of the stacks that have a state here, sorted. */
  list(): Promise<string[]>;
  /** Frees what the store holds open (clients); its locks are released separately. */
  close(): void;
}

/** A state document as stored: its exact text, the parsed state, and the revision a conditional write must match. */
export interface StoredState {
  text: string;
  state: StackState;
  revision?: string;
}

/**
 * The body of a lock, file or object. Other tools read and write locks with these keys, so they
 * stay exactly these: host, pid, user, command, since (ISO 8601).
 */
export interface LockHolder {
  host: string;
  pid: number;
  user: string;
  command: string;
  since: string;
}

/** A lock as found: its holder (fields the body lacked are empty) and what identifies this very lock. */
export interface HeldLock extends LockHolder {
  /** The body could not be read as a lock: the holder fields are empty. */
  unreadable?: boolean;
  /** The lock's own revision (an ETag, or the file's text): unlock() removes only this lock. */
  revision: string;
}

export interface LockOptions {
  /** How long to wait, with backoff, for a lock someone else holds; 0 (the default) fails at once. */
  timeoutMs?: number;
  /** Stops a wait early (Ctrl-C). */
  signal?: AbortSignal;
  /** Told once, when the lock is held by someone else and the run starts waiting for it. */
  onWait?: (holder: HeldLock) => void;
}

export interface StackLock {
  /** Where the lock lives (a file path or an s3:// URL). */
  readonly location: string;
  release(): Promise<void>;
}

/** Locks this process holds, so that a second Ctrl-C (an immediate exit) can still release them. */
const held = new Set<StackLock>();

export function trackLock(lock: StackLock): void {
  held.add(lock);
}

export function untrackLock(lock: StackLock): void {
  held.delete(lock);
}

/** Releases every lock still held, waiting at most `timeoutMs` (a remote release is a network call). */
export async function releaseHeldLocks(timeoutMs: number): Promise<void> {
  const all = [...held].map((l) => l.release().catch(() => undefined));
  await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}

/** Lenient reading of a lock body: any missing field is empty, a body that is no JSON object is `unreadable`. */
export function parseLockBody(text: string, revision: string): HeldLock {
  let doc: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) doc = parsed as Record<string, unknown>;
  } catch {
    doc = undefined;
  }
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    host: str(doc?.host),
    pid: typeof doc?.pid === 'number' ? doc.pid : 0,
    user: str(doc?.user),
    command: str(doc?.command),
    // Locks written by ecs-wizard 0.1 called it startedAt.
    since: str(doc?.since) || str(doc?.startedAt),
    ...(doc === undefined || typeof doc.pid !== 'number' ? { unreadable: true } : {}),
    revision,
  };
}

/** "user alice, pid 4242 on build-7 (create), since 2025-01-02T03:04:05.000Z", or what little an unreadable lock tells. */
export function describeHolder(h: HeldLock): string {
  if (h.unreadable) return 'an unreadable lock (no holder recorded in it)';
  return `${h.user ? `user ${h.user}, ` : ''}pid ${h.pid} on ${h.host || 'an unknown host'}${h.command ? ` (${h.command})` : ''}, since ${h.since || 'an unknown time'}`;
}

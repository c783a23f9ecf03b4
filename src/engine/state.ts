import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WizardError, isWizardError } from '../errors.js';
import { FileStore } from './file-store.js';
import type { StateStore } from './store.js';
import type { ResourceRecord } from './types.js';

export const STATE_VERSION = 1;

/** The whole state of one stack, as stored in `<stateDir>/<stack>.json` (or the S3 object `PREFIX/<stack>.json`). */
export interface StackState {
  version: number;
  stack: string;
  /** Region and endpoint the stack was created in, so later commands default to the same place. */
  region?: string;
  endpointUrl?: string;
  createdAt: string;
  updatedAt: string;
  /** The answers used, secrets redacted. */
  answers?: unknown;
  resources: Record<string, ResourceRecord>;
  /** A host roll that was started and is not finished: the next `create` or `hosts refresh` continues it. */
  roll?: PendingPlan;
  /**
   * Every release of the service, oldest first: the create, then each deploy and rollback. Optional
   * (a state written before releases were recorded has none), so the version stays 1.
   */
  releases?: ReleaseRecord[];
  /**
   * Who set an answer after the last create (`scale`), by answers path ("scaling.service.maxCount"),
   * so that a create whose answers file says otherwise can say what it sets back. Optional (a state
   * written before has none), so the version stays 1.
   */
  changedBy?: Record<string, AnswerChange>;
}

/** One answer changed by a day-2 command: which command and flag, when (ISO 8601), and user@host. */
export interface AnswerChange {
  by: string;
  flag?: string;
  at: string;
  user: string;
}

/** How a release ended (or that it has not been seen to end yet). */
export type ReleaseResult = 'succeeded' | 'failed' | 'rolled-back' | 'in-progress' | 'interrupted';

/** What started a release. */
export type ReleaseKind = 'create' | 'deploy' | 'rollback' | 'force';

/**
 * One release: a task definition revision the service was moved to. Only the NAMES of changed
 * environment variables are kept, never their values.
 */
export interface ReleaseRecord {
  revision: number;
  taskDefinitionArn: string;
  image: string;
  /** Environment variables set or removed by this release (names only). */
  changed: string[];
  kind: ReleaseKind;
  startedAt: string;
  endedAt?: string;
  result: ReleaseResult;
  /** user@host of whoever ran it. */
  by: string;
  /** The revision the service ran before (to tell "never started" from "rolled back"). */
  previousRevision?: number;
  /**
   * The ECS deployment the service update started (`ecs-svc/…`), when ECS named it: a later
   * command judges this deployment, so a deployment that failed and left the service's list is
   * still known to have happened.
   */
  deploymentId?: string;
  /** Why it failed, or where ECS rolled it back to, in one line. */
  note?: string;
  /**
   * The service it released, on a stack of several (issue 23): absent for the primary service (the
   * one named after the stack), so the releases of a state written before read unchanged.
   */
  service?: string;
}

/**
 * A day-2 plan in progress (a host roll): what it was asked to do (`spec`, fixed when it began)
 * and the records of its steps, kept apart from the stack's resources so that status, destroy and
 * discover never mistake a step of it for a resource.
 */
export interface PendingPlan {
  startedAt: string;
  spec: Record<string, unknown>;
  resources: Record<string, ResourceRecord>;
}

/** The records one engine run reads and writes: the stack's resources (a StateFile), or a pending plan's. */
export interface RecordBook {
  readonly state: { resources: Record<string, ResourceRecord> };
  get(stepId: string): ResourceRecord | undefined;
  put(record: ResourceRecord): Promise<void>;
}

/** A pending plan's records as a RecordBook: every put is written through the stack's state. */
export function planBook(file: StateFile, plan: PendingPlan): RecordBook {
  return {
    state: plan,
    get: (id) => plan.resources[id],
    put: (record) => file.update(() => void (plan.resources[record.stepId] = record)),
  };
}

/** The state location when no --state-dir is given: ECS_WIZARD_STATE_DIR (a directory or an s3:// URL), else ./.ecs-wizard. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const dir = env.ECS_WIZARD_STATE_DIR || '.ecs-wizard';
  return /^s3:/i.test(dir) ? dir : path.resolve(cwd, dir);
}

export function stateFilePath(stateDir: string, stack: string): string {
  return path.join(stateDir, `${stack}.json`);
}

export function emptyState(stack: string, now = new Date()): StackState {
  const t = now.toISOString();
  return { version: STATE_VERSION, stack, createdAt: t, updatedAt: t, resources: {} };
}

/** Reads a local state file. A missing file is "no state" (undefined), never an error. */
export async function readState(file: string): Promise<StackState | undefined> {
  const text = await readStateText(file);
  return text === undefined ? undefined : parseState(text, file);
}

/** A local state file's text, or undefined when there is none. */
export async function readStateText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WizardError('STATE_INVALID', `Cannot read state file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function parseState(text: string, file: string): StackState {
  const untouched = `It was left untouched; inspect it, or move it away and run \`ecs-wizard destroy --discover\` to find the stack's resources by tag.`;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new WizardError('STATE_INVALID', `State file ${file} is corrupt (not valid JSON: ${(err as Error).message}).`, {
      hint: untouched,
      cause: err,
    });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new WizardError('STATE_INVALID', `State file ${file} is corrupt (not a JSON object).`, { hint: untouched });
  }
  const d = doc as Partial<StackState>;
  if (typeof d.version !== 'number') {
    throw new WizardError('STATE_INVALID', `State file ${file} has no schema version.`, { hint: untouched });
  }
  if (d.version > STATE_VERSION || d.version < 1 || !Number.isInteger(d.version)) {
    throw new WizardError(
      'STATE_INVALID',
      `State file ${file} has schema version ${d.version}; this ecs-wizard understands version ${STATE_VERSION} and older.`,
      { hint: `Upgrade ecs-wizard to manage this stack. ${untouched}` },
    );
  }
  if (typeof d.stack !== 'string' || typeof d.resources !== 'object' || d.resources === null) {
    throw new WizardError('STATE_INVALID', `State file ${file} is corrupt (missing "stack" or "resources").`, { hint: untouched });
  }
  if (d.releases !== undefined && !Array.isArray(d.releases)) {
    throw new WizardError('STATE_INVALID', `State file ${file} is corrupt ("releases" is not a list).`, { hint: untouched });
  }
  // Older versions would be migrated here, one version at a time.
  return d as StackState;
}

/**
 * Writes a file atomically: temp file in the same directory, fsync, rename over the target, fsync
 * the directory. A crash at any instant leaves either the old or the new file, never a torn one.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  // The rename is durable only once the directory entry is flushed.
  const dirHandle = await fs.open(dir, 'r').catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
}

/** Where a StateFile persists: a store and the stack's name in it. */
export interface StateTarget {
  store: StateStore;
  stack: string;
  /** The revision of the state as read (undefined: there is none yet). */
  revision?: string;
}

/**
 * The state of one stack held in memory and persisted through its store on every change. Writes
 * are serialised, so steps running in parallel never interleave a write, and each is conditional
 * on the revision the previous one left: once another writer got in between (STATE_CONFLICT),
 * every later write fails the same way and the other writer's state is never overwritten.
 */
export class StateFile implements RecordBook {
  /** Where the state lives (a file path or an s3:// URL), for messages. */
  readonly file: string;
  /** Set once a write lost a race: the run must stop, the stored state is someone else's now. */
  conflict?: WizardError;
  private readonly target: StateTarget | undefined;
  private revision: string | undefined;
  private queue: Promise<void> = Promise.resolve();

  /** `where` is a local state file path (`<dir>/<stack>.json`), or a store and a stack; undefined: never persisted. */
  constructor(
    where: string | StateTarget | undefined,
    public state: StackState,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.target = typeof where === 'string' ? { store: new FileStore(path.dirname(where)), stack: path.basename(where, '.json') } : where;
    this.revision = this.target?.revision;
    this.file = typeof where === 'string' ? where : (where?.store.where(where.stack) ?? `(unsaved state of ${state.stack})`);
  }

  /** A state that is never persisted (the scratch state of a dry run's verification). */
  static scratch(stack: string): StateFile {
    return new StateFile(undefined, emptyState(stack));
  }

  get(stepId: string): ResourceRecord | undefined {
    return this.state.resources[stepId];
  }

  /** Replaces one resource record and writes the state. */
  put(record: ResourceRecord): Promise<void> {
    this.state.resources[record.stepId] = record;
    return this.save();
  }

  /** Applies a change to the document and writes the state. */
  update(change: (s: StackState) => void): Promise<void> {
    change(this.state);
    return this.save();
  }

  save(): Promise<void> {
    this.state.updatedAt = this.clock().toISOString();
    const text = JSON.stringify(this.state, null, 2) + '\n';
    const target = this.target;
    if (!target) return Promise.resolve();
    const write = this.queue.then(async () => {
      if (this.conflict) throw this.conflict;
      try {
        this.revision = await target.store.write(target.stack, text, this.revision);
      } catch (err) {
        if (isWizardError(err, 'STATE_CONFLICT')) this.conflict = err;
        throw err;
      }
    });
    this.queue = write.catch(() => undefined);
    return write;
  }

  /** Deletes the stored state (after a verified-empty destroy). */
  async remove(): Promise<void> {
    await this.queue;
    if (!this.target) return;
    if (this.conflict) throw this.conflict;
    await this.target.store.remove(this.target.stack, this.revision);
    this.revision = undefined;
  }
}

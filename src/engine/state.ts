import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WizardError } from '../errors.js';
import type { ResourceRecord } from './types.js';

export const STATE_VERSION = 1;

/** The whole state of one stack, as stored in `<stateDir>/<stack>.json`. */
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
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.resolve(cwd, env.ECS_WIZARD_STATE_DIR || '.ecs-wizard');
}

export function stateFilePath(stateDir: string, stack: string): string {
  return path.join(stateDir, `${stack}.json`);
}

export function emptyState(stack: string, now = new Date()): StackState {
  const t = now.toISOString();
  return { version: STATE_VERSION, stack, createdAt: t, updatedAt: t, resources: {} };
}

/** Reads a stack's state. A missing file is "no state" (undefined), never an error. */
export async function readState(file: string): Promise<StackState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WizardError('STATE_INVALID', `Cannot read state file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseState(text, file);
}

export function parseState(text: string, file: string): StackState {
  const untouched = `The file was left untouched; inspect it, or move it away and run \`ecs-wizard destroy --discover\` to find the stack's resources by tag.`;
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

/**
 * The state of one stack held in memory and persisted on every change. Writes are serialised, so
 * steps running in parallel never interleave a write.
 */
export class StateFile {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    public state: StackState,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  get(stepId: string): ResourceRecord | undefined {
    return this.state.resources[stepId];
  }

  /** Replaces one resource record and writes the file. */
  put(record: ResourceRecord): Promise<void> {
    this.state.resources[record.stepId] = record;
    return this.save();
  }

  /** Applies a change to the document and writes the file. */
  update(change: (s: StackState) => void): Promise<void> {
    change(this.state);
    return this.save();
  }

  save(): Promise<void> {
    this.state.updatedAt = this.clock().toISOString();
    const text = JSON.stringify(this.state, null, 2) + '\n';
    const write = this.queue.then(() => writeFileAtomic(this.file, text));
    this.queue = write.catch(() => undefined);
    return write;
  }

  async remove(): Promise<void> {
    await this.queue;
    await fs.rm(this.file, { force: true });
  }
}

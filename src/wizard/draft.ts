import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../engine/state.js';
import { SECRET_NAME } from './redact.js';
import { answersSchema } from './schema.js';

/** Answers as they are being gathered: a plain nested object, like a parsed answers file. */
export type Draft = Record<string, unknown>;

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function hasPath(obj: unknown, path: string): boolean {
  return getPath(obj, path) !== undefined;
}

export function setPath(obj: Draft, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur: Record<string, unknown> = obj;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

/** Removes the answer, and the mappings left empty above it (an empty `instances.spot: {}` would still mean Spot). */
export function deletePath(obj: Draft, path: string): void {
  const keys = path.split('.');
  const parent = getPath(obj, keys.slice(0, -1).join('.'));
  const holder = keys.length === 1 ? obj : parent;
  if (!holder || typeof holder !== 'object') return;
  delete (holder as Record<string, unknown>)[keys[keys.length - 1]!];
  if (keys.length > 1 && Object.keys(holder).length === 0) deletePath(obj, keys.slice(0, -1).join('.'));
}

export function cloneDraft(d: unknown): Draft {
  return d && typeof d === 'object' && !Array.isArray(d) ? (structuredClone(d) as Draft) : {};
}

function unwrap(s: z.ZodTypeAny): z.ZodTypeAny {
  for (;;) {
    if (s instanceof z.ZodDefault) s = s._def.innerType;
    else if (s instanceof z.ZodOptional) s = s.unwrap();
    else if (s instanceof z.ZodEffects) s = s.innerType();
    else return s;
  }
}

/**
 * The schema of one field of the answers schema (e.g. `instances.maxSize`), so a prompt validates
 * a value with exactly the rule — and the message — an answers file gets.
 */
export function fieldSchema(path: string): z.ZodTypeAny {
  let s: z.ZodTypeAny = answersSchema;
  for (const key of path.split('.')) {
    const obj = unwrap(s);
    // A map (`services.<name>`): any key is its value schema's.
    if (obj instanceof z.ZodRecord) {
      s = obj.valueSchema as z.ZodTypeAny;
      continue;
    }
    if (!(obj instanceof z.ZodObject)) throw new Error(`answers schema has no field ${path}`);
    const next = (obj.shape as Record<string, z.ZodTypeAny>)[key];
    if (!next) throw new Error(`answers schema has no field ${path}`);
    s = next;
  }
  // Optional/default wrappers say "may be absent"; a prompt always has a value to check.
  return s instanceof z.ZodDefault ? s._def.innerType : s instanceof z.ZodOptional ? s.unwrap() : s;
}

/**
 * The answers a person typed in an unfinished interactive `create`, kept so that the next `create`
 * can offer them back. Only what was typed (never the answers file's values: that file is read
 * again), written after every answer — atomically, mode 0600 — so Ctrl-C or a crash loses nothing.
 */
export interface SavedDraft {
  version: 1;
  savedAt: string;
  /** The stack the answers are for (typed or from the answers file), when known. */
  stack?: string;
  /** The questions answered (a blank optional answer is one too). */
  typed: string[];
  /** The typed answers, nested like an answers file. */
  answers: Draft;
  /** The flow choices typed (new or existing VPC, HTTPS, Spot, metrics). */
  virtuals: Record<string, unknown>;
}

/** `<state dir>/.draft.json`: hidden, so `list` never takes it for a stack. */
export const DRAFT_FILE = '.draft.json';

export class DraftFile {
  constructor(readonly file: string) {}

  /** The draft, or undefined when there is none — or it cannot be read or is of another version (it is only a convenience). */
  async read(): Promise<SavedDraft | undefined> {
    try {
      const d = JSON.parse(await fs.readFile(this.file, 'utf8')) as Partial<SavedDraft>;
      if (d?.version !== 1 || !Array.isArray(d.typed) || d.typed.length === 0 || typeof d.savedAt !== 'string') return undefined;
      return { version: 1, savedAt: d.savedAt, stack: typeof d.stack === 'string' ? d.stack : undefined, typed: d.typed, answers: cloneDraft(d.answers), virtuals: cloneDraft(d.virtuals) };
    } catch {
      return undefined;
    }
  }

  /**
   * Secrets: the wizard asks for no environment value, so none is typed; should a typed answer
   * ever hold one whose name looks secret, it is left out (asked again on resume) — the draft is
   * not a file the user asked for, and only that one (--save-answers) keeps such values.
   */
  async write(d: Omit<SavedDraft, 'version'>): Promise<void> {
    const answers = cloneDraft(d.answers);
    const env = getPath(answers, 'service.environment');
    if (env && typeof env === 'object') {
      for (const name of Object.keys(env)) if (SECRET_NAME.test(name)) deletePath(answers, `service.environment.${name}`);
    }
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, ...d, answers }, null, 2)}\n`);
  }

  async remove(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}

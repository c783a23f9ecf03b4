import { z } from 'zod';
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

export function deletePath(obj: Draft, path: string): void {
  const keys = path.split('.');
  const parent = getPath(obj, keys.slice(0, -1).join('.'));
  const holder = keys.length === 1 ? obj : parent;
  if (holder && typeof holder === 'object') delete (holder as Record<string, unknown>)[keys[keys.length - 1]!];
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
    if (!(obj instanceof z.ZodObject)) throw new Error(`answers schema has no field ${path}`);
    const next = (obj.shape as Record<string, z.ZodTypeAny>)[key];
    if (!next) throw new Error(`answers schema has no field ${path}`);
    s = next;
  }
  // Optional/default wrappers say "may be absent"; a prompt always has a value to check.
  return s instanceof z.ZodDefault ? s._def.innerType : s instanceof z.ZodOptional ? s.unwrap() : s;
}

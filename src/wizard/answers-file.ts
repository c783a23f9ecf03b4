import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Document, parse as parseYaml, type YAMLMap } from 'yaml';
import { z, type ZodError } from 'zod';
import { WizardError, inputError, type Problem } from '../errors.js';
import { answersSchema, type Answers } from './schema.js';
import { closeNames, oneOf } from '../words.js';

/** Reads an answers file (YAML or JSON — JSON is YAML) without validating it. */
export async function readAnswersFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new WizardError('INPUT_INVALID', `--answers: cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`, {
      problems: [{ path: '--answers', message: `cannot read ${file}` }],
      hint: 'Check the path given to --answers.',
    });
  }
  try {
    const doc = parseYaml(text, { prettyErrors: true });
    if (doc === null || doc === undefined) return {};
    return doc;
  } catch (err) {
    throw new WizardError('INPUT_INVALID', `--answers ${file} is not valid YAML or JSON: ${(err as Error).message}`, {
      problems: [{ path: '--answers', message: `${path.basename(file)} is not valid YAML or JSON` }],
    });
  }
}

/**
 * Zod's issues as problems, each at its field's path. An unknown key is a problem of its own (every
 * one of them, all at once), with the known keys close to it from the schema at that path (`root`:
 * the schema that was parsed) — "service.desiredCont: unknown key: did you mean desiredCount?".
 */
export function zodProblems(err: ZodError, root: z.ZodTypeAny = answersSchema): Problem[] {
  return err.issues.flatMap((i): Problem[] => {
    if (i.code !== 'unrecognized_keys') return [{ path: i.path.length ? i.path.join('.') : '(top level)', message: friendly(i) }];
    const known = keysAt(root, i.path);
    return i.keys.map((key) => ({ path: [...i.path, key].join('.'), message: unknownKey(key, known) }));
  });
}

function unknownKey(key: string, known: string[]): string {
  const close = closeNames(key, known);
  if (close.length) return `unknown key: did you mean ${oneOf(close)}?`;
  return known.length ? `unknown key (the keys here: ${known.join(', ')})` : 'unknown key (check the spelling against the answers-file reference)';
}

/** The keys an object of the schema takes at `path` (through defaults, optionals, refinements, records and lists). */
function keysAt(root: z.ZodTypeAny, at: (string | number)[]): string[] {
  const unwrap = (t: z.ZodTypeAny): z.ZodTypeAny => {
    for (;;) {
      if (t instanceof z.ZodDefault) t = t._def.innerType;
      else if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap();
      else if (t instanceof z.ZodEffects) t = t.innerType();
      else return t;
    }
  };
  let s: z.ZodTypeAny | undefined = unwrap(root);
  for (const key of at) {
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodTypeAny>)[String(key)];
    else if (s instanceof z.ZodRecord) s = s.valueSchema as z.ZodTypeAny;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodTypeAny;
    else s = undefined;
    if (!s) return [];
    s = unwrap(s);
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape as object) : [];
}

function friendly(issue: ZodError['issues'][number]): string {
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return issue.message === 'Required' ? 'is required' : issue.message;
  if (issue.code === 'invalid_type') return `must be ${issue.expected}, got ${issue.received}`;
  return issue.message;
}

/** Validates answers against the one schema, reporting every problem at once. */
export function validateAnswers(input: unknown): Answers {
  const parsed = answersSchema.safeParse(input);
  if (!parsed.success) throw inputError(zodProblems(parsed.error));
  return parsed.data;
}

/**
 * Writes answers as YAML so the run can be replayed with --answers FILE --yes. `instances.keyName`
 * is always there: its value, or (no key pair) a commented line showing where one goes, since SSH
 * access is the answer people most often add later and the key would otherwise be invisible.
 */
export async function saveAnswersFile(file: string, answers: Answers): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const doc = new Document(answers);
  const instances = doc.get('instances', true) as YAMLMap | undefined;
  if (instances && answers.instances.keyName === undefined) {
    instances.comment = ` keyName: my-key-pair       # an EC2 key pair for SSH (none: no SSH); with sshCidr: 203.0.113.7/32`;
  }
  await fs.writeFile(file, `# ecs-wizard answers — replay with: ecs-wizard create --answers ${path.basename(file)} --yes\n${doc.toString()}`, { mode: 0o600 });
  // `mode` applies only to a new file: an existing one keeps its mode unless told.
  await fs.chmod(file, 0o600);
}

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { ZodError } from 'zod';
import { WizardError, inputError, type Problem } from '../errors.js';
import { answersSchema, type Answers } from './schema.js';

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

export function zodProblems(err: ZodError): Problem[] {
  return err.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(top level)', message: friendly(i) }));
}

function friendly(issue: ZodError['issues'][number]): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling against the answers-file reference)`;
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

/** Writes answers as YAML so the run can be replayed with --answers FILE --yes. */
export async function saveAnswersFile(file: string, answers: Answers): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.writeFile(file, `# ecs-wizard answers — replay with: ecs-wizard create --answers ${path.basename(file)} --yes\n${toYaml(answers)}`, { mode: 0o600 });
  // `mode` applies only to a new file: an existing one keeps its mode unless told.
  await fs.chmod(file, 0o600);
}

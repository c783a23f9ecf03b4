import { WizardError, inputError, type Problem } from '../errors.js';
import type { Account } from './account.js';
import { zodProblems } from './answers-file.js';
import { cloneDraft, deletePath, fieldSchema, getPath, hasPath, setPath, type Draft } from './draft.js';
import type { Prompter } from './prompter.js';
import { QUESTIONS, type Question, type QuestionContext } from './questions.js';
import { answersSchema } from './schema.js';
import { bundledBook, type PriceBook } from '../cost/prices.js';
import type { SpotQuotes } from '../cost/spot.js';

/**
 * Gathers the answers: the file pre-fills, then — on a TTY — the prompter asks what is missing;
 * with --yes the defaults fill it; otherwise every missing key is one error. The result is a
 * draft for validateAnswers(); nothing here calls AWS before the file's own values are checked.
 */
export interface GatherOptions {
  /** The parsed answers file ({} without one). */
  file: unknown;
  /** Present on an interactive terminal (and without --yes). */
  prompter?: Prompter;
  yes: boolean;
  /** Account lookups for the region answered so far (undefined: the SDK's region). */
  account: (region: string | undefined) => Promise<Account>;
  questions?: Question[];
}

const PLACEHOLDER_STACK = 'placeholder';

class Session implements QuestionContext {
  readonly virtuals = new Map<string, unknown>();
  constructor(
    readonly draft: Draft,
    private readonly questions: Question[],
    private readonly accountFor: (region: string | undefined) => Promise<Account>,
  ) {}

  account(): Promise<Account> {
    const region = getPath(this.draft, 'region');
    return this.accountFor(typeof region === 'string' ? region : undefined);
  }

  async prices(instanceTypes: string[]): Promise<PriceBook | undefined> {
    try {
      const account = await this.account();
      return account.prices ? await account.prices(instanceTypes) : bundledBook(account.region);
    } catch {
      // No account (credentials) yet: the bundled table still prices the region answered.
      const region = getPath(this.draft, 'region');
      return typeof region === 'string' ? bundledBook(region) : undefined;
    }
  }

  async spotPrices(instanceTypes: string[], zones?: string[]): Promise<SpotQuotes | undefined> {
    try {
      return await (await this.account()).spotPrices?.(instanceTypes, zones);
    } catch {
      return undefined;
    }
  }

  get(id: string): unknown {
    const q = this.questions.find((x) => x.id === id);
    if (q?.virtual) return this.virtuals.has(id) ? this.virtuals.get(id) : q.virtual.derive(this.draft);
    return getPath(this.draft, id);
  }

  applies(q: Question): boolean {
    return q.when ? q.when(this) : true;
  }

  async defaultOf(q: Question): Promise<unknown> {
    return typeof q.default === 'function' ? await (q.default as (c: QuestionContext) => unknown)(this) : q.default;
  }
}

/** The answers-file keys the flow needs that the file does not give (virtual choices derived or defaulted). */
export function missingKeys(file: unknown, questions: Question[] = QUESTIONS): string[] {
  const s = new Session(cloneDraft(file), questions, () => Promise.reject(new Error('no account lookups here')));
  const missing: string[] = [];
  for (const q of questions) {
    if (!s.applies(q)) continue;
    if (q.virtual) {
      s.virtuals.set(q.id, q.virtual.derive(s.draft) ?? (typeof q.default === 'function' ? undefined : q.default));
      continue;
    }
    if (!q.optional && !hasPath(s.draft, q.id)) missing.push(q.id);
  }
  return missing;
}

/** Problems with the values the file does give (keys still to be asked are left out). */
export function fileProblems(file: unknown, missing: string[]): Problem[] {
  if (file === null || typeof file !== 'object' || Array.isArray(file)) {
    return [{ path: '(top level)', message: 'must be a mapping of answers (stack:, network:, …), see the answers-file reference' }];
  }
  const draft = cloneDraft(file);
  if (!hasPath(draft, 'stack')) draft.stack = PLACEHOLDER_STACK;
  const parsed = answersSchema.safeParse(draft);
  if (parsed.success) return [];
  return zodProblems(parsed.error).filter((p) => !missing.some((m) => p.path === m || p.path.startsWith(`${m}.`)));
}

export async function gatherAnswers(opts: GatherOptions): Promise<Draft> {
  const questions = opts.questions ?? QUESTIONS;
  const missing = missingKeys(opts.file, questions);
  const problems = fileProblems(opts.file, missing);
  if (problems.length) throw inputError(problems);

  const session = new Session(cloneDraft(opts.file), questions, opts.account);
  if (opts.prompter && !opts.yes) {
    await ask(session, questions, opts.prompter);
    return session.draft;
  }
  if (!opts.yes && missing.length) throw missingError(missing, 'add them to the answers file or pass --yes to accept the defaults');
  await fillDefaults(session, questions);
  return session.draft;
}

function missingError(keys: string[], what: string): WizardError {
  return new WizardError('INPUT_INVALID', `missing answers: ${keys.join(', ')} — ${what}.`, {
    problems: keys.map((k) => ({ path: k, message: 'is missing' })),
    hint: 'Without a terminal the wizard cannot ask. `ecs-wizard create --save-answers FILE` in a terminal writes a complete file.',
  });
}

/** --yes: every missing answer takes its default; one without a default (the stack name) is an error. */
async function fillDefaults(s: Session, questions: Question[]): Promise<void> {
  const noDefault: string[] = [];
  for (const q of questions) {
    if (!s.applies(q)) continue;
    if (q.virtual) {
      s.virtuals.set(q.id, q.virtual.derive(s.draft) ?? (await s.defaultOf(q)));
      continue;
    }
    if (q.optional || hasPath(s.draft, q.id)) continue;
    const value = await s.defaultOf(q);
    if (value === undefined) noDefault.push(q.id);
    else setPath(s.draft, q.id, value);
  }
  if (noDefault.length) throw missingError(noDefault, 'they have no default, so --yes cannot fill them: add them to the answers file');
}

/** Walks the questions, asking each one that applies and the file did not answer. */
async function ask(s: Session, questions: Question[], prompter: Prompter): Promise<void> {
  const fromFile = new Set(questions.filter((q) => !q.virtual && hasPath(s.draft, q.id)).map((q) => q.id));
  const asked = new Set<string>();
  for (let i = 0; i < questions.length; i++) {
    const q = questions[i]!;
    if (!s.applies(q)) continue;
    if (q.virtual) {
      const derived = asked.has(q.id) ? undefined : q.virtual.derive(s.draft);
      if (derived !== undefined) {
        s.virtuals.set(q.id, derived);
        continue;
      }
    } else if (fromFile.has(q.id)) {
      continue;
    }
    const value = await askOne(q, s, prompter);
    if (q.back && value === q.back.value) {
      // Forget what was answered from the target on, and ask again from there.
      const to = questions.findIndex((x) => x.id === q.back!.to);
      for (const x of questions.slice(to, i + 1)) {
        if (x.virtual) s.virtuals.delete(x.id);
        else if (!fromFile.has(x.id)) deletePath(s.draft, x.id);
      }
      asked.add(q.back.to);
      i = to - 1;
      continue;
    }
    asked.add(q.id);
    if (q.virtual) s.virtuals.set(q.id, value);
    else if (value === undefined) deletePath(s.draft, q.id);
    else setPath(s.draft, q.id, value);
  }
}

const splitList = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

/** Checks one answer with the answers schema (field rule, then the cross-field rules for this path) and the question's own check. */
export async function validateValue(q: Question, value: unknown, s: QuestionContext): Promise<true | string> {
  if (!q.virtual) {
    const field = fieldSchema(q.id).safeParse(value);
    if (!field.success) {
      const p = zodProblems(field.error)[0]!;
      return p.path === '(top level)' ? p.message : `${q.id}.${p.path}: ${p.message}`;
    }
    const draft = cloneDraft(s.draft);
    setPath(draft, q.id, value);
    if (!hasPath(draft, 'stack')) draft.stack = PLACEHOLDER_STACK;
    const whole = answersSchema.safeParse(draft);
    if (!whole.success) {
      const p = zodProblems(whole.error).find((x) => x.path === q.id || x.path.startsWith(`${q.id}.`));
      if (p) return p.path === q.id ? p.message : `${p.path}: ${p.message}`;
    }
  }
  return q.check ? q.check(value, s) : true;
}

async function askOne(q: Question, s: Session, prompter: Prompter): Promise<unknown> {
  const def = await s.defaultOf(q);
  // A price beside the question, when one is known (never in the way of asking).
  const hint = q.hint ? await q.hint(s).catch(() => undefined) : undefined;
  const message = hint ? `${q.message} — ${hint}` : q.message;
  switch (q.type) {
    case 'input': {
      const text = await prompter.input({
        message,
        default: def === undefined ? undefined : String(def),
        validate: (t: string) => (q.optional && t.trim() === '' ? true : validateValue(q, t.trim(), s)),
      });
      return q.optional && text.trim() === '' ? undefined : text.trim();
    }
    case 'list':
    case 'list-of-cidrs': {
      const text = await prompter.input({
        message,
        default: Array.isArray(def) ? def.join(', ') : undefined,
        validate: (t: string) => validateValue(q, splitList(t), s),
      });
      return splitList(text);
    }
    case 'number': {
      const n = await prompter.number({
        message,
        default: typeof def === 'number' ? def : undefined,
        validate: (v: number | undefined) => (v === undefined ? (q.optional ? true : 'is required') : validateValue(q, v, s)),
      });
      return n;
    }
    case 'confirm':
      return prompter.confirm({ message, default: typeof def === 'boolean' ? def : undefined });
    case 'select': {
      const choices = await q.choices!(s);
      return prompter.select({ message, choices, default: def ?? choices[0]?.value });
    }
    case 'checkbox': {
      const choices = await q.choices!(s);
      const preset = Array.isArray(def) ? def : undefined;
      const withDefaults = preset ? choices.map((c) => ({ ...c, checked: c.checked ?? preset.includes(c.value) })) : choices;
      const picked = await prompter.checkbox({
        message,
        choices: withDefaults,
        validate: (v: unknown[]) => (q.optional && v.length === 0 ? true : validateValue(q, v, s)),
      });
      return q.optional && picked.length === 0 ? undefined : picked;
    }
  }
}

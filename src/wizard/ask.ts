import { WizardError, inputError, isWizardError, type Problem } from '../errors.js';
import type { Account } from './account.js';
import { validateAnswers, zodProblems } from './answers-file.js';
import { cloneDraft, deletePath, fieldSchema, getPath, hasPath, setPath, type Draft, type DraftFile } from './draft.js';
import type { Prompter } from './prompter.js';
import { CUSTOMIZABLE, QUESTIONS, type Question, type QuestionContext, type Section } from './questions.js';
import { PLACEHOLDER_STACK, fieldsOf, isAt, messageAt, ruleIssues, type RuleIssue } from './rules.js';
import { answersSchema, type Answers } from './schema.js';
import { bundledBook, type PriceBook } from '../cost/prices.js';
import type { SpotQuotes } from '../cost/spot.js';

/**
 * Gathers the answers: the file pre-fills, then — on a TTY — the prompter asks what is missing;
 * with --yes the defaults fill it; otherwise every missing key is one error. Nothing here calls
 * AWS before the file's own values are checked.
 *
 * On a TTY the quick path (the default) asks the `quick` questions only and gives every other
 * answer the default Enter would give; the review then offers "Customize a section?". With
 * `advanced` every question is asked in order. Either way each rule is checked as soon as every
 * answer it reads is known, the answers are validated whole at the end (a problem re-asks only
 * its questions), and what was typed is kept in a draft the next run offers back.
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
  /** Every question in order (create --advanced), instead of the quick path. */
  advanced?: boolean;
  /** Where what is typed is kept, and offered back by the next run (interactive only). */
  draft?: DraftFile;
  /** The directory create runs in, and the stacks the state location holds: for the stack name's suggestion. */
  cwd?: string;
  existingStacks?: () => Promise<string[]>;
  now?: () => Date;
}

class Session implements QuestionContext {
  readonly draft: Draft;
  readonly virtuals = new Map<string, unknown>();
  /** Questions the person answered (here or in a resumed draft): kept in the draft, never replaced by a default. */
  readonly typed = new Set<string>();
  /** Questions holding the answer Enter would give (the quick path): recomputed when other answers change. */
  readonly defaulted = new Set<string>();
  /** Questions the flow has reached: their answers are known, so rules reading them may be checked. */
  readonly passed = new Set<string>();

  constructor(
    readonly file: Draft,
    readonly questions: Question[],
    private readonly opts: Pick<GatherOptions, 'account' | 'cwd' | 'existingStacks' | 'draft' | 'now'>,
  ) {
    this.draft = cloneDraft(file);
  }

  get cwd(): string | undefined {
    return this.opts.cwd;
  }

  existingStacks(): Promise<string[]> {
    return this.opts.existingStacks ? this.opts.existingStacks() : Promise.resolve([]);
  }

  account(): Promise<Account> {
    const region = getPath(this.draft, 'region');
    return this.opts.account(typeof region === 'string' ? region : undefined);
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
    // Answers with several services (`services:`) hold each one's answers there: the one service's questions do not apply.
    if (q.id.startsWith('service.') && getPath(this.draft, 'services') !== undefined) return false;
    return q.when ? q.when(this) : true;
  }

  async defaultOf(q: Question): Promise<unknown> {
    return typeof q.default === 'function' ? await (q.default as (c: QuestionContext) => unknown)(this) : q.default;
  }

  /** The file answers this question (a virtual one: the file's keys decide it). Such a question is never asked. */
  fromFile(q: Question): boolean {
    return q.virtual ? q.virtual.derive(this.file) !== undefined : hasPath(this.file, q.id);
  }

  /** The answer at `path` is known: no question asks it (it comes from the file or the schema), or the flow has reached one that does. */
  known(path: string): boolean {
    const related = this.questions.filter((q) => isAt(path, q.id) || isAt(q.id, path));
    return related.length === 0 || related.some((q) => this.passed.has(q.id) || this.fromFile(q));
  }

  /** The question to ask again for a problem: the first answer it involves that a person gave or may give. */
  fixableBy(issue: RuleIssue): Question | undefined {
    for (const f of fieldsOf(issue)) {
      const q = this.questions.find((x) => !x.virtual && isAt(f, x.id) && this.applies(x) && !this.fromFile(x));
      if (q) return q;
    }
    return undefined;
  }

  /** The current answer to offer as the default when asking again (a defaulted one is worked out afresh). */
  current(q: Question): unknown {
    if (q.virtual) return this.get(q.id);
    return this.defaulted.has(q.id) ? undefined : getPath(this.draft, q.id);
  }

  async record(q: Question, value: unknown): Promise<void> {
    if (q.virtual) this.virtuals.set(q.id, value);
    else if (value === undefined) deletePath(this.draft, q.id);
    else setPath(this.draft, q.id, value);
    this.typed.add(q.id);
    this.defaulted.delete(q.id);
    this.passed.add(q.id);
    await this.save();
  }

  forget(q: Question): void {
    if (q.virtual) this.virtuals.delete(q.id);
    else if (!this.fromFile(q)) deletePath(this.draft, q.id);
    this.typed.delete(q.id);
    this.defaulted.delete(q.id);
    this.passed.delete(q.id);
  }

  /** Typed answers to questions that no longer apply (Spot turned off, public instances again) are forgotten. */
  prune(): void {
    for (const q of this.questions) {
      if (!this.typed.has(q.id) || this.fromFile(q) || this.applies(q)) continue;
      if (this.questions.some((x) => x !== q && x.id === q.id && this.applies(x))) continue;
      this.forget(q);
    }
  }

  /** Something typed is in the draft. */
  get draftKept(): boolean {
    return this.opts.draft !== undefined && this.typed.size > 0;
  }

  /** Writes what was typed to the draft. A draft that cannot be written does not stop the wizard: it is a convenience. */
  async save(): Promise<void> {
    if (!this.opts.draft || this.typed.size === 0) return;
    const answers: Draft = {};
    const virtuals: Record<string, unknown> = {};
    for (const id of this.typed) {
      const q = this.questions.find((x) => x.id === id);
      if (q?.virtual) virtuals[id] = this.virtuals.get(id);
      else if (hasPath(this.draft, id)) setPath(answers, id, getPath(this.draft, id));
    }
    const stack = getPath(this.draft, 'stack');
    const savedAt = (this.opts.now?.() ?? new Date()).toISOString();
    await this.opts.draft.write({ savedAt, ...(typeof stack === 'string' ? { stack } : {}), typed: [...this.typed], answers, virtuals }).catch(() => undefined);
  }
}

/** The answers-file keys the flow needs that the file does not give (virtual choices derived or defaulted). */
export function missingKeys(file: unknown, questions: Question[] = QUESTIONS): string[] {
  const s = new Session(cloneDraft(file), questions, { account: () => Promise.reject(new Error('no account lookups here')) });
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

/** The answers as a draft for validateAnswers() (tests and callers that need no review). */
export async function gatherAnswers(opts: GatherOptions): Promise<Draft> {
  return (await startWizard(opts)).draft;
}

export async function startWizard(opts: GatherOptions): Promise<Wizard> {
  const questions = opts.questions ?? QUESTIONS;
  const missing = missingKeys(opts.file, questions);
  const problems = fileProblems(opts.file, missing);
  if (problems.length) throw inputError(problems);

  const s = new Session(cloneDraft(opts.file), questions, opts);
  const prompter = opts.yes ? undefined : opts.prompter;
  if (!prompter) {
    if (!opts.yes && missing.length) throw missingError(missing, 'add them to the answers file or pass --yes to accept the defaults');
    await fillDefaults(s, questions);
    return new Wizard(s, undefined, false, opts.draft);
  }
  // A problem only the file can fix is said before anything is asked (the schema's went above; these are capacity's).
  const fileOnly = ruleIssues(s.draft).filter((i) => fieldsOf(i).every((f) => s.questions.some((q) => isAt(f, q.id) && s.fromFile(q))));
  if (fileOnly.length) throw inputError(fileOnly.map(({ path, message }) => ({ path, message })));

  const wizard = new Wizard(s, prompter, opts.advanced ?? false, opts.draft);
  await keepingOnCtrlC(s, async () => {
    await resume(s, prompter, opts);
    await walk(s, opts.advanced ? questions : questions.filter((q) => q.quick), prompter, 'fresh');
    await wizard.settle();
  });
  return wizard;
}

/** Ctrl-C at a question: what was typed is in the draft already, and the message says so. */
async function keepingOnCtrlC<T>(s: Session, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isWizardError(err, 'INTERRUPTED') || !s.draftKept) throw err;
    throw new WizardError('INTERRUPTED', 'Interrupted: nothing was created. The answers typed so far are kept: the next `ecs-wizard create` here offers them back.', { cause: err });
  }
}

/**
 * The gathered answers, and on a terminal the rest of the conversation: the review loop (the quick
 * path's "Customize a section?") and the draft's end.
 */
export class Wizard {
  constructor(
    private readonly s: Session,
    private readonly prompter: Prompter | undefined,
    private readonly advanced: boolean,
    private readonly draftFile: DraftFile | undefined,
  ) {}

  /** The answers so far, as an answers file would hold them. */
  get draft(): Draft {
    return this.s.draft;
  }

  answers(): Answers {
    return validateAnswers(this.s.draft);
  }

  /**
   * Shows the review (`show`), then — on the quick path — asks "Customize a section?"; a section
   * chosen is asked again, checked, and the review shown again, until "none". An input error from
   * `show` (checks that need AWS, such as Spot types of another architecture) re-asks the
   * questions it names, when a person can answer them; otherwise it is thrown.
   */
  review(show: (answers: Answers) => Promise<void>): Promise<void> {
    return keepingOnCtrlC(this.s, () => this.reviewLoop(show));
  }

  private async reviewLoop(show: (answers: Answers) => Promise<void>): Promise<void> {
    const prompter = this.prompter;
    for (;;) {
      try {
        await show(this.answers());
      } catch (err) {
        if (!prompter || !isWizardError(err, 'INPUT_INVALID') || !(await this.reask(err.problems.map((p) => ({ ...p, reads: [] }))))) throw err;
        await this.settle();
        continue;
      }
      if (!prompter || this.advanced) return;
      // A section whose every question that applies is the file's has nothing to customize.
      const sections = CUSTOMIZABLE.filter((section) => this.s.questions.some((q) => q.section === section && this.s.applies(q) && !this.s.fromFile(q)));
      const choice = await prompter.select<Section | 'none'>({
        message: 'Customize a section?',
        choices: [...sections.map((section) => ({ name: section, value: section })), { name: 'none', value: 'none', description: 'go on with these answers' }],
        default: 'none',
      });
      if (choice === 'none') return;
      await this.customize(choice);
    }
  }

  /** Asks a section's questions again (not the file's), each with its current answer as the default. */
  private async customize(section: Section): Promise<void> {
    const list = this.s.questions.filter((q) => q.section === section);
    // Not known again until asked again: a rule between two of them waits for the second.
    for (const q of list) this.s.passed.delete(q.id);
    await walk(this.s, list, this.prompter!, 'again');
    await this.settle();
  }

  /** Defaults worked out again, then the answers validated whole; each problem re-asks the question a person can fix it at, until none is left. */
  async settle(): Promise<void> {
    for (;;) {
      await this.refresh();
      const issues = ruleIssues(this.s.draft);
      if (issues.length === 0) return;
      if (!(await this.reask(issues))) throw inputError(issues.map(({ path, message }) => ({ path, message })));
    }
  }

  /** Re-asks the questions these problems are at (false, asking nothing, when one of them no question can fix). */
  private async reask(issues: RuleIssue[]): Promise<boolean> {
    const reasons = new Map<Question, string[]>();
    for (const issue of issues) {
      const q = this.s.fixableBy(issue);
      if (!q) return false;
      reasons.set(q, [...(reasons.get(q) ?? []), messageAt(issue, q.id)]);
    }
    for (const q of this.s.questions.filter((x) => reasons.has(x))) {
      const value = await askOne(q, this.s, this.prompter!, { again: true, reason: reasons.get(q)!.join('; ') });
      if (!(q.back && value === q.back.value)) await this.s.record(q, value);
    }
    return true;
  }

  /** After answers changed: forget what no longer applies, then give what is unanswered its answer again. */
  private async refresh(): Promise<void> {
    const s = this.s;
    for (const id of s.defaulted) {
      if (s.questions.find((q) => q.id === id)?.virtual) s.virtuals.delete(id);
      else deletePath(s.draft, id);
    }
    s.defaulted.clear();
    s.prune();
    if (this.advanced) await walk(s, s.questions, this.prompter!, 'fresh');
    else await fillEnterDefaults(s);
  }

  /** After a successful create (or a declined resume): the typed answers are no longer needed. */
  async discardDraft(): Promise<void> {
    await this.draftFile?.remove();
  }
}

/** Offers a draft an earlier run left; declined, it is removed. */
async function resume(s: Session, prompter: Prompter, opts: GatherOptions): Promise<void> {
  const saved = await opts.draft?.read();
  if (!saved) return;
  // Another stack's answers would not fit this file: that draft is left (this run's own replaces it).
  const fileStack = getPath(s.file, 'stack');
  if (typeof fileStack === 'string' && saved.stack !== undefined && saved.stack !== fileStack) return;
  const ok = await prompter.confirm({ message: `Resume the answers you gave on ${localTime(saved.savedAt)} for ${saved.stack ?? 'a new stack'}?`, default: true });
  if (!ok) {
    await opts.draft!.remove();
    return;
  }
  for (const id of saved.typed) {
    const q = s.questions.find((x) => x.id === id);
    // The file's keys are the file's: never replaced by an earlier typed answer.
    if (!q || s.fromFile(q)) continue;
    if (q.virtual) s.virtuals.set(id, saved.virtuals[id]);
    else if (hasPath(saved.answers, id)) setPath(s.draft, id, getPath(saved.answers, id));
    s.typed.add(id);
  }
}

function localTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number): string => String(n).padStart(2, '0');
  return Number.isNaN(d.getTime()) ? iso : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
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

/**
 * The quick path: every question not answered takes what Enter would give at it — the account-aware
 * defaults of the full walk (the region's zones offering the instance type, one subnet per zone).
 */
async function fillEnterDefaults(s: Session): Promise<void> {
  for (const q of s.questions) {
    s.passed.add(q.id);
    if (!s.applies(q) || s.fromFile(q) || s.typed.has(q.id)) continue;
    if (q.virtual) {
      if (!s.virtuals.has(q.id)) s.virtuals.set(q.id, q.virtual.derive(s.draft) ?? (await enterValue(q, s)));
      s.defaulted.add(q.id);
      continue;
    }
    if (hasPath(s.draft, q.id)) continue;
    const value = await enterValue(q, s);
    if (value === undefined) continue;
    setPath(s.draft, q.id, value);
    s.defaulted.add(q.id);
  }
}

async function enterValue(q: Question, s: Session): Promise<unknown> {
  const def = await s.defaultOf(q);
  if (q.type === 'select') return def ?? (await q.choices!(s))[0]?.value;
  if (q.type === 'checkbox' && !Array.isArray(def)) {
    const checked = (await q.choices!(s)).filter((c) => c.checked).map((c) => c.value);
    return q.optional && checked.length === 0 ? undefined : checked;
  }
  return def;
}

/**
 * Walks the questions in order. `fresh`: asks each that applies and has no answer yet (the file's,
 * a resumed one). `again`: asks each that applies and the file does not answer, its current answer
 * the default (a customized section).
 */
async function walk(s: Session, questions: Question[], prompter: Prompter, mode: 'fresh' | 'again'): Promise<void> {
  // After "← back": asked again even if an answer could be derived.
  const reopened = new Set<string>();
  for (let i = 0; i < questions.length; i++) {
    const q = questions[i]!;
    if (!s.applies(q) || s.fromFile(q)) {
      s.passed.add(q.id);
      continue;
    }
    if (mode === 'fresh' && !reopened.has(q.id)) {
      const answered = q.virtual ? s.get(q.id) !== undefined : s.typed.has(q.id) || hasPath(s.draft, q.id);
      if (answered) {
        if (q.virtual && !s.virtuals.has(q.id)) s.virtuals.set(q.id, s.get(q.id));
        s.passed.add(q.id);
        continue;
      }
    }
    const value = await askOne(q, s, prompter, { again: mode === 'again' || reopened.has(q.id) });
    if (q.back && value === q.back.value) {
      // Forget what was answered from the target on, and ask again from there.
      const to = questions.findIndex((x) => x.id === q.back!.to);
      for (const x of questions.slice(to, i + 1)) {
        s.forget(x);
        reopened.add(x.id);
      }
      i = to - 1;
      continue;
    }
    await s.record(q, value);
  }
}

const splitList = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

/**
 * Checks one answer with the answers schema (the field's rule, then every rule that involves this
 * answer and reads only answers already known) and the question's own check.
 */
export async function validateValue(q: Question, value: unknown, s: QuestionContext & { known?(path: string): boolean }): Promise<true | string> {
  if (!q.virtual) {
    const field = fieldSchema(q.id).safeParse(value);
    if (!field.success) {
      const p = zodProblems(field.error)[0]!;
      return p.path === '(top level)' ? p.message : `${q.id}.${p.path}: ${p.message}`;
    }
    const draft = cloneDraft(s.draft);
    setPath(draft, q.id, value);
    const known = (f: string): boolean => isAt(f, q.id) || (s.known ? s.known(f) : true);
    const issue = ruleIssues(draft).find((i) => fieldsOf(i).some((f) => isAt(f, q.id) || isAt(q.id, f)) && fieldsOf(i).every(known));
    if (issue) return messageAt(issue, q.id);
  }
  return q.check ? q.check(value, s) : true;
}

async function askOne(q: Question, s: Session, prompter: Prompter, opts: { again?: boolean; reason?: string } = {}): Promise<unknown> {
  const current = opts.again ? s.current(q) : undefined;
  const def = current !== undefined ? current : ((await s.defaultOf(q)) ?? (q.suggest ? await q.suggest(s) : undefined));
  // A price beside the question, when one is known (never in the way of asking).
  const hint = q.hint ? await q.hint(s).catch(() => undefined) : undefined;
  // Asked again for a problem found later: the reason goes with the question.
  const message = `${q.message}${opts.reason ? ` (${opts.reason})` : ''}${hint ? ` — ${hint}` : ''}`;
  const validate = (v: unknown): Promise<true | string> => validateValue(q, v, s);
  switch (q.type) {
    case 'input': {
      const text = await prompter.input({
        message,
        default: def === undefined ? undefined : String(def),
        validate: (t: string) => (q.optional && t.trim() === '' ? true : validate(t.trim())),
      });
      return q.optional && text.trim() === '' ? undefined : text.trim();
    }
    case 'list':
    case 'list-of-cidrs': {
      const text = await prompter.input({
        message,
        default: Array.isArray(def) ? def.join(', ') : undefined,
        validate: (t: string) => validate(splitList(t)),
      });
      return splitList(text);
    }
    case 'number': {
      const n = await prompter.number({
        message,
        default: typeof def === 'number' ? def : undefined,
        validate: (v: number | undefined) => (v === undefined ? (q.optional ? true : 'is required') : validate(v)),
      });
      return n;
    }
    case 'confirm':
    case 'select': {
      // Neither prompt validates as it is answered: a refused answer is asked again with the reason.
      const choices = q.type === 'select' ? await q.choices!(s) : [];
      let chosen: unknown = q.type === 'select' ? (def ?? choices[0]?.value) : def;
      let shown = message;
      for (;;) {
        chosen = q.type === 'select' ? await prompter.select({ message: shown, choices, default: chosen }) : await prompter.confirm({ message: shown, default: typeof chosen === 'boolean' ? chosen : undefined });
        if (q.back && chosen === q.back.value) return chosen;
        const ok = await validate(chosen);
        if (ok === true) return chosen;
        shown = `${q.message} (${ok})`;
      }
    }
    case 'checkbox': {
      const choices = await q.choices!(s);
      const preset = Array.isArray(def) ? def : undefined;
      // Asked again: the current answer is what is checked, whatever the choices would check first.
      const withDefaults = preset ? choices.map((c) => ({ ...c, checked: current !== undefined ? preset.includes(c.value) : (c.checked ?? preset.includes(c.value)) })) : choices;
      const picked = await prompter.checkbox({
        message,
        choices: withDefaults,
        validate: (v: unknown[]) => (q.optional && v.length === 0 ? true : validate(v)),
      });
      return q.optional && picked.length === 0 ? undefined : picked;
    }
  }
}

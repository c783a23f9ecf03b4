import { WizardError } from '../../../src/errors.js';
import type { Choice, Prompter, Validate } from '../../../src/wizard/prompter.js';

/**
 * A prompter that answers from a script, in order. Each entry names a piece of the expected
 * question's message and the answer (undefined = accept the default). When validate refuses an
 * answer, the refusal is recorded and the next entry answers the same question again — the way
 * Inquirer re-asks. The answer CTRL_C stands for Ctrl-C at that question: the prompt fails as
 * the Inquirer prompter's does (INTERRUPTED).
 */
export type Script = [match: string, answer: unknown][];

export const CTRL_C = Symbol('Ctrl-C');

export interface ScriptedPrompter extends Prompter {
  asked: string[];
  /** `question`: the index in `asked` of the question that refused. */
  refusals: { message: string; answer: unknown; error: string; question: number }[];
  remaining(): number;
  /** The values a select offered, by its message (the last time it was asked). */
  offered: Record<string, unknown[]>;
}

export function scriptedPrompter(script: Script): ScriptedPrompter {
  const queue = [...script];
  const asked: string[] = [];
  const refusals: ScriptedPrompter['refusals'] = [];
  const offered: ScriptedPrompter['offered'] = {};
  const next = (message: string): unknown => {
    const entry = queue.shift();
    if (!entry) throw new Error(`script ran out at question "${message}"`);
    if (!message.includes(entry[0])) throw new Error(`expected a question matching "${entry[0]}", got "${message}"`);
    if (entry[1] === CTRL_C) throw new WizardError('INTERRUPTED', 'Interrupted: nothing was created.');
    return entry[1];
  };
  async function loop<T>(message: string, pick: (answer: unknown) => T, validate?: Validate<T>): Promise<T> {
    asked.push(message);
    for (;;) {
      const answer = next(message);
      const value = pick(answer);
      const ok = validate ? await validate(value) : true;
      if (ok === true) return value;
      refusals.push({ message, answer, error: ok, question: asked.length - 1 });
    }
  }
  return {
    asked,
    refusals,
    remaining: () => queue.length,
    offered,
    input: (q) => loop(q.message, (a) => (a === undefined ? (q.default ?? '') : String(a)), q.validate),
    number: (q) => loop(q.message, (a) => (a === undefined ? q.default : (a as number)), q.validate),
    select: <T>(q: { message: string; choices: Choice<T>[]; default?: T }) =>
      loop(q.message, (a) => {
        offered[q.message] = q.choices.map((c) => c.value);
        const value = (a === undefined ? q.default : a) as T;
        if (!q.choices.some((c) => c.value === value)) throw new Error(`"${String(value)}" is not a choice of "${q.message}"`);
        return value;
      }),
    checkbox: <T>(q: { message: string; choices: Choice<T>[]; validate?: Validate<T[]> }) =>
      loop(q.message, (a) => (a === undefined ? q.choices.filter((c) => c.checked).map((c) => c.value) : (a as T[])), q.validate),
    confirm: (q) => loop(q.message, (a) => (a === undefined ? (q.default ?? false) : (a as boolean))),
  };
}

import { WizardError } from '../errors.js';

/** What a prompt's validate returns: true, or the message to show before asking again. */
export type Validate<T> = (value: T) => true | string | Promise<true | string>;

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  checked?: boolean;
}

/**
 * The only way the wizard asks anything. The CLI hands in an Inquirer.js prompter on a TTY; tests
 * hand in a scripted one. Invalid input is re-asked with the validate message.
 */
export interface Prompter {
  input(q: { message: string; default?: string; validate?: Validate<string> }): Promise<string>;
  number(q: { message: string; default?: number; validate?: Validate<number | undefined> }): Promise<number | undefined>;
  select<T>(q: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  checkbox<T>(q: { message: string; choices: Choice<T>[]; validate?: Validate<T[]> }): Promise<T[]>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
}

/** Ctrl-C in a prompt (ExitPromptError) or an aborted run (AbortPromptError) becomes INTERRUPTED: exit 130, no stack trace. */
function interrupted(err: unknown): never {
  const name = (err as Error)?.name;
  if (name === 'ExitPromptError' || name === 'AbortPromptError') {
    throw new WizardError('INTERRUPTED', 'Interrupted: nothing was created.', { cause: err });
  }
  throw err;
}

/** Inquirer.js prompts on the given streams. Loaded lazily so non-interactive runs never import it. */
export async function inquirerPrompter(io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal }): Promise<Prompter> {
  const p = await import('@inquirer/prompts');
  const context = { input: io.input, output: io.output, signal: io.signal };
  const guard = <T>(run: () => Promise<T>): Promise<T> => run().catch(interrupted);
  return {
    input: (q) => guard(() => p.input({ message: q.message, default: q.default, validate: q.validate }, context)),
    number: (q) => guard(() => p.number({ message: q.message, default: q.default, validate: q.validate }, context)),
    select: <T>(q: { message: string; choices: Choice<T>[]; default?: T }) =>
      guard(() => p.select<T>({ message: q.message, choices: q.choices, default: q.default, pageSize: 12 }, context)),
    checkbox: <T>(q: { message: string; choices: Choice<T>[]; validate?: Validate<T[]> }) =>
      guard(() =>
        p.checkbox<T>(
          {
            message: q.message,
            choices: q.choices,
            pageSize: 12,
            validate: q.validate ? (items: readonly { value: T }[]) => q.validate!(items.map((c) => c.value)) : undefined,
          },
          context,
        ),
      ),
    confirm: (q) => guard(() => p.confirm({ message: q.message, default: q.default }, context)),
  };
}

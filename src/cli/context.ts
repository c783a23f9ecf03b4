import { AwsClients, type AwsTarget } from '../aws/clients.js';
import type { Prompter } from '../wizard/prompter.js';
import { DEFAULT_TIMING, type PollTiming } from '../aws/poll.js';

/**
 * Everything a command touches outside itself comes through here, so tests swap any of it:
 * streams, environment, TTY detection, the AWS client factory, the clock.
 */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Interactive terminal on both ends (prompts and spinners allowed). */
  isTTY: boolean;
  makeClients(target: AwsTarget): AwsClients;
  timing: PollTiming;
  /** Aborted on the first Ctrl-C. */
  signal: AbortSignal;
  /** Set once the command printed its result (so a failure after it does not print a second JSON document). */
  resultPrinted?: boolean;
  /** Makes the prompter used on a TTY (default: Inquirer.js); tests hand in a scripted one. */
  prompter?: (io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal }) => Promise<Prompter>;
}

export function processContext(signal: AbortSignal): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI,
    makeClients: (target) => new AwsClients(target),
    timing: pollTiming(process.env),
    signal,
  };
}

/**
 * The poll timing of a process: AWS's pace by default (first check after 1 s, backing off to 15 s).
 * `ECS_WIZARD_POLL_MS` sets the first delay (the cap scales with it): the local emulator answers at
 * once, so the demo and the tests that start the CLI check every few milliseconds instead of waiting
 * out seconds that only matter on AWS.
 */
export function pollTiming(env: NodeJS.ProcessEnv): PollTiming {
  const raw = env.ECS_WIZARD_POLL_MS;
  const ms = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
  if (ms === undefined || ms >= DEFAULT_TIMING.minDelayMs) return DEFAULT_TIMING;
  return { ...DEFAULT_TIMING, minDelayMs: Math.max(1, ms), maxDelayMs: Math.max(1, ms) * 15 };
}

import { WizardError, inputError, type Problem } from '../errors.js';
import { defaultStateDir } from '../engine/state.js';
import { DEFAULT_CONCURRENCY } from '../engine/engine.js';
import type { CliContext } from './context.js';

/** Flags every command takes (DESIGN.md contract). */
export interface CommonFlags {
  stateDir?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  output?: string;
  verbose?: boolean;
  concurrency?: string;
  waitTimeout?: string;
}

export interface CommonOptions {
  stateDir: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  output: 'text' | 'json';
  verbose: boolean;
  concurrency: number;
  waitTimeoutMs: number;
}

export const DEFAULT_WAIT_TIMEOUT_S = 900;

/** Validates common flags, collecting every problem before failing (exit 2, no AWS call). */
export function commonOptions(flags: CommonFlags, ctx: CliContext): CommonOptions {
  const problems: Problem[] = [];
  const output = flags.output ?? 'text';
  if (output !== 'text' && output !== 'json') problems.push({ path: '--output', message: `must be "text" or "json", got "${output}"` });
  const concurrency = flags.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    problems.push({ path: '--concurrency', message: `must be a whole number from 1 to 64, got "${flags.concurrency}"` });
  }
  const waitTimeout = flags.waitTimeout === undefined ? DEFAULT_WAIT_TIMEOUT_S : Number(flags.waitTimeout);
  if (!Number.isFinite(waitTimeout) || waitTimeout <= 0 || waitTimeout > 24 * 3600) {
    problems.push({ path: '--wait-timeout', message: `must be a number of seconds from 1 to 86400, got "${flags.waitTimeout}"` });
  }
  if (flags.endpointUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(flags.endpointUrl)) {
    problems.push({ path: '--endpoint-url', message: `must be an http(s) URL like http://127.0.0.1:5000, got "${flags.endpointUrl}"` });
  }
  if (flags.region !== undefined && !/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(flags.region)) {
    problems.push({ path: '--region', message: `must be an AWS region like us-east-1, got "${flags.region}"` });
  }
  if (problems.length) throw inputError(problems, 'options');
  return {
    stateDir: flags.stateDir ? flags.stateDir : defaultStateDir(ctx.env, ctx.cwd),
    region: flags.region,
    profile: flags.profile,
    endpointUrl: flags.endpointUrl,
    output: output as 'text' | 'json',
    verbose: flags.verbose ?? false,
    concurrency,
    waitTimeoutMs: waitTimeout * 1000,
  };
}

export function requireStackArg(stack: string | undefined, command: string): string {
  if (!stack) {
    throw new WizardError('USAGE', `Which stack? Give its name: ecs-wizard ${command} <stack>.`, {
      problems: [{ path: 'STACK', message: 'is required' }],
      hint: 'Run `ecs-wizard list` to see the stacks in the state directory.',
    });
  }
  return stack;
}

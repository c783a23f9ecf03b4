import { statSync } from 'node:fs';
import * as path from 'node:path';
import { WizardError, inputError, type Problem } from '../errors.js';
import { defaultStateDir } from '../engine/state.js';
import { DEFAULT_CONCURRENCY } from '../engine/engine.js';
import type { CliContext } from './context.js';
import { MAX_CONCURRENCY } from './interrupt.js';

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
  lockTimeout?: string;
}

/** Where states live: a local directory, or an S3 bucket and prefix. */
export type StateLocation = { kind: 'file'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

export interface CommonOptions {
  /** The state location as given (a directory or `s3://BUCKET/PREFIX`), for messages. */
  stateDir: string;
  state: StateLocation;
  /** How long to wait for a stack's lock held by another run (0: fail at once). */
  lockTimeoutMs: number;
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
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    problems.push({ path: '--concurrency', message: `must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${flags.concurrency}"` });
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
  const lockTimeoutMs = flags.lockTimeout === undefined ? 0 : parseDuration(flags.lockTimeout);
  if (lockTimeoutMs === undefined || lockTimeoutMs > 24 * 3600 * 1000) {
    problems.push({ path: '--lock-timeout', message: `must be a duration like 30s, 5m or 1h (at most 24h), got "${flags.lockTimeout}"` });
  }
  const stateDir = flags.stateDir ? flags.stateDir : defaultStateDir(ctx.env, ctx.cwd);
  const stateField = flags.stateDir ? '--state-dir' : 'ECS_WIZARD_STATE_DIR';
  const state = parseStateLocation(stateDir, stateField, problems);
  if (state?.kind === 'file') problems.push(...directoryProblems(state.dir, stateField, ctx.cwd));
  if (problems.length) throw inputError(problems, 'options');
  return {
    stateDir: state?.kind === 's3' ? formatS3Location(state) : stateDir,
    state: state!,
    lockTimeoutMs: lockTimeoutMs!,
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

/** "30s", "5m", "1h", "500ms", or plain seconds, in milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** S3's "safe" key characters; a prefix segment is never empty, "." or "..". */
const PREFIX_SEGMENT = /^[A-Za-z0-9!_.*'()=+-]+$/;

/**
 * A state location: `s3://BUCKET/PREFIX` (PREFIX optional), or else a directory. A malformed
 * s3:// URL is a problem on `field`, pushed to `problems` (undefined is returned).
 */
export function parseStateLocation(text: string, field: string, problems: Problem[]): StateLocation | undefined {
  if (!/^s3:/i.test(text)) return { kind: 'file', dir: text };
  const bad = (why: string): undefined => {
    problems.push({ path: field, message: `${why}: expected s3://BUCKET/PREFIX, like s3://my-team-state/ecs-wizard, got "${text}"` });
    return undefined;
  };
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(text);
  if (!m) return bad('is not an s3:// URL');
  const bucket = m[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return bad(`"${bucket}" is not a valid bucket name (3 to 63 lowercase letters, digits, dots and hyphens)`);
  }
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  if (prefix && !prefix.split('/').every((seg) => PREFIX_SEGMENT.test(seg) && seg !== '.' && seg !== '..')) {
    return bad(`the prefix "${prefix}" may hold only letters, digits and !_.*'()=+- between single slashes`);
  }
  if (prefix.length > 900) return bad('the prefix is longer than 900 characters');
  return { kind: 's3', bucket, prefix };
}

/**
 * A state directory that cannot be one: the path (or a folder above it) is a file. Said as bad
 * input before anything runs, instead of ENOTDIR from the first read or lock. A missing directory
 * is fine: it is created when a state is first written.
 */
export function directoryProblems(dir: string, field: string, cwd: string): Problem[] {
  for (let p = path.resolve(cwd, dir); ; p = path.dirname(p)) {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      // ENOTDIR (a file above it, found further up) or EACCES (said by the first read, naming the path).
      st = undefined;
    }
    if (st) {
      if (st.isDirectory()) return [];
      const what = p === path.resolve(cwd, dir) ? `"${dir}" is a file, not a directory` : `"${dir}" is inside ${p}, which is a file`;
      return [{ path: field, message: `${what}: give a directory for the states (it is made when missing), or s3://BUCKET/PREFIX` }];
    }
    if (path.dirname(p) === p) return [];
  }
}

export function formatS3Location(loc: { bucket: string; prefix: string }): string {
  return `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`;
}

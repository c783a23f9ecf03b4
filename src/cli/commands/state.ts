import * as path from 'node:path';
import { WizardError, inputError, type Problem } from '../../errors.js';
import type { StackLock, StateStore } from '../../engine/store.js';
import type { CliContext } from '../context.js';
import { commonOptions, directoryProblems, formatS3Location, parseStateLocation, requireStackArg, type CommonFlags, type CommonOptions, type StateLocation } from '../options.js';
import { NO_CALLS, printResult } from '../output.js';
import { noStackError, openStore, s3ClientsFor } from '../state-store.js';

/**
 * `ecs-wizard state init s3://BUCKET[/PREFIX]`: makes (or completes) a bucket to keep states in —
 * versioning, default encryption, public access blocked, old versions under PREFIX/ expired — and
 * says how to use it.
 */
export async function stateInit(url: string, flags: CommonFlags, ctx: CliContext): Promise<number> {
  const problems: Problem[] = [];
  const loc = parseStateLocation(url, 'BUCKET', problems);
  if (loc && loc.kind !== 's3') problems.push({ path: 'BUCKET', message: `must be an s3:// URL like s3://my-team-state, got "${url}"` });
  let opts;
  try {
    opts = commonOptions(flags, ctx);
  } catch (err) {
    if (err instanceof WizardError && err.code === 'INPUT_INVALID') problems.push(...err.problems);
    else throw err;
  }
  if (problems.length || !opts || loc?.kind !== 's3') throw inputError(problems, 'arguments');
  const { initStateBucket, NONCURRENT_DAYS, NEWER_NONCURRENT_VERSIONS } = await import('../../aws/state-bucket.js');
  const { callLog } = await import('../stack.js');
  // Counted: making the bucket is this command's own work (the states' reads and writes elsewhere are not).
  const calls = callLog(opts, (l) => ctx.stderr.write(`${l}\n`));
  const prefix = loc.prefix || 'ecs-wizard';
  const report = await initStateBucket(loc.bucket, s3ClientsFor(opts, ctx, calls.onCall), opts.region, prefix);
  const stateDir = formatS3Location({ bucket: loc.bucket, prefix });
  if (opts.output === 'json') {
    printResult(ctx, opts, { ...report, stateDir, calls: calls.counts });
    return 0;
  }
  const words = {
    versioning: 'turned on versioning',
    encryption: 'set default encryption (AES256)',
    publicAccessBlock: 'blocked public access',
    lifecycle: `added a lifecycle rule that expires versions of ${prefix}/ replaced over ${NONCURRENT_DAYS} days ago, past the newest ${NEWER_NONCURRENT_VERSIONS} of each object`,
  };
  const head = report.created ? `Created bucket s3://${report.bucket} in ${report.region}` : `Bucket s3://${report.bucket} (${report.region}) exists`;
  const did = report.changed.map((c) => words[c]);
  ctx.stdout.write(
    `${head}${did.length ? `; ${did.join(', ')}` : `; it already had versioning, default encryption, public access blocked and the lifecycle rule for ${prefix}/`}.\n` +
      `Keep stack states there with --state-dir ${stateDir} (or ECS_WIZARD_STATE_DIR=${stateDir}).\n`,
  );
  return 0;
}

export interface MigrateFlags extends CommonFlags {
  to?: string;
}

/**
 * `ecs-wizard state migrate STACK --to DIR|s3://BUCKET/PREFIX`: moves a stack's state from the
 * state location (--state-dir) to another, holding both locks. The source is removed only once the
 * target is written and read back identical; run again after a failure, it finishes the move.
 */
export async function stateMigrate(stackArg: string | undefined, flags: MigrateFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const stack = requireStackArg(stackArg, 'state migrate');
  const problems: Problem[] = [];
  const to = flags.to === undefined ? undefined : parseStateLocation(flags.to, '--to', problems);
  if (flags.to === undefined) problems.push({ path: '--to', message: 'is required: the directory or s3://BUCKET/PREFIX to move the state to' });
  if (to?.kind === 'file') problems.push(...directoryProblems(to.dir, '--to', ctx.cwd));
  if (to && sameLocation(to, opts.state, ctx.cwd)) problems.push({ path: '--to', message: `is where the state already is (${opts.stateDir})` });
  if (problems.length) throw inputError(problems, 'options');

  const source = await openStore(opts, ctx);
  const locks: StackLock[] = [];
  let target: StateStore | undefined;
  try {
    target = await openStore(opts, ctx, to!.kind === 'file' ? { kind: 'file', dir: path.resolve(ctx.cwd, to!.dir) } : to!);
    const lockOpts = { timeoutMs: opts.lockTimeoutMs, signal: ctx.signal };
    locks.push(await source.lock(stack, 'state migrate', lockOpts));
    locks.push(await target.lock(stack, 'state migrate', lockOpts));
    const from = await source.read(stack);
    // A corrupt or newer document at the target is refused here (STATE_INVALID): never overwritten.
    const there = await target.read(stack);
    if (!from) {
      if (there) return moved(ctx, opts, stack, source, target, true);
      throw await noStackError(source, stack, ctx.cwd);
    }
    if (there && there.text !== from.text) {
      throw new WizardError('STATE_CONFLICT', `${target.where(stack)} already holds a different state of stack "${stack}": nothing was moved.`, {
        hint: `Compare the two states; remove the one that is wrong, then run the move again.`,
      });
    }
    // A move that stopped after writing the target resumes here, with the target already right.
    if (!there) {
      await target.write(stack, from.text, undefined);
      const back = await target.read(stack);
      if (back?.text !== from.text) {
        throw new WizardError('STATE_INVALID', `${target.where(stack)} did not read back as written: the source ${source.where(stack)} is kept.`, {
          hint: 'Run the move again; if it keeps failing, check the target location.',
        });
      }
    }
    await source.remove(stack, from.revision);
    return moved(ctx, opts, stack, source, target, false);
  } finally {
    for (const l of locks.reverse()) await l.release().catch(() => undefined);
    target?.close();
    source.close();
  }
}

function moved(ctx: CliContext, opts: CommonOptions, stack: string, source: StateStore, target: StateStore, already: boolean): number {
  if (opts.output === 'json') {
    // Moving a state makes no call about the stack's resources (`calls` never counts the states' own reads and writes).
    printResult(ctx, opts, { stack, from: source.where(stack), to: target.where(stack), alreadyMoved: already, calls: NO_CALLS });
  } else {
    ctx.stdout.write(
      `${already ? `The state of stack "${stack}" is already at` : `Moved the state of stack "${stack}" to`} ${target.where(stack)}${already ? '' : ` (from ${source.where(stack)})`}.\n` +
        `Use --state-dir ${target.location} (or ECS_WIZARD_STATE_DIR) for this stack from now on.\n`,
    );
  }
  return 0;
}

function sameLocation(a: StateLocation, b: StateLocation, cwd: string): boolean {
  if (a.kind === 'file' && b.kind === 'file') return path.resolve(cwd, a.dir) === path.resolve(cwd, b.dir);
  return a.kind === 's3' && b.kind === 's3' && a.bucket === b.bucket && a.prefix === b.prefix;
}

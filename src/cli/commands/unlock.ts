import { WizardError } from '../../errors.js';
import { describeHolder, type HeldLock } from '../../engine/store.js';
import { holderIsDead } from '../../engine/lock.js';
import { inquirerPrompter } from '../../wizard/prompter.js';
import type { CliContext } from '../context.js';
import { commonOptions, requireStackArg, type CommonFlags } from '../options.js';
import { NO_CALLS, printResult } from '../output.js';
import { openStore } from '../state-store.js';

export interface UnlockFlags extends CommonFlags {
  yes?: boolean;
}

/** The holder as the JSON result shows it: the lock body's own keys. */
function holderJson(h: HeldLock): object {
  return { host: h.host, pid: h.pid, user: h.user, command: h.command, since: h.since, ...(h.unreadable ? { unreadable: true } : {}) };
}

/**
 * `ecs-wizard unlock STACK`: shows who holds the stack's lock and removes it — for a run that died
 * holding it (a killed CI job, a laptop that went away). Asks first on a terminal; needs --yes
 * without one. Removes only the lock it showed, never one taken meanwhile.
 */
export async function unlock(stackArg: string | undefined, flags: UnlockFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const stack = requireStackArg(stackArg, 'unlock');
  const unconfirmed = !flags.yes && !ctx.isTTY;
  const refusal = (): WizardError =>
    new WizardError('USAGE', `Refusing to remove the lock of stack "${stack}" without confirmation.`, {
      problems: [{ path: '--yes', message: 'is required when there is no terminal to confirm in' }],
      hint: `Make sure no ecs-wizard run on "${stack}" is still going, then run \`ecs-wizard unlock ${stack} --yes\`.`,
    });
  // A stack that is not locked needs no confirmation: a local lock is read first to say so. An S3
  // lock is not: reading it is an AWS call, and a usage error (exit 2) makes none.
  if (unconfirmed && opts.state.kind === 's3') throw refusal();
  const screen = opts.output === 'json' ? ctx.stderr : ctx.stdout;
  const store = await openStore(opts, ctx);
  try {
    const held = await store.holder(stack);
    if (!held) {
      if (opts.output === 'text') ctx.stdout.write(`Stack "${stack}" is not locked (${store.location}): nothing to remove.\n`);
      else printResult(ctx, opts, { stack, unlocked: false, holder: null, calls: NO_CALLS });
      return 0;
    }
    if (unconfirmed) throw refusal();
    screen.write(`Stack "${stack}" is locked by ${describeHolder(held)}${holderIsDead(held) ? ': that process is no longer running (the run died holding the lock)' : ''}.\n`);
    if (!flags.yes) {
      const prompter = await (ctx.prompter ?? inquirerPrompter)({ input: ctx.stdin, output: screen, signal: ctx.signal });
      // Default no: removing the lock of a run still going lets two runs change the stack at once.
      if (!(await prompter.confirm({ message: 'Remove this lock? Do so only if that run is no longer running.', default: false }))) {
        screen.write('The lock was left in place.\n');
        if (opts.output === 'json') printResult(ctx, opts, { stack, unlocked: false, holder: holderJson(held), calls: NO_CALLS });
        return 0;
      }
    }
    if (!(await store.unlock(stack, held))) {
      throw new WizardError('STATE_LOCKED', `The lock of stack "${stack}" changed while it was shown (released, or taken by another run): nothing was removed.`, {
        hint: `Run \`ecs-wizard unlock ${stack}\` again to see who holds it now.`,
      });
    }
    if (opts.output === 'text') ctx.stdout.write(`Removed the lock of stack "${stack}".\n`);
    else printResult(ctx, opts, { stack, unlocked: true, holder: holderJson(held), calls: NO_CALLS });
    return 0;
  } finally {
    store.close();
  }
}

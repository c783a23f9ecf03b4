import { WizardError } from '../../errors.js';
import { buildDestroyPlan } from '../../steps/index.js';
import type { StackEnv } from '../../steps/env.js';
import { validateAnswers } from '../../wizard/answers-file.js';
import { discoverAnswers, discoverPlan } from '../../destroy/discover.js';
import { describeLeftover, type Leftover } from '../../destroy/inventory.js';
import { deletionListing, keptResources } from '../../destroy/listing.js';
import { askWhilePaused } from '../../ui/reporter.js';
import { inquirerPrompter } from '../../wizard/prompter.js';
import { destroyStack, type DestroyReport } from '../../destroy/run.js';
import type { CliContext } from '../context.js';
import { commonOptions, requireStackArg, type CommonFlags } from '../options.js';
import { NO_CALLS, makeReporter, printResult } from '../output.js';
import { awsTarget, callLog, noStack, openStack, preflight, stackEnv } from '../stack.js';
import { failureLine } from '../errors-format.js';
import { oneOf } from '../../words.js';

export interface DestroyFlags extends CommonFlags {
  yes?: boolean;
  discover?: boolean;
  forceEcr?: boolean;
}

export async function destroy(stackArg: string | undefined, flags: DestroyFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const stackName = requireStackArg(stackArg, 'destroy');
  if (!flags.yes && !ctx.isTTY) {
    throw new WizardError('USAGE', `Refusing to destroy stack "${stackName}" without confirmation.`, {
      problems: [{ path: '--yes', message: 'is required when there is no terminal to confirm in' }],
      hint: `Run \`ecs-wizard destroy ${stackName} --yes\`.`,
    });
  }
  const stack = await openStack(opts, stackName, 'destroy', ctx);
  const reporter = makeReporter(opts, ctx);
  try {
    const existing = stack.existing;
    if (!existing && !flags.discover) {
      // Idempotent (exit 0), but a typo must not pass for "already gone": say where it looked and what is close.
      const none = await noStack(stack.store, stackName, ctx.cwd);
      const guess = none.suggestions.length ? `; did you mean ${oneOf(none.suggestions)}?` : '.';
      ctx.stderr.write(`no stack ${stackName} in ${none.where}: nothing to destroy${guess} (If its resources exist without a state file, add --discover.)\n`);
      printResult(ctx, opts, {
        stack: stackName,
        ok: true,
        nothing: true,
        destroyed: [],
        note: 'no state: nothing to destroy',
        stateDir: stack.store.location,
        ...(none.suggestions.length ? { didYouMean: none.suggestions } : {}),
        calls: NO_CALLS,
      });
      return 0;
    }
    const calls = callLog(opts, (l) => reporter.log(l));
    const aws = ctx.makeClients(awsTarget(opts, ctx, { region: existing?.region, endpointUrl: existing?.endpointUrl }, calls.onCall));
    try {
      const region = await preflight(aws);
      const answers = existing?.answers !== undefined ? validateAnswers(existing.answers) : await discoverAnswers(aws, stackName);
      const env: StackEnv = { ...stackEnv(answers, aws, region, ctx, opts), forceEcr: flags.forceEcr ?? false };
      if (!existing) await stack.state.update((s) => Object.assign(s, { answers, region, endpointUrl: opts.endpointUrl ?? ctx.env.AWS_ENDPOINT_URL }));

      const report = await destroyStack({
        env,
        state: stack.state,
        plan: flags.discover ? discoverPlan(answers) : buildDestroyPlan(answers, stack.state.state.resources),
        discover: flags.discover,
        concurrency: opts.concurrency,
        signal: ctx.signal,
        onEvent: (e) => reporter.event(e),
        info: (m) => reporter.info(m),
        // Listed (an inventory by tag and name) only to be shown: --yes without --discover goes straight on.
        confirm: flags.yes && !flags.discover ? undefined : async (listed) => {
          const what = [
            `${flags.discover ? 'Found' : 'This deletes'} ${listed.length} resource${listed.length === 1 ? '' : 's'} of stack "${stackName}" in ${region}${flags.discover ? ' by tag and name' : ''}:`,
            ...(listed.length ? [] : ['  (nothing by tag or name; only what the state file recorded)']),
            ...deletionListing(listed, keptResources(stack.state.state, answers)),
          ].join('\n');
          if (flags.yes) return reporter.info(what);
          const screen = opts.output === 'json' ? ctx.stderr : ctx.stdout;
          const prompter = await (ctx.prompter ?? inquirerPrompter)({ input: ctx.stdin, output: screen, signal: ctx.signal });
          // The listing is written once, above the question: a prompt redraws its message on every key.
          const typed = await askWhilePaused(reporter, () => {
            screen.write(`${what}\n`);
            return prompter.input({ message: `Type the stack name (${stackName}) to delete all of it:` });
          });
          if (typed.trim() !== stackName) {
            throw new WizardError('USAGE', `Not confirmed: stack "${stackName}" was left as it is.`, { hint: 'Type the stack name exactly, or pass --yes.' });
          }
        },
      });
      reporter.close();
      printResult(ctx, opts, summarise(stackName, report, calls.counts));
      return await finish(stackName, report, opts.output === 'json' ? undefined : ctx, stack.state);
    } finally {
      aws.destroy();
    }
  } finally {
    reporter.close();
    await stack.close();
  }
}

function summarise(stack: string, r: DestroyReport, calls: unknown): object {
  const line = (l: Leftover): { type: string; id: string; name?: string } => ({ type: l.type, id: l.id, ...(l.name ? { name: l.name } : {}) });
  return {
    stack,
    ok: r.ok,
    nothing: r.nothing,
    ...(r.found.length ? { found: r.found.map(line) } : {}),
    steps: (r.nothing ? [] : (r.steps?.results ?? [])).map((s) => ({ id: s.stepId, title: s.title, outcome: s.outcome, ...(s.error ? { error: (s.error as Error).message } : {}) })),
    extras: { deleted: r.extras.deleted.map(line), kept: r.extras.kept.map((k) => ({ ...line(k.item), reason: k.reason })), failed: r.extras.failed.map((f) => ({ ...line(f.item), error: (f.error as Error)?.message })) },
    leftovers: r.leftovers.map(line),
    ...(r.nothing ? { note: 'nothing to destroy' } : {}),
    calls,
  };
}

/** Maps the report to an exit: 0 and the state file removed, or an error that keeps the state for a retry. */
async function finish(stack: string, r: DestroyReport, text: CliContext | undefined, state: { remove(): Promise<void>; file: string; conflict?: Error }): Promise<number> {
  if (state.conflict) throw state.conflict;
  if (r.interrupted) throw new WizardError('INTERRUPTED', `Interrupted. The state is saved: run \`ecs-wizard destroy ${stack}\` again to finish.`);
  const retry = `The state file ${state.file} is kept: run \`ecs-wizard destroy ${stack}\` again (add --wait-timeout to wait longer).`;
  // Verification is the judge: a step that failed but whose resource the backstop removed is no failure.
  const failed = r.leftovers.length ? (r.steps?.results.filter((s) => s.outcome === 'failed') ?? []) : [];
  if (r.leftovers.length) {
    const lines = [...failed.map((f) => failureLine(f.title, f.error)), ...r.extras.failed.map((f) => failureLine(describeLeftover(f.item), f.error))];
    const still = r.leftovers.map((l) => `  ${describeLeftover(l)}`);
    const kept = r.extras.kept.map((k) => `  ${k.reason}`);
    throw new WizardError(
      'LEFTOVERS',
      [`Stack "${stack}" is not fully destroyed.`, ...lines, ...(still.length ? [`Still present (${still.length}):`, ...still] : []), ...kept].join('\n'),
      { hint: r.extras.kept.length ? `Pass --force-ecr to delete repositories with their images. ${retry}` : retry },
    );
  }
  await state.remove();
  if (text) {
    if (r.nothing) text.stdout.write(`Nothing to destroy: no resource of stack "${stack}" exists.\n`);
    if (r.extras.deleted.length) text.stdout.write(`Also deleted by tag and name: ${r.extras.deleted.map(describeLeftover).join(', ')}\n`);
    for (const f of r.steps?.results.filter((s) => s.outcome === 'failed') ?? []) text.stderr.write(`warning: ${failureLine(f.title, f.error)} (removed afterwards by tag and name)\n`);
    text.stdout.write(`Verified: nothing of stack "${stack}" is left. State file ${state.file} removed.\n`);
  }
  return 0;
}

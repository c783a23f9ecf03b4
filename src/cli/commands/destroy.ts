import { WizardError } from '../../errors.js';
import { runDestroy } from '../../engine/engine.js';
import { buildPlan } from '../../steps/index.js';
import { validateAnswers } from '../../wizard/answers-file.js';
import type { CliContext } from '../context.js';
import { commonOptions, requireStackArg, type CommonFlags } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { awsTarget, openStack, preflight, stackEnv } from '../stack.js';

export interface DestroyFlags extends CommonFlags {
  yes?: boolean;
  discover?: boolean;
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
  const stack = await openStack(opts, stackName, 'destroy');
  const reporter = makeReporter(opts, ctx);
  try {
    if (!stack.existing) {
      ctx.stderr.write(`No state for stack "${stackName}" in ${opts.stateDir}: nothing to destroy.\n`);
      printResult(ctx, opts, { stack: stackName, ok: true, destroyed: [], note: 'no state' });
      return 0;
    }
    const answers = validateAnswers(stack.existing.answers);
    const aws = ctx.makeClients(awsTarget(opts, ctx, { region: stack.existing.region, endpointUrl: stack.existing.endpointUrl }));
    try {
      const region = await preflight(aws);
      const result = await runDestroy(buildPlan(answers), {
        env: stackEnv(answers, aws, region, ctx, opts),
        state: stack.state,
        concurrency: opts.concurrency,
        signal: ctx.signal,
        onEvent: (e) => reporter.event(e),
      });
      reporter.close();
      printResult(ctx, opts, { stack: stackName, ok: result.ok, steps: result.results.map((r) => ({ id: r.stepId, title: r.title, outcome: r.outcome })) });
      if (result.interrupted) throw new WizardError('INTERRUPTED', `Interrupted. Run \`ecs-wizard destroy ${stackName}\` again to finish.`);
      if (!result.ok) throw new WizardError('STEP_FAILED', result.results.filter((r) => r.outcome === 'failed').map((r) => `${r.title}: ${(r.error as Error)?.message}`).join('\n'));
      await stack.state.remove();
      return 0;
    } finally {
      aws.destroy();
    }
  } finally {
    reporter.close();
    await stack.close();
  }
}

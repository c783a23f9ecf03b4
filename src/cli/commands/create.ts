import { WizardError } from '../../errors.js';
import { runCreate } from '../../engine/engine.js';
import type { RunResult } from '../../engine/types.js';
import { buildPlan } from '../../steps/index.js';
import { readAnswersFile, saveAnswersFile, validateAnswers } from '../../wizard/answers-file.js';
import type { Answers } from '../../wizard/schema.js';
import type { CliContext } from '../context.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { awsTarget, openStack, preflight, stackEnv } from '../stack.js';

export interface CreateFlags extends CommonFlags {
  answers?: string;
  yes?: boolean;
  dryRun?: boolean;
  saveAnswers?: string;
  wait?: boolean;
}

export async function create(flags: CreateFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const raw = flags.answers ? await readAnswersFile(flags.answers) : {};
  const answers: Answers = validateAnswers(raw);
  if (flags.saveAnswers) await saveAnswersFile(flags.saveAnswers, answers);

  const reporter = makeReporter(opts, ctx);
  const aws = ctx.makeClients(awsTarget(opts, ctx, { region: answers.region }));
  try {
    const region = await preflight(aws);
    const stack = await openStack(opts, answers.stack, flags.dryRun ? 'create --dry-run' : 'create');
    try {
      const env = stackEnv(answers, aws, region, ctx, opts);
      if (!flags.dryRun) {
        await stack.state.update((s) => {
          s.answers = answers;
          s.region = region;
          s.endpointUrl = opts.endpointUrl ?? ctx.env.AWS_ENDPOINT_URL;
        });
      }
      const result = await runCreate(buildPlan(answers), {
        env,
        state: stack.state,
        concurrency: opts.concurrency,
        dryRun: flags.dryRun,
        wait: flags.wait !== false,
        signal: ctx.signal,
        onEvent: (e) => reporter.event(e),
      });
      reporter.close();
      printResult(ctx, opts, createSummary(answers, result, region, flags.dryRun ?? false));
      if (result.interrupted) {
        throw new WizardError('INTERRUPTED', `Interrupted. The state is saved: run \`ecs-wizard create --answers …\` again to resume, or \`ecs-wizard destroy ${answers.stack}\` to clean up.`);
      }
      if (!result.ok) {
        const failed = result.results.filter((r) => r.outcome === 'failed');
        const first = failed[0]?.error;
        throw new WizardError(
          first instanceof WizardError && (first.code === 'INPUT_INVALID' || first.code === 'DRIFT') ? first.code : 'STEP_FAILED',
          failed.map((f) => `${f.title}: ${(f.error as Error)?.message ?? 'failed'}`).join('\n'),
          { cause: first, hint: first instanceof WizardError ? first.hint : `The state is saved; fix the cause and run create again to resume, or destroy ${answers.stack}.` },
        );
      }
      return 0;
    } finally {
      await stack.close();
    }
  } finally {
    reporter.close();
    aws.destroy();
  }
}

export interface CreateSummary {
  stack: string;
  region: string;
  dryRun: boolean;
  ok: boolean;
  url?: string;
  resources: Record<string, unknown>;
  steps: { id: string; title: string; outcome: string; durationMs: number; error?: string }[];
}

function createSummary(answers: Answers, result: RunResult, region: string, dryRun: boolean): CreateSummary {
  const lb = result.results.find((r) => r.stepId === 'load-balancer')?.outputs;
  const dns = lb?.dnsName as string | undefined;
  const port = answers.loadBalancer.listenerPort;
  return {
    stack: answers.stack,
    region,
    dryRun,
    ok: result.ok,
    url: dns ? `http://${dns}${port === 80 ? '' : `:${port}`}` : undefined,
    resources: Object.fromEntries(result.results.filter((r) => r.outputs).map((r) => [r.stepId, r.outputs])),
    steps: result.results.map((r) => ({
      id: r.stepId,
      title: r.title,
      outcome: r.outcome,
      durationMs: Math.round(r.durationMs),
      ...(r.error ? { error: (r.error as Error).message } : {}),
    })),
  };
}

import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingClient, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { WizardError, inputError, type Problem } from '../../errors.js';
import { checkCapacity } from '../../scaling/capacity.js';
import { stackNames } from '../../steps/names.js';
import type { AutoScalingGroupOutputs, ServiceOutputs } from '../../steps/outputs.js';
import { validateAnswers } from '../../wizard/answers-file.js';
import type { Answers } from '../../wizard/schema.js';
import type { CliContext } from '../context.js';
import { commonOptions, requireStackArg, type CommonFlags } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { awsTarget, callLog, noStackError, openStack, preflight, type CallCounts } from '../stack.js';
import { answersCost } from '../prices.js';
import type { CostReport } from '../../cost/estimate.js';
import { changeText, costHeadline, pricesLine } from '../../cost/format.js';
import { whoAmI } from '../../deploy/releases.js';
import { idFor, selectService, serviceAnswersOf, serviceNames, servicesOf, type ServiceSpec } from '../../steps/services.js';

export interface ScaleFlags extends CommonFlags {
  desiredCount?: string;
  minCount?: string;
  maxCount?: string;
  minSize?: string;
  maxSize?: string;
  desiredCapacity?: string;
}

/** The flags, each the answers key it changes. */
const FLAGS = [
  { flag: '--desired-count', key: 'desiredCount' },
  { flag: '--min-count', key: 'minCount' },
  { flag: '--max-count', key: 'maxCount' },
  { flag: '--min-size', key: 'minSize' },
  { flag: '--max-size', key: 'maxSize' },
  { flag: '--desired-capacity', key: 'desiredCapacity' },
] as const;

/**
 * Each flag with the answers path it changes and how to write it: a service's counts at its own
 * answers (`service.desiredCount`, `services.<name>.desiredCount`), its bounds in its own `scaling`
 * or else the stack's `scaling.service`.
 */
function flagTargets(answers: Answers, svc: ServiceSpec) {
  const own = serviceAnswersOf(answers, svc.name)?.scaling !== undefined;
  const scalingAt = own ? `${svc.at}.scaling` : 'scaling.service';
  const scalingOf = (a: Answers) => (own ? serviceAnswersOf(a, svc.name)!.scaling! : a.scaling.service);
  const paths: Record<Key, { path: string; set: (a: Answers, n: number) => void }> = {
    desiredCount: { path: `${svc.at}.desiredCount`, set: (a, n) => void (serviceAnswersOf(a, svc.name)!.desiredCount = n) },
    minCount: { path: `${scalingAt}.minCount`, set: (a, n) => void (scalingOf(a).minCount = n) },
    maxCount: { path: `${scalingAt}.maxCount`, set: (a, n) => void (scalingOf(a).maxCount = n) },
    minSize: { path: 'instances.minSize', set: (a, n) => void (a.instances.minSize = n) },
    maxSize: { path: 'instances.maxSize', set: (a, n) => void (a.instances.maxSize = n) },
    desiredCapacity: { path: 'instances.desiredCapacity', set: (a, n) => void (a.instances.desiredCapacity = n) },
  };
  return FLAGS.map((f) => ({ ...f, ...paths[f.key] }));
}

/** The service a service flag changes (several services: --service, which part 2 of issue 23 adds); any for the group's flags. */
function scaledService(answers: Answers, values: Partial<Record<Key, number>>): ServiceSpec {
  const forService = values.desiredCount !== undefined || values.minCount !== undefined || values.maxCount !== undefined;
  return forService ? selectService(answers, undefined, 'scale') : servicesOf(answers)[0]!;
}

type Key = (typeof FLAGS)[number]['key'];

export interface ScaleResult {
  stack: string;
  ok: boolean;
  service?: { desiredCount?: number; minCount?: number; maxCount?: number };
  autoScalingGroup?: { minSize?: number; maxSize?: number; desiredCapacity?: number };
  /** What the stack costs with the new sizes (estimates, USD), with the change against the sizes before. */
  cost?: CostReport;
  warnings: string[];
  calls: CallCounts;
}

/** Parses the flags: whole numbers only, every problem reported at once. */
function parseFlags(flags: ScaleFlags): Partial<Record<Key, number>> {
  const problems: Problem[] = [];
  const values: Partial<Record<Key, number>> = {};
  for (const f of FLAGS) {
    const raw = flags[f.key];
    if (raw === undefined) continue;
    if (!/^\d{1,4}$/.test(String(raw).trim())) problems.push({ path: f.flag, message: `must be a whole number from 0 to 1000, got "${raw}"` });
    else values[f.key] = Number(raw);
  }
  if (problems.length) throw inputError(problems, 'options');
  if (Object.keys(values).length === 0) {
    throw new WizardError('USAGE', 'Nothing to change: give at least one of ' + FLAGS.map((f) => f.flag).join(', ') + '.', {
      hint: 'For example: ecs-wizard scale shop-web --desired-count 4 --max-count 8',
    });
  }
  return values;
}

/**
 * The new answers, validated by the same schema and capacity rules as `create`, with problems named
 * by the flag that caused them where there is one.
 */
function scaledAnswers(current: Answers, values: Partial<Record<Key, number>>, svc: ServiceSpec): { answers: Answers; warnings: string[] } {
  const next = structuredClone(current);
  const FLAGS = flagTargets(current, svc);
  for (const f of FLAGS) if (values[f.key] !== undefined) f.set(next, values[f.key]!);
  const byPath = new Map<string, string>(FLAGS.filter((f) => values[f.key] !== undefined).map((f) => [f.path, f.flag]));
  const named = (p: Problem): Problem => (byPath.has(p.path) ? { path: byPath.get(p.path)!, message: `${p.message} (${p.path})` } : p);
  const problems: Problem[] = [];
  if (!svc.scaling.enabled) {
    const at = serviceAnswersOf(current, svc.name)?.scaling !== undefined ? `${svc.at}.scaling` : 'scaling.service';
    for (const f of FLAGS.filter((x) => (x.key === 'minCount' || x.key === 'maxCount') && values[x.key] !== undefined)) {
      problems.push({ path: f.flag, message: `service auto scaling is off for this stack (${at}.enabled: false); use --desired-count` });
    }
  }
  let answers: Answers;
  try {
    answers = validateAnswers(next);
  } catch (err) {
    if (err instanceof WizardError && err.code === 'INPUT_INVALID') throw inputError([...problems, ...err.problems.map(named)], 'scaling values');
    throw err;
  }
  const capacity = checkCapacity(answers);
  problems.push(...capacity.problems.map(named));
  if (problems.length) throw inputError(problems, 'scaling values');
  return { answers, warnings: capacity.warnings };
}

/**
 * `ecs-wizard scale [STACK]`: changes the service's desired count and auto scaling bounds, or the
 * Auto Scaling group's bounds, in AWS and in the state file's answers. Values are checked against
 * the answers schema before any AWS call (exit 2 on a bad one).
 */
export async function scale(stackArg: string | undefined, flags: ScaleFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const stackName = requireStackArg(stackArg, 'scale');
  const values = parseFlags(flags);
  const stack = await openStack(opts, stackName, 'scale', ctx);
  const reporter = makeReporter(opts, ctx);
  try {
    const existing = stack.existing;
    if (!existing?.answers) {
      throw await noStackError(stack.store, stackName, ctx.cwd);
    }
    const current = validateAnswers(existing.answers);
    const svc = scaledService(current, values);
    const { answers, warnings } = scaledAnswers(current, values, svc);
    const scaled = servicesOf(answers).find((x) => x.name === svc.name)!;
    for (const w of warnings) reporter.warn(w);

    const names = stackNames(stackName);
    const outputsOf = <T>(id: string): Partial<T> => (existing.resources[id]?.status === 'destroyed' ? {} : ((existing.resources[id]?.outputs ?? {}) as Partial<T>));
    const service = outputsOf<ServiceOutputs>(idFor(svc, 'service'));
    const clusterName = service.clusterName ?? names.cluster;
    const serviceName = service.serviceName ?? serviceNames(stackName, svc).service;
    const groupName = outputsOf<AutoScalingGroupOutputs>('auto-scaling-group').autoScalingGroupName ?? names.autoScalingGroup;
    const calls = callLog(opts, (l) => reporter.log(l));
    const result: ScaleResult = { stack: stackName, ok: true, warnings, calls: calls.counts };

    const target = awsTarget(opts, ctx, { region: existing.region, endpointUrl: existing.endpointUrl }, calls.onCall);
    const aws = ctx.makeClients(target);
    try {
      const region = await preflight(aws);
      const s = scaled.scaling;
      // Bounds first: a desired count outside the old bounds would be pulled back by Application Auto Scaling.
      if (values.minCount !== undefined || values.maxCount !== undefined) {
        reporter.info(`Scalable target service/${clusterName}/${serviceName}: ${s.minCount}–${s.maxCount} tasks`);
        await aws.get(ApplicationAutoScalingClient).send(
          new RegisterScalableTargetCommand({
            ServiceNamespace: 'ecs',
            ResourceId: `service/${clusterName}/${serviceName}`,
            ScalableDimension: 'ecs:service:DesiredCount',
            MinCapacity: s.minCount,
            MaxCapacity: s.maxCount,
          }),
        );
        result.service = { minCount: s.minCount, maxCount: s.maxCount };
      }
      if (values.desiredCount !== undefined) {
        reporter.info(`Service ${serviceName}: desired count ${scaled.desiredCount}`);
        await aws.get(ECSClient).send(new UpdateServiceCommand({ cluster: clusterName, service: serviceName, desiredCount: scaled.desiredCount }));
        result.service = { ...result.service, desiredCount: scaled.desiredCount };
      }
      const i = answers.instances;
      if (values.minSize !== undefined || values.maxSize !== undefined || values.desiredCapacity !== undefined) {
        reporter.info(`Auto Scaling group ${groupName}: ${i.minSize}–${i.maxSize} instances, desired ${i.desiredCapacity}`);
        await aws.get(AutoScalingClient).send(
          new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: groupName, MinSize: i.minSize, MaxSize: i.maxSize, DesiredCapacity: i.desiredCapacity }),
        );
        result.autoScalingGroup = { minSize: i.minSize, maxSize: i.maxSize, desiredCapacity: i.desiredCapacity };
      }
      // Once the change is made: a price is never worth delaying it (and never fails the command).
      result.cost = await answersCost(opts, ctx, aws, target, region, answers, { answers: current, against: 'the sizes before this scale' });
    } finally {
      aws.destroy();
    }
    // The answers are what `create` converges to next time: they must match what AWS now has. Each
    // changed one says who set it, so a create from an answers file that disagrees can say what it sets back.
    const at = new Date().toISOString();
    const user = whoAmI(ctx.env);
    await stack.state.update((st) => {
      st.answers = answers;
      st.changedBy = { ...st.changedBy, ...Object.fromEntries(flagTargets(current, svc).filter((f) => values[f.key] !== undefined).map((f) => [f.path, { by: 'scale', flag: f.flag, at, user }])) };
    });
    reporter.close();
    if (opts.output === 'json') printResult(ctx, opts, result);
    else ctx.stdout.write(scaleText(result));
    return 0;
  } finally {
    reporter.close();
    await stack.close();
  }
}

function scaleText(r: ScaleResult): string {
  const lines = [`Scaled stack ${r.stack}:`];
  const svc = r.service;
  if (svc?.desiredCount !== undefined) lines.push(`  service desired count  ${svc.desiredCount}`);
  if (svc?.minCount !== undefined) lines.push(`  service tasks          ${svc.minCount}–${svc.maxCount}`);
  const g = r.autoScalingGroup;
  if (g) lines.push(`  instances              ${g.minSize}–${g.maxSize}, desired ${g.desiredCapacity}`);
  const c = r.cost;
  if (c) {
    lines.push(`  cost (estimate)        ${costHeadline(c)}`);
    if (c.change) lines.push(`                         ${changeText(c.change)} (${pricesLine(c)})`);
  }
  return lines.join('\n') + '\n';
}

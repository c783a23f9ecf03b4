import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type DesiredStatus,
  type Service,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { WizardError, isWizardError } from '../../errors.js';
import { awsErrorCode, isNotFound, isTaskDefinitionMissing, unlessNotFound } from '../../aws/errors.js';
import { poll } from '../../aws/poll.js';
import { lowerTags } from '../../aws/tags.js';
import type { ReleaseRecord } from '../../engine/state.js';
import type { ResourceStep, StepContext, WaitStep } from '../../engine/types.js';
import { appContainer, applyChange, registerable, sameDefinition, type DeployRequest } from '../../deploy/change.js';
import { failedRelease, newestFirst } from '../../deploy/releases.js';
import { judgeRollout, phaseDone, phaseMessage, revisionOf, type Observation, type Phase, type RolloutTarget, type RolloutView, type TargetState } from '../../deploy/rollout.js';
import type { StackEnv } from '../env.js';
import type { LogGroupOutputs, ServiceOutputs, TaskDefinitionOutputs } from '../outputs.js';
import { familyRevisions } from './task-definition.js';
import { idFor, serviceNames, type ServiceSpec } from '../services.js';
import { plural } from '../../words.js';

/**
 * A deploy (or rollback) is a small plan run by the same engine as create: a task definition
 * revision (found or registered), the service moved to it, then the rollout watched phase by phase
 * — each phase its own wait step, so the reporters show a timeline with elapsed times and
 * `--no-wait` skips the watching. The steps reuse the stack's step ids `task-definition` and
 * `service`, so the state records the revision the service runs now.
 */

/** What the steps found out, for the command's summary and release record. */
export interface DeployReport {
  previous?: { taskDefinitionArn: string; revision: number };
  image?: string;
  /** The new revision's environment (what the answers record after the deploy, secret-looking values redacted). */
  environment?: Record<string, string>;
  /** Environment variable names this release sets or removes (never values). */
  changed: string[];
  /** The deployment UpdateService started, when ECS said which. */
  deploymentId?: string;
  failure?: RolloutFailure;
  /** The definition to register (set by the revision step's find). */
  wanted?: ReturnType<typeof registerable>;
  tags?: { key?: string; value?: string }[];
}

export interface DeployEnv extends StackEnv {
  deploy: DeployRequest & { report: DeployReport };
  /** The service deployed: its names, and its step ids (`idFor`) for the records the plan reads and writes. */
  service: ServiceSpec;
  /** The stack's release history, settled from the service before the plan runs. */
  releases?: readonly ReleaseRecord[];
}

/** Why a rollout failed, with what AWS can say about it: stopped tasks, their last log lines, the targets' health. */
export interface RolloutFailure {
  revision?: number;
  reason: string;
  rolledBackTo?: { taskDefinitionArn: string; revision?: number };
  stoppedTasks: { taskId: string; stoppedReason?: string; stopCode?: string; containers: { name?: string; exitCode?: number; reason?: string }[] }[];
  logs?: { taskId: string; lines: string[] };
  targets: TargetState[];
  /** Parts that could not be read (a missing permission, say), so the user knows what is not shown. */
  unavailable: string[];
}

export class RolloutFailed extends WizardError {
  constructor(readonly failure: RolloutFailure) {
    const back = failure.rolledBackTo ? ` ECS rolled back to revision ${failure.rolledBackTo.revision ?? failure.rolledBackTo.taskDefinitionArn}.` : '';
    super('ROLLOUT_FAILED', `The deployment of revision ${failure.revision ?? '?'} failed: ${failure.reason.replace(/\.$/, '')}.${back}`, {
      hint: 'Fix the cause (the stopped tasks and target health above say what it was) and deploy again; `ecs-wizard logs` shows the containers\' output.',
    });
  }
}

const ecsOf = (ctx: StepContext<StackEnv>) => ctx.env.aws.get(ECSClient);

/** The deployed service's names. */
const namesOf = (ctx: StepContext<DeployEnv>) => serviceNames(ctx.env.names.stack, ctx.env.service);

function serviceRef(ctx: StepContext<DeployEnv>): { cluster: string; service: string } {
  const o = ctx.tryOutput<ServiceOutputs>(idFor(ctx.env.service, 'service'));
  return { cluster: o?.clusterName ?? ctx.env.names.cluster, service: o?.serviceName ?? namesOf(ctx).service };
}

/** The stack's service as ECS reports it; a deploy needs one that is ACTIVE. */
async function liveService(ctx: StepContext<DeployEnv>): Promise<Service> {
  const { cluster, service } = serviceRef(ctx);
  const s = await unlessNotFound(async () => (await ecsOf(ctx).send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0]);
  if (!s?.serviceName || s.status !== 'ACTIVE') {
    throw new WizardError('STATE_MISSING', `The service ${service} is not in cluster ${cluster}${s?.status ? ` (it is ${s.status})` : ''}: there is nothing to deploy to.`, {
      hint: `Run \`ecs-wizard status ${ctx.env.names.stack}\` to see what is missing, and \`ecs-wizard create --answers FILE\` to restore it.`,
    });
  }
  return s;
}

async function describeTaskDefinition(ctx: StepContext<StackEnv>, ref: string): Promise<{ td: TaskDefinition; tags: { key?: string; value?: string }[] }> {
  const r = await ecsOf(ctx).send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] }));
  return { td: r.taskDefinition!, tags: r.tags ?? [] };
}

const outputsOf = (td: TaskDefinition) => ({ taskDefinitionArn: td.taskDefinitionArn!, family: td.family!, revision: td.revision! }) satisfies TaskDefinitionOutputs;

const envNames = (input: ReturnType<typeof registerable>, container: string): Map<string, string | undefined> =>
  new Map((appContainer(input, container).environment ?? []).map((e) => [e.name ?? '', e.value]));
const envMap = (input: ReturnType<typeof registerable>, container: string): Record<string, string> =>
  Object.fromEntries([...envNames(input, container)].map(([k, v]) => [k, v ?? '']));

/**
 * The revision to run: for a rollback the one named; otherwise the service's current revision
 * with exactly the asked changes — the current one itself when they change nothing, a revision an
 * earlier attempt registered when it is identical (a lost answer, a run stopped before its update),
 * else a new one.
 */
export const revisionStep: ResourceStep<DeployEnv> = {
  id: 'task-definition',
  title: 'Task definition',
  dependsOn: [],
  words: { create: 'registering a new revision', created: 'registered', exists: 'ready' },
  async find(ctx) {
    const { deploy, names } = ctx.env;
    const report = deploy.report;
    const svc = await liveService(ctx);
    const current = await describeTaskDefinition(ctx, svc.taskDefinition!);
    report.previous = { taskDefinitionArn: current.td.taskDefinitionArn!, revision: current.td.revision! };
    const base = registerable(current.td);
    if (deploy.toRevision !== undefined) {
      const ref = `${current.td.family}:${deploy.toRevision}`;
      const target = await describeTaskDefinition(ctx, ref).catch((err: unknown) => {
        if (isTaskDefinitionMissing(err) || isNotFound(err)) {
          throw new WizardError('AWS', `Revision ${deploy.toRevision} of ${current.td.family} does not exist.`, { hint: `\`ecs-wizard releases ${names.stack}\` lists the revisions this stack ran.`, cause: err });
        }
        throw err;
      });
      if (target.td.status === 'INACTIVE') {
        throw new WizardError('AWS', `Revision ${deploy.toRevision} of ${current.td.family} was deregistered: ECS cannot move a service to it.`, {
          hint: 'Deploy its image again instead: ecs-wizard deploy --image …',
        });
      }
      const to = registerable(target.td);
      const before = envNames(base, namesOf(ctx).container);
      const after = envNames(to, namesOf(ctx).container);
      report.image = appContainer(to, namesOf(ctx).container).image;
      report.environment = envMap(to, namesOf(ctx).container);
      report.changed = [...new Set([...before.keys(), ...after.keys()])].filter((n) => before.get(n) !== after.get(n)).sort();
      ctx.progress(`revision ${deploy.toRevision} (image ${report.image})`);
      return outputsOf(target.td);
    }
    const { input: wanted, changed } = applyChange(base, deploy, namesOf(ctx).container);
    report.image = appContainer(wanted, namesOf(ctx).container).image;
    report.environment = envMap(wanted, namesOf(ctx).container);
    report.changed = changed;
    report.wanted = wanted;
    report.tags = current.tags;
    if (sameDefinition(wanted, base)) return outputsOf(current.td);
    // A revision identical to the wanted one, registered by an earlier attempt: use it, never a twin.
    const revisions = await familyRevisions(ecsOf(ctx), current.td.family!, 'ACTIVE');
    const latest = revisions.reduce<string | undefined>((a, b) => (a === undefined || (revisionOf(b) ?? 0) > (revisionOf(a) ?? 0) ? b : a), undefined);
    if (latest && latest !== current.td.taskDefinitionArn) {
      const found = await describeTaskDefinition(ctx, latest);
      if (sameDefinition(registerable(found.td), wanted)) {
        if (!deploy.force) refuseFailedRevision(ctx, svc, found.td);
        return outputsOf(found.td);
      }
    }
    return undefined;
  },
  async create(ctx) {
    const { report } = ctx.env.deploy;
    // The running revision's own tags (aws:-prefixed ones are AWS's and cannot be set), else the stack's.
    const own = (report.tags ?? []).filter((t) => t.key && !t.key.startsWith('aws:'));
    const tags = own.length ? own : lowerTags(ctx.env.tags(namesOf(ctx).taskFamily, ctx.env.service.name));
    ctx.progress(`from revision ${report.previous?.revision}: ${[report.image ? `image ${report.image}` : '', report.changed.length ? `environment ${report.changed.join(', ')}` : ''].filter(Boolean).join(', ')}`);
    const r = await ecsOf(ctx).send(new RegisterTaskDefinitionCommand({ ...report.wanted!, tags }));
    return outputsOf(r.taskDefinition!);
  },
};

/**
 * The same deploy run again after ECS rolled its revision back (the circuit breaker acted while
 * nobody watched) would send the broken revision once more: refused, unless --force. Known from
 * the settled release history — which follows the recorded deployment, also once it has left the
 * service's list — or from a FAILED deployment of the revision the service still lists.
 */
function refuseFailedRevision(ctx: StepContext<DeployEnv>, svc: Service, td: TaskDefinition): void {
  const arn = td.taskDefinitionArn!;
  const release = failedRelease(ctx.env.releases, arn);
  const listed = (svc.deployments ?? []).find((d) => d.taskDefinition === arn && d.rolloutState === 'FAILED');
  if (!release && !listed) return;
  const why = release?.note ?? listed?.rolloutStateReason ?? 'its deployment failed';
  const { stack } = ctx.env.names;
  throw new WizardError('ROLLOUT_FAILED', `Revision ${td.revision} is not sent again: ECS failed its deployment${release ? ` (${release.result}: ${why})` : ` (${why})`}.`, {
    hint: `Fix the cause and deploy a new image — \`ecs-wizard releases ${stack}\` and \`ecs-wizard logs ${stack}\` show what happened — or add --force to send revision ${td.revision} again.`,
  });
}

/** A service left at 0 tasks for want of its first image starts at the answers' count once it gets one. */
function startCount(ctx: StepContext<DeployEnv>, svc: Service): number | undefined {
  return ctx.recorded?.imageMissing && (svc.desiredCount ?? 0) === 0 && ctx.env.service.desiredCount > 0 ? ctx.env.service.desiredCount : undefined;
}

function serviceOutputs(ctx: StepContext<DeployEnv>, s: Service) {
  const { cluster } = serviceRef(ctx);
  // imageMissing: undefined, explicitly: the engine merges a create's outputs into what was recorded, and the image is there now.
  return { serviceName: s.serviceName!, serviceArn: s.serviceArn ?? '', clusterName: cluster, imageMissing: undefined, ...(ctx.recorded?.tagged === false ? { tagged: false as const } : {}) } satisfies ServiceOutputs;
}

/** Points the service at the revision (with --force: a new deployment even on the same one). */
export const serviceUpdateStep: ResourceStep<DeployEnv> = {
  id: 'service',
  title: 'ECS service',
  dependsOn: ['task-definition'],
  words: { create: 'updating', created: 'updated', exists: 'already on this revision' },
  async find(ctx) {
    const svc = await liveService(ctx);
    const td = ctx.output<TaskDefinitionOutputs>(idFor(ctx.env.service, 'task-definition')).taskDefinitionArn;
    if (svc.taskDefinition === td && startCount(ctx, svc) === undefined && !ctx.env.deploy.force) {
      // Already on it (a rerun after Ctrl-C): the rollout to watch is the deployment the earlier run started.
      const started = newestFirst(ctx.env.releases).find((r) => r.taskDefinitionArn === td);
      if (started?.result === 'in-progress' && started.deploymentId) ctx.env.deploy.report.deploymentId = started.deploymentId;
      return serviceOutputs(ctx, svc);
    }
    return undefined;
  },
  async create(ctx) {
    const svc = await liveService(ctx);
    const td = ctx.output<TaskDefinitionOutputs>(idFor(ctx.env.service, 'task-definition')).taskDefinitionArn;
    const count = startCount(ctx, svc);
    if (count !== undefined) ctx.progress(`starting the service at ${plural(count, 'task')} (it waited at 0 for its first image)`);
    const { cluster, service } = serviceRef(ctx);
    const r = await ecsOf(ctx).send(
      new UpdateServiceCommand({
        cluster,
        service,
        taskDefinition: td,
        ...(count !== undefined ? { desiredCount: count } : {}),
        ...(ctx.env.deploy.force ? { forceNewDeployment: true } : {}),
      }),
    );
    // The new PRIMARY deployment, when ECS shows it (the emulator keeps its old one, which is not ours).
    const primary = r.service?.deployments?.find((d) => d.status === 'PRIMARY');
    if (primary?.id && primary.taskDefinition === td) ctx.env.deploy.report.deploymentId = primary.id;
    return serviceOutputs(ctx, r.service ?? svc);
  },
};

/** Container instance → EC2 instance ids seen in this run (they do not change while a task runs). */
const instanceIds = new WeakMap<StackEnv, Map<string, string>>();

async function tasksOf(ctx: StepContext<DeployEnv>, desiredStatus: DesiredStatus): Promise<Task[]> {
  const { cluster, service } = serviceRef(ctx);
  const ecs = ecsOf(ctx);
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const r = await ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus, nextToken }));
    arns.push(...(r.taskArns ?? []));
    nextToken = r.nextToken;
  } while (nextToken && arns.length < 500);
  const tasks: Task[] = [];
  // DescribeTasks takes at most 100 tasks per call.
  for (let i = 0; i < arns.length; i += 100) tasks.push(...((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }))).tasks ?? []));
  return tasks;
}

async function instancesOf(ctx: StepContext<DeployEnv>, tasks: Task[]): Promise<Map<string, string>> {
  let known = instanceIds.get(ctx.env);
  if (!known) instanceIds.set(ctx.env, (known = new Map()));
  const missing = [...new Set(tasks.map((t) => t.containerInstanceArn).filter((a): a is string => !!a && !known!.has(a)))];
  if (missing.length) {
    const { cluster } = serviceRef(ctx);
    const r = await ecsOf(ctx).send(new DescribeContainerInstancesCommand({ cluster, containerInstances: missing }));
    for (const ci of r.containerInstances ?? []) if (ci.containerInstanceArn && ci.ec2InstanceId) known.set(ci.containerInstanceArn, ci.ec2InstanceId);
  }
  return known;
}

async function targetsOf(ctx: StepContext<StackEnv>, svc: Service): Promise<TargetState[] | undefined> {
  const tg = svc.loadBalancers?.find((lb) => lb.targetGroupArn)?.targetGroupArn;
  if (!tg) return undefined;
  const r = await ctx.env.aws.get(ElasticLoadBalancingV2Client).send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
  return (r.TargetHealthDescriptions ?? []).map((t) => ({
    id: t.Target?.Id ?? '',
    port: t.Target?.Port,
    state: t.TargetHealth?.State,
    ...(t.TargetHealth?.Reason ? { reason: t.TargetHealth.Reason } : {}),
    ...(t.TargetHealth?.Description ? { description: t.TargetHealth.Description } : {}),
  }));
}

/** What each phase needs to see: tasks while placing and checking health, targets from health on. */
async function observe(ctx: StepContext<DeployEnv>, phase: Phase): Promise<Observation> {
  const service = await liveService(ctx);
  const obs: Observation = { service };
  if (phase !== 'draining') obs.tasks = await tasksOf(ctx, 'RUNNING');
  if (phase !== 'placing') obs.targets = await targetsOf(ctx, service);
  if (phase === 'healthy' && obs.tasks?.length) obs.instances = await instancesOf(ctx, obs.tasks);
  return obs;
}

function rolloutTarget(ctx: StepContext<DeployEnv>): RolloutTarget {
  const td = ctx.output<TaskDefinitionOutputs>(idFor(ctx.env.service, 'task-definition')).taskDefinitionArn;
  const id = ctx.env.deploy.report.deploymentId;
  return { taskDefinitionArn: td, ...(id ? { deploymentId: id } : {}) };
}

/** Reads one part of the explanation; a part AWS refuses (a missing permission) is named, not fatal. */
async function part<T>(what: string, unavailable: string[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    unavailable.push(`${what} (${awsErrorCode(err) ?? (err as Error).message})`);
    return undefined;
  }
}

/**
 * Everything AWS can say about a failed rollout: the new revision's stopped tasks and why they
 * stopped, the last log lines of the latest one, and the targets that are not healthy.
 */
export async function explainFailure(ctx: StepContext<DeployEnv>, view: RolloutView, target: RolloutTarget, svc: Service): Promise<RolloutFailure> {
  const unavailable: string[] = [];
  const stopped = (await part('stopped tasks', unavailable, () => tasksOf(ctx, 'STOPPED'))) ?? [];
  const ours = stopped
    .filter((t) => (target.deploymentId ? t.startedBy === target.deploymentId : t.taskDefinitionArn === target.taskDefinitionArn))
    // Newest first; tasks stopped at the same instant in task order, so the report reads the same each time.
    .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0) || (a.taskArn ?? '').localeCompare(b.taskArn ?? ''))
    .slice(0, 3);
  const taskId = (t: Task) => t.taskArn?.split('/').pop() ?? '';
  const stoppedTasks = ours.map((t) => ({
    taskId: taskId(t),
    ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.stopCode ? { stopCode: t.stopCode } : {}),
    containers: (t.containers ?? []).map((c) => ({ name: c.name, ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}), ...(c.reason ? { reason: c.reason } : {}) })),
  }));
  let logs: RolloutFailure['logs'];
  const group = ctx.env.service.logs ? (ctx.tryOutput<LogGroupOutputs>('log-group')?.logGroupName ?? ctx.env.names.logGroup) : undefined;
  if (group && stoppedTasks[0]) {
    const id = stoppedTasks[0].taskId;
    const events = await part('log lines', unavailable, async () => {
      const r = await unlessNotFound(() =>
        ctx.env.aws.get(CloudWatchLogsClient).send(new GetLogEventsCommand({ logGroupName: group, logStreamName: `${namesOf(ctx).logStreamPrefix}/${namesOf(ctx).container}/${id}`, limit: 10, startFromHead: false })),
      );
      return r?.events ?? [];
    });
    if (events?.length) logs = { taskId: id, lines: events.map((e) => (e.message ?? '').replace(/\n$/, '')) };
  }
  const targets = ((await part('target health', unavailable, () => targetsOf(ctx, svc))) ?? []).filter((t) => t.state !== 'healthy');
  const back = view.failed?.rolledBackTo;
  return {
    revision: revisionOf(target.taskDefinitionArn),
    reason: view.failed?.reason ?? 'the deployment failed',
    ...(back ? { rolledBackTo: { taskDefinitionArn: back, revision: revisionOf(back) } } : {}),
    stoppedTasks,
    ...(logs ? { logs } : {}),
    targets,
    unavailable,
  };
}

const PHASES: { phase: Phase; id: string; title: string; after: string }[] = [
  { phase: 'placing', id: 'rollout-placing', title: 'Placing tasks', after: 'service' },
  { phase: 'healthy', id: 'rollout-healthy', title: 'Targets healthy', after: 'rollout-placing' },
  { phase: 'draining', id: 'rollout-draining', title: 'Draining old tasks', after: 'rollout-healthy' },
];

/**
 * One wait step per phase of the rollout. Polls start at 1 s and back off to at most 5 s (not the
 * usual 15 s): a phase's end is noticed within seconds, which is most of what a deploy waits for.
 */
export const rolloutSteps: WaitStep<DeployEnv>[] = PHASES.map(({ phase, id, title, after }) => ({
  id,
  title,
  kind: 'wait' as const,
  dependsOn: [after],
  async run(ctx) {
    const target = rolloutTarget(ctx);
    const started = ctx.env.timing.now();
    try {
      await poll(
        async () => {
          const obs = await observe(ctx, phase);
          const view = judgeRollout(obs, target);
          if (view.failed) {
            const failure = await explainFailure(ctx, view, target, obs.service);
            ctx.env.deploy.report.failure = failure;
            throw new RolloutFailed(failure);
          }
          return phaseDone(view, phase) ? { done: true, value: undefined } : { done: false, waitingFor: phaseMessage(view, phase) };
        },
        { timing: { ...ctx.env.timing, maxDelayMs: Math.min(ctx.env.timing.maxDelayMs, 5000) }, signal: ctx.signal, progress: ctx.progress },
      );
    } catch (err) {
      if (!isWizardError(err, 'TIMEOUT')) throw err;
      const seconds = Math.round((ctx.env.timing.now() - started) / 1000);
      throw new WizardError('TIMEOUT', `The rollout of revision ${revisionOf(target.taskDefinitionArn)} was still ${title.toLowerCase()} after ${seconds} s (${err.message.replace(/^Timed out after \d+ s /, '').replace(/\.$/, '')}).`, {
        hint: `It goes on in AWS: \`ecs-wizard releases ${ctx.env.names.stack}\` shows how it ends, \`ecs-wizard status ${ctx.env.names.stack}\` the service's events.`,
        cause: err,
      });
    }
  },
}));

import {
  AutoScalingClient,
  DeleteLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { DescribeContainerInstancesCommand, DescribeServicesCommand, ECSClient, UpdateContainerInstancesStateCommand } from '@aws-sdk/client-ecs';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.js';
import { isAutoScalingValidation, isTransientDependency, unlessNotFound } from '../aws/errors.js';
import { poll, retryWhile, type PollTiming } from '../aws/poll.js';
import { runCreate } from '../engine/engine.js';
import { planBook, type RecordBook, type StateFile } from '../engine/state.js';
import type { EngineEvent, Outputs, ResourceStep, RunResult, StepContext } from '../engine/types.js';
import { listContainerInstances } from '../cli/commands/status-live.js';
import { checkLaunches } from '../steps/stack/auto-scaling-group.js';
import { retryAfterAmbiguousResponse } from '../steps/common.js';
import { finishDefaultVersion, latestVersion, launchVersionToken, newLaunchTemplateVersion } from '../steps/stack/launch-template.js';
import { launchTypes, type Host, type HostFacts, type HostTargets } from './inspect.js';
import { noun, plural } from '../words.js';

/**
 * Rolling the hosts: one after another, each out-of-date instance is drained in ECS, its tasks
 * start elsewhere (the service's minimum healthy percent of 100 makes ECS start the replacements
 * before it stops the old tasks), then it is terminated in its Auto Scaling group without lowering
 * the desired capacity, so the group launches a replacement from what it launches now, and the next
 * instance waits until that one has joined the cluster. A spare host first (desired + 1, and the
 * maximum raised when it leaves no room) gives the moving tasks somewhere to go even when every
 * host is full; the last instance is terminated with the decrement (while the group is above its
 * minimum and its size before the roll: see mayDecrement), so the group ends at its own size, and
 * the maximum is put back. Only an instance whose tasks have moved, while the service
 * runs its desired count, is ever terminated.
 *
 * A roll is a small plan run by the same engine as `create` (a step per instance), recorded in the
 * state (`roll`: its spec, fixed when it began, and its steps' records) so that Ctrl-C, a crash or
 * a timeout leaves it to the next `create` or `hosts refresh`, which continues it.
 */

export interface RollHost {
  instanceId: string;
  zone?: string;
  instanceType?: string;
  amiId?: string;
}

export interface RollSpec {
  /** What changes, in words: "t3.small → t3.medium", "ami-0aaa → ami-0bbb". */
  reason: string;
  groupName: string;
  clusterName: string;
  serviceName: string;
  hosts: RollHost[];
  /** The group's size when the roll began: what the spare host's surge is undone to. */
  original: { minSize: number; maxSize: number; desiredCapacity: number };
  /** A launch template version to make first (`hosts refresh` onto a newer AMI). */
  newVersion?: { launchTemplateId: string; sourceVersion: number; instanceType: string; amiId: string };
  /** Legacy mode: the launch configuration the group used before, deleted once the roll is done. */
  retire?: string;
}

export interface RollEnv {
  aws: AwsClients;
  timing: PollTiming;
  spec: RollSpec;
}

/**
 * Seconds each phase takes on AWS (scripts/bench.mjs's roll model and the estimate `hosts refresh`
 * shows use these): an ECS-optimized instance is InService ~60 s after launch and its agent joins
 * ~30 s later; a moved task starts in ~20 s and passes 2 ALB checks 10 s apart; the old task then
 * drains for the target group's 30 s deregistration delay; the terminate call itself is quick.
 */
export const ROLL_SECONDS = { launch: 60, join: 30, taskStart: 20, healthChecks: 20, deregistration: 30, terminate: 5 } as const;

/** The expected duration of rolling `n` hosts, from ROLL_SECONDS: the spare host, then per host a drain, and a replacement for all but the last. */
export function expectedRollSeconds(n: number, s: typeof ROLL_SECONDS = ROLL_SECONDS): number {
  if (n === 0) return 0;
  const host = s.launch + s.join;
  const drain = s.taskStart + s.healthChecks + s.deregistration + s.terminate;
  return host + n * drain + (n - 1) * host;
}

/**
 * Decides whether and what to roll: the hosts not on what the group launches (or will, after
 * `newVersion`). `relaunch`: what `create` just changed in the launch settings that a host does not
 * show by its type or AMI (its network, its user data): then every host is out of date. Undefined:
 * nothing to do.
 */
export function planRoll(facts: HostFacts, t: HostTargets, opts: { latestAmi: boolean; relaunch?: string[] }): RollSpec | undefined {
  const g = facts.group;
  const l = facts.launch;
  if (!g || !l) return undefined;
  let target = { instanceType: l.instanceType, amiId: l.amiId };
  let newVersion: RollSpec['newVersion'];
  const latest = l.architecture ? facts.latestAmi[l.architecture as 'arm64' | 'x86_64'] : undefined;
  // A pinned amiId is the user's choice: only the recommended AMI moves on by itself.
  if (opts.latestAmi && !t.pinnedAmi && l.kind === 'template' && latest && latest.amiId !== l.amiId && t.launch?.kind === 'template') {
    newVersion = { launchTemplateId: t.launch.launchTemplateId, sourceVersion: l.version ?? 1, instanceType: l.instanceType, amiId: latest.amiId };
    target = { instanceType: l.instanceType, amiId: latest.amiId };
  }
  const live = facts.hosts.filter((h) => h.lifecycleState === 'InService' || h.lifecycleState === 'Pending');
  const relaunch = opts.relaunch ?? [];
  // A Spot group runs any of its types: a host of one of them is on the group's type.
  const types = launchTypes(l);
  const otherType = (h: Host): boolean => h.instanceType !== undefined && !types.includes(h.instanceType);
  // A host EC2 does not show yet (just launched) has no known AMI: the group launched it from what it
  // launches now, so only a new version (which no host has yet) makes it out of date.
  const otherAmi = (h: Host): boolean => (h.amiId === undefined ? newVersion !== undefined : h.amiId !== target.amiId);
  const stale = live.filter((h) => relaunch.length > 0 || otherType(h) || otherAmi(h) || (!newVersion && !h.onLaunchVersion));
  if (stale.length === 0 && !newVersion) return undefined;
  const changes = new Set<string>();
  for (const h of stale) {
    if (otherType(h)) changes.add(`${h.instanceType} → ${types.join('/')}`);
    if (h.amiId !== undefined && h.amiId !== target.amiId) changes.add(`${h.amiId} → ${target.amiId}`);
  }
  return {
    reason: (relaunch.length ? relaunch.join(', ') : [...changes].join(', ')) || (newVersion ? `${l.amiId} → ${newVersion.amiId}` : 'launch settings changed'),
    groupName: g.name,
    clusterName: t.clusterName,
    serviceName: t.serviceName,
    hosts: stale.map((h) => ({ instanceId: h.instanceId, zone: h.zone, instanceType: h.instanceType, amiId: h.amiId })),
    original: { minSize: g.minSize, maxSize: g.maxSize, desiredCapacity: g.desiredCapacity },
    ...(newVersion ? { newVersion } : {}),
  };
}

type RollStep = ResourceStep<RollEnv>;
type Ctx = StepContext<RollEnv>;

const done = (ctx: Ctx): Outputs | undefined => (ctx.recorded?.done ? ctx.recorded : undefined);

async function describeGroup(ctx: Ctx): Promise<AutoScalingGroup> {
  const name = ctx.env.spec.groupName;
  const g = (await ctx.env.aws.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
  if (!g) throw new Error(`The Auto Scaling group ${name} no longer exists: there are no hosts to roll.`);
  return g;
}

/** Hosts in service whose container instance is ACTIVE in the cluster, until there are as many as the group wants. */
async function waitUntilJoined(ctx: Ctx, since: Date): Promise<string[]> {
  const { spec, aws } = ctx.env;
  return poll(
    async () => {
      const g = await describeGroup(ctx);
      const inService = (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!);
      const active = new Set((await listContainerInstances(aws, spec.clusterName)).filter((c) => c.status === 'ACTIVE' && c.agentConnected !== false).map((c) => c.ec2InstanceId));
      const ready = inService.filter((id) => active.has(id));
      const desired = g.DesiredCapacity ?? 0;
      if (ready.length >= desired) return { done: true, value: ready };
      // A replacement that cannot launch (a vCPU quota for a bigger type) stops the roll with AWS's reason.
      await checkLaunches(aws, spec.groupName, since);
      return { done: false, waitingFor: `waiting for ${ready.length}/${desired} ${noun(desired, 'host')} in service and joined to cluster ${spec.clusterName}` };
    },
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, timeoutHint: `See \`ecs-wizard hosts ${spec.clusterName}\` and the group's scaling activities; run \`ecs-wizard hosts refresh\` again to continue the roll.` },
  );
}

/**
 * Makes the launch template version the roll moves the hosts onto (`hosts refresh` to a newer AMI).
 * A lost answer (a 5xx, a broken connection) is no second version: the client token is recorded
 * before the call, and the retry first looks for the version (as a resumed roll would), then sends
 * the same token, for which AWS answers with the version the first call made.
 */
function launchVersionStep(): RollStep {
  return retryAfterAmbiguousResponse({
    id: 'launch-version',
    title: 'Launch template version',
    dependsOn: [],
    async find(ctx) {
      const want = ctx.env.spec.newVersion!;
      const ec2 = ctx.env.aws.get(EC2Client);
      const v = await latestVersion(ec2, want.launchTemplateId);
      if (v.instanceType !== want.instanceType || v.amiId !== want.amiId) return undefined;
      // Made, but the answer (and so making it the default) was lost: finish that.
      if (ctx.repair) await finishDefaultVersion(ec2, want.launchTemplateId, v.version);
      return { ...v };
    },
    async create(ctx) {
      const want = ctx.env.spec.newVersion!;
      const clientToken = (ctx.recorded?.clientToken as string | undefined) ?? launchVersionToken(want.launchTemplateId, want.sourceVersion, want);
      await ctx.note({ clientToken });
      ctx.progress(`new version with ${want.amiId}`);
      return { clientToken, ...(await newLaunchTemplateVersion(ctx.env.aws.get(EC2Client), want.launchTemplateId, want.sourceVersion, want, undefined, clientToken)) };
    },
  });
}

/** One host more than the group had, launched from the new settings, before anything is drained. */
function spareHostStep(dependsOn: string[]): RollStep {
  return {
    id: 'spare-host',
    title: 'Spare host',
    dependsOn,
    find: async (ctx) => done(ctx),
    async create(ctx) {
      const { original, groupName } = ctx.env.spec;
      const since = new Date(ctx.env.timing.now());
      const desired = original.desiredCapacity + 1;
      // With no room above the desired capacity, tasks leaving a drained host could have nowhere to go.
      const maxSize = Math.max(original.maxSize, desired);
      const g = await describeGroup(ctx);
      if (g.DesiredCapacity !== desired || (g.MaxSize ?? 0) < maxSize) {
        ctx.progress(`launching a spare host (desired ${desired}${maxSize > original.maxSize ? `, max ${maxSize} for the roll` : ''})`);
        await ctx.env.aws.get(AutoScalingClient).send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: groupName, MaxSize: Math.max(g.MaxSize ?? 0, maxSize), DesiredCapacity: desired }));
      }
      const ready = await waitUntilJoined(ctx, since);
      ctx.progress(`${plural(ready.length, 'host')} joined`);
      return { done: true };
    },
  };
}

/** The container instance of an EC2 instance in the cluster, if its agent registered it. */
async function containerInstanceArn(ctx: Ctx, instanceId: string): Promise<string | undefined> {
  const all = await unlessNotFound(() => listContainerInstances(ctx.env.aws, ctx.env.spec.clusterName));
  return all?.find((c) => c.ec2InstanceId === instanceId && c.status !== 'INACTIVE')?.containerInstanceArn;
}

/** Waits until nothing runs on the drained host any more and the service runs its desired count. */
async function waitUntilTasksMoved(ctx: Ctx, instanceId: string, arn: string): Promise<void> {
  const { spec, aws } = ctx.env;
  const ecs = aws.get(ECSClient);
  await poll(
    async () => {
      const ci = (await ecs.send(new DescribeContainerInstancesCommand({ cluster: spec.clusterName, containerInstances: [arn] }))).containerInstances?.[0];
      const left = ci && ci.status !== 'INACTIVE' ? (ci.runningTasksCount ?? 0) + (ci.pendingTasksCount ?? 0) : 0;
      const svc = (await unlessNotFound(() => ecs.send(new DescribeServicesCommand({ cluster: spec.clusterName, services: [spec.serviceName] }))))?.services?.find((s) => s.status === 'ACTIVE');
      const running = svc?.runningCount ?? 0;
      const desired = svc?.desiredCount ?? 0;
      if (left === 0 && running >= desired) return { done: true, value: undefined };
      return { done: false, waitingFor: `waiting for ${plural(left, 'task')} to move off ${instanceId} (service ${spec.serviceName}: ${running} of ${desired} running)` };
    },
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, timeoutHint: `The service's tasks could not move off ${instanceId}: see \`ecs-wizard status\` (its events say why: no room, failing health checks). Fix that and run \`ecs-wizard hosts refresh\` to continue.` },
  );
}

/**
 * One host: draining → tasks moved → terminated → replacement joined. Each phase is noted in the
 * state as it is reached, so a resumed roll goes on from there; every call is safe to repeat
 * (DRAINING again is a no-op; a host already gone is not terminated twice).
 */
function hostStep(host: RollHost, dependsOn: string[], last: boolean): RollStep {
  const id = host.instanceId;
  return {
    id: `host:${id}`,
    title: `Host ${id}${host.zone ? ` (${host.zone})` : ''}`,
    dependsOn,
    find: async (ctx) => (ctx.recorded?.phase === 'joined' ? ctx.recorded : undefined),
    async create(ctx) {
      const { spec, aws } = ctx.env;
      const since = new Date(ctx.env.timing.now());
      let decremented = ctx.recorded?.decremented === true;
      if (ctx.recorded?.phase !== 'terminated') {
        const member = (await describeGroup(ctx)).Instances?.find((i) => i.InstanceId === id);
        // Terminating (or gone): an earlier run, or someone else, already let it go.
        if (member && member.LifecycleState !== 'Terminating' && member.LifecycleState !== 'Terminated') {
          const arn = await containerInstanceArn(ctx, id);
          if (arn) {
            ctx.progress('draining');
            await aws.get(ECSClient).send(new UpdateContainerInstancesStateCommand({ cluster: spec.clusterName, containerInstances: [arn], status: 'DRAINING' }));
            await ctx.note({ phase: 'draining' });
            await waitUntilTasksMoved(ctx, id, arn);
            ctx.progress('tasks moved');
          }
          await ctx.note({ phase: 'tasks-moved' });
          // The last one takes the spare host's place, so the group ends at its own size: read now,
          // as managed scaling or the CPU policy may have scaled in the idle spare meanwhile.
          decremented = last && mayDecrement(await describeGroup(ctx), spec.original);
          await ctx.note({ decremented });
          ctx.progress(decremented ? 'terminating (the group shrinks back by one)' : 'terminating (the group launches a replacement)');
          const terminate = (decrement: boolean) => aws.get(AutoScalingClient).send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: id, ShouldDecrementDesiredCapacity: decrement }));
          try {
            await terminate(decremented);
          } catch (err) {
            // AWS refuses a decrement at the group's minimum: if the group dropped there since the look, replace the host instead.
            if (!decremented || !isAutoScalingValidation(err) || mayDecrement(await describeGroup(ctx), spec.original)) throw err;
            decremented = false;
            await ctx.note({ decremented });
            ctx.progress('terminating (the group is at its minimum: it launches a replacement)');
            await terminate(false);
          }
        }
        await ctx.note({ phase: 'terminated' });
        ctx.progress('terminated');
      }
      const ready = await waitUntilJoined(ctx, since);
      ctx.progress(last ? `${plural(ready.length, 'host')} in service` : 'replacement joined');
      return { phase: 'joined', decremented, hosts: ready };
    },
  };
}

/**
 * Whether terminating the last host may lower the group's desired capacity: only while it is above
 * both the group's minimum (AWS refuses the decrement there) and its size before the roll (the spare
 * host's +1 is still in it). Otherwise the host is replaced, and the restore step lowers what is left of the surge.
 */
function mayDecrement(g: AutoScalingGroup, original: RollSpec['original']): boolean {
  const desired = g.DesiredCapacity ?? 0;
  return desired > (g.MinSize ?? 0) && desired > original.desiredCapacity;
}

/** Puts the group's size back (the spare host's surge), and deletes a superseded launch configuration. */
function restoreStep(dependsOn: string[], lastHost: string): RollStep {
  return {
    id: 'restore',
    title: 'Group size',
    dependsOn,
    find: async (ctx) => done(ctx),
    async create(ctx) {
      const { original, groupName, retire } = ctx.env.spec;
      const as = ctx.env.aws.get(AutoScalingClient);
      const g = await describeGroup(ctx);
      // The last host normally took the spare's place; if it was gone before its turn, undo the +1 here.
      const lastDecremented = ctx.tryOutput<{ decremented?: boolean }>(lastHost)?.decremented === true;
      let desired = g.DesiredCapacity ?? original.desiredCapacity;
      if (!lastDecremented && desired === original.desiredCapacity + 1) desired = original.desiredCapacity;
      desired = Math.min(desired, original.maxSize);
      if (g.MaxSize !== original.maxSize || g.DesiredCapacity !== desired) {
        ctx.progress(`group back to max ${original.maxSize}, desired ${desired}`);
        await as.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: groupName, MaxSize: original.maxSize, DesiredCapacity: desired }));
      }
      if (retire && g.LaunchConfigurationName !== retire) {
        const lc = (await as.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [retire] }))).LaunchConfigurations?.[0];
        if (lc) {
          ctx.progress(`deleting the old launch configuration ${retire}`);
          await retryWhile(() => as.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: retire })), isTransientDependency, {
            timing: ctx.env.timing,
            signal: ctx.signal,
            progress: ctx.progress,
            waitingFor: `waiting for launch configuration ${retire} to be out of use`,
          });
        }
      }
      return { done: true };
    },
  };
}

/** The roll as a plan: [new launch template version] → spare host → each host in turn → group size back. */
export function rollSteps(spec: RollSpec): RollStep[] {
  const steps: RollStep[] = [];
  if (spec.newVersion) steps.push(launchVersionStep());
  // Hosts already on the new AMI (launched since it came out): only the version is new.
  if (spec.hosts.length === 0) return steps;
  steps.push(spareHostStep(steps.map((s) => s.id)));
  spec.hosts.forEach((h, k) => steps.push(hostStep(h, [steps[steps.length - 1]!.id], k === spec.hosts.length - 1)));
  steps.push(restoreStep([steps[steps.length - 1]!.id], steps[steps.length - 1]!.id));
  return steps;
}

export interface RollRun {
  state: StateFile;
  spec: RollSpec;
  aws: AwsClients;
  timing: PollTiming;
  signal?: AbortSignal;
  onEvent?: (e: EngineEvent) => void;
  dryRun?: boolean;
}

/**
 * Runs (or continues) a roll through the engine. The spec is recorded in the state before the
 * first change, and removed once every step is done; an interrupted or failed roll stays there.
 */
export async function runRoll(r: RollRun): Promise<RunResult> {
  let book: RecordBook;
  if (r.dryRun) {
    const resources = { ...(r.state.state.roll?.resources ?? {}) };
    book = { state: { resources }, get: (id) => resources[id], put: async () => undefined };
  } else {
    let pending = r.state.state.roll;
    if (!pending) {
      pending = { startedAt: new Date().toISOString(), spec: r.spec as unknown as Record<string, unknown>, resources: {} };
      const begun = pending;
      await r.state.update((s) => void (s.roll = begun));
    }
    book = planBook(r.state, pending);
  }
  const result = await runCreate(rollSteps(r.spec), {
    env: { aws: r.aws, timing: r.timing, spec: r.spec },
    state: book,
    concurrency: 1,
    dryRun: r.dryRun,
    signal: r.signal,
    onEvent: r.onEvent,
  });
  if (result.ok && !r.dryRun) await r.state.update((s) => void delete s.roll);
  return result;
}

/** The spec of the roll the state says is under way, if any. */
export function pendingRoll(state: StateFile): RollSpec | undefined {
  return state.state.roll?.spec as RollSpec | undefined;
}

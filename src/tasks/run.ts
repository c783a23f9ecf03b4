import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ContainerOverride,
  type Task,
} from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from '../aws/clients.js';
import { isNotFound, unlessNotFound } from '../aws/errors.js';
import { poll, type PollTiming } from '../aws/poll.js';
import { lowerTags, type Tag } from '../aws/tags.js';
import { appContainer, applyChange, registerable } from '../deploy/change.js';
import { WizardError, inputError, type Problem } from '../errors.js';
import { reservableCapacity } from '../scaling/capacity.js';
import { imageReferenceProblem } from '../wizard/schema.js';
import type { TargetService } from './target.js';

/**
 * `ecs-wizard run`: one task from the service's current task definition, with its command (and
 * environment, image, size) overridden, placed the way the service's tasks are, watched until it
 * stops while its log lines stream. The CLI parses, asks and prints; this module does the AWS part.
 */

export interface RunFlags {
  image?: string;
  env?: string[];
  cpu?: string;
  memory?: string;
  detach?: boolean;
}

export interface RunRequest {
  command: string[];
  image?: string;
  env: Record<string, string>;
  cpu?: number;
  memory?: number;
  detach: boolean;
}

/** The group a one-off task of a service belongs to, and who started it (what `aws ecs list-tasks --started-by` finds). */
export const RUN_GROUP = (service: string): string => `run:${service}`;
export const RUN_STARTED_BY = 'ecs-wizard run';
/** The tag on a revision registered for one run (--image): it is deregistered as soon as the task is placed. */
export const RUN_REVISION_TAG = 'ecs-wizard:run';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A whole number from a flag, or a problem naming the flag. */
function wholeNumber(flag: string, text: string | undefined, min: number, max: number, unit: string, problems: Problem[]): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,7}$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    problems.push({ path: flag, message: `must be a whole number of ${unit} from ${min} to ${max}, got "${text}"` });
    return undefined;
  }
  return Number(text);
}

/**
 * Every problem with run's flags and command at once (exit 2, no AWS call): no command after `--`,
 * an --env that is not KEY=VALUE, an image Docker refuses, --cpu/--memory out of ECS's range.
 */
export function parseRunRequest(flags: RunFlags, command: string[]): RunRequest {
  const problems: Problem[] = [];
  if (command.length === 0 || command[0] === '') {
    problems.push({ path: 'CMD', message: "is required after `--`: the command the task runs, e.g. ecs-wizard run shop-web -- ./manage.py migrate" });
  }
  if (flags.image !== undefined) {
    const problem = imageReferenceProblem(flags.image);
    if (problem) problems.push({ path: '--image', message: `"${flags.image}" ${problem}` });
  }
  const env: Record<string, string> = {};
  for (const pair of flags.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 0) problems.push({ path: '--env', message: `"${pair}" must be KEY=VALUE (an empty value is KEY=)` });
    else if (!ENV_NAME.test(pair.slice(0, eq))) problems.push({ path: '--env', message: `"${pair.slice(0, eq)}" is not a variable name: letters, digits and _, not starting with a digit` });
    else env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  // The answers schema's bounds for a container (ECS's own: 128 MiB at least for a sensible task).
  const cpu = wholeNumber('--cpu', flags.cpu, 128, 10240, 'CPU units (1024 = one vCPU)', problems);
  const memory = wholeNumber('--memory', flags.memory, 128, 122880, 'MiB', problems);
  if (problems.length) throw inputError(problems, 'options');
  return { command, env, detach: flags.detach ?? false, ...(flags.image !== undefined ? { image: flags.image } : {}), ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) };
}

/**
 * What only the stack can tell: a size no host of it could ever hold, or a variable that is one of
 * the service's secrets. Still before any AWS call (exit 2).
 */
export function checkRunAgainst(req: RunRequest, target: TargetService, secrets: string[]): void {
  const problems: Problem[] = [];
  const cap = reservableCapacity(target.instanceType);
  if (cap && req.cpu !== undefined && req.cpu > cap.cpu) {
    problems.push({ path: '--cpu', message: `${req.cpu} CPU units is more than a ${target.instanceType} host offers tasks (${cap.cpu}): the task could never be placed` });
  }
  if (cap && req.memory !== undefined && req.memory > cap.memoryMiB) {
    problems.push({ path: '--memory', message: `${req.memory} MiB is more than a ${target.instanceType} host offers tasks (about ${cap.memoryMiB} MiB): the task could never be placed` });
  }
  for (const name of Object.keys(req.env)) {
    if (secrets.includes(name)) problems.push({ path: '--env', message: `"${name}" is a secret of the service (${target.answersPath}.secrets): ECS sets it from where it is stored` });
  }
  if (problems.length) throw inputError(problems, 'options');
}

export interface RunEnv {
  aws: AwsClients;
  timing: PollTiming;
  signal: AbortSignal;
  /** The stack's tags for what the run makes (the task, a one-off revision), with ecs-wizard:service. */
  tags: Tag[];
}

export interface StartedRun {
  taskArn: string;
  taskId: string;
  cluster: string;
  /** The revision the task runs: the service's, or the one registered for --image (already deregistered). */
  taskDefinitionArn: string;
  /** A revision registered for --image: deregistered once the task is placed (a running task keeps it). */
  oneOffRevision?: { arn: string; deregistered: boolean };
  enableExecuteCommand: boolean;
}

export interface RunHooks {
  /** Something worth saying while it happens (the revision registered, the task placed, waiting for capacity). */
  progress(message: string): void;
  /** A warning that does not stop the run. */
  warn(message: string): void;
}

const ecs = (env: RunEnv) => env.aws.get(ECSClient);
const taskIdOf = (arn: string): string => arn.split('/').pop() ?? arn;

/**
 * Starts the task: the revision the service runs (for --image, a revision of the same family with
 * only the image changed, registered for this run and deregistered as soon as the task exists —
 * AWS lets a running task keep a deregistered revision, and nothing else can then pick it up), on
 * the stack's capacity provider, with the command, environment and size as overrides.
 */
export async function startRun(env: RunEnv, target: TargetService, req: RunRequest, hooks: RunHooks): Promise<StartedRun> {
  const client = ecs(env);
  const svc = await unlessNotFound(async () => (await client.send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.ecsService] }))).services?.[0]);
  if (!svc?.taskDefinition || svc.status !== 'ACTIVE') {
    throw new WizardError('STATE_MISSING', `The service ${target.ecsService} is not in cluster ${target.cluster}${svc?.status ? ` (it is ${svc.status})` : ''}: there is no task definition to run.`, {
      hint: `Run \`ecs-wizard status ${target.stack}\` to see what is missing, and \`ecs-wizard create --answers FILE\` to restore it.`,
    });
  }
  let taskDefinition = svc.taskDefinition;
  let oneOff: StartedRun['oneOffRevision'];
  if (req.image !== undefined) {
    const current = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] }));
    const base = registerable(current.taskDefinition!);
    if (appContainer(base, target.container).image !== req.image) {
      const { input } = applyChange(base, { kind: 'deploy', image: req.image, set: {}, unset: [], force: false }, target.container);
      const own = (current.tags ?? []).filter((t) => t.key && !t.key.startsWith('aws:') && t.key !== RUN_REVISION_TAG);
      const tags = [...(own.length ? own : lowerTags(env.tags)), { key: RUN_REVISION_TAG, value: 'one-off' }];
      const r = await client.send(new RegisterTaskDefinitionCommand({ ...input, tags }));
      taskDefinition = r.taskDefinition!.taskDefinitionArn!;
      oneOff = { arn: taskDefinition, deregistered: false };
      hooks.progress(`registered ${taskDefinition.split('/').pop()} for this run (image ${req.image}); it is deregistered once the task is placed`);
    }
  }
  const containerOverride: ContainerOverride = {
    name: target.container,
    command: req.command,
    ...(Object.keys(req.env).length ? { environment: Object.entries(req.env).map(([name, value]) => ({ name, value })) } : {}),
    ...(req.cpu !== undefined ? { cpu: req.cpu } : {}),
    ...(req.memory !== undefined ? { memory: req.memory } : {}),
  };
  let task: Task | undefined;
  try {
    const r = await client.send(
      new RunTaskCommand({
        cluster: target.cluster,
        taskDefinition,
        count: 1,
        group: RUN_GROUP(target.name),
        startedBy: RUN_STARTED_BY,
        ...(target.capacityProvider ? { capacityProviderStrategy: [{ capacityProvider: target.capacityProvider, weight: 1, base: 0 }] } : { launchType: 'EC2' as const }),
        overrides: { containerOverrides: [containerOverride] },
        tags: lowerTags(env.tags),
        enableECSManagedTags: true,
        // A shell into the task (`ecs-wizard exec --task`) works when the service allows one.
        enableExecuteCommand: Boolean(svc.enableExecuteCommand),
      }),
    );
    task = r.tasks?.[0];
    if (!task?.taskArn) {
      const f = r.failures?.[0];
      throw new WizardError('AWS', `ECS did not start the task: ${describeFailure(f?.reason, f?.detail)}.`, {
        hint: placementHint(f?.reason),
      });
    }
  } finally {
    if (oneOff) {
      oneOff.deregistered = await deregister(env, oneOff.arn, hooks);
    }
  }
  return { taskArn: task.taskArn, taskId: taskIdOf(task.taskArn), cluster: target.cluster, taskDefinitionArn: taskDefinition, ...(oneOff ? { oneOffRevision: oneOff } : {}), enableExecuteCommand: Boolean(task.enableExecuteCommand ?? svc.enableExecuteCommand) };
}

async function deregister(env: RunEnv, arn: string, hooks: RunHooks): Promise<boolean> {
  try {
    await ecs(env).send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
    return true;
  } catch (err) {
    if (isNotFound(err)) return true;
    // The run goes on: the revision is tagged, and destroy deregisters every revision of the family.
    hooks.warn(`Could not deregister the one-off revision ${arn} (${(err as Error).name}): deregister it with \`aws ecs deregister-task-definition --task-definition ${arn}\`.`);
    return false;
  }
}

/** RunTask's failure reasons in plain words. */
function describeFailure(reason: string | undefined, detail: string | undefined): string {
  const words: Record<string, string> = {
    'RESOURCE:CPU': 'no host has enough free CPU for it',
    'RESOURCE:MEMORY': 'no host has enough free memory for it',
    'RESOURCE:PORTS': 'no host has the port it needs free',
    AGENT: 'the ECS agent of the host it was placed on is not connected',
    ATTRIBUTE: 'no host has an attribute it requires',
    MISSING: 'the container instance it was placed on is gone',
  };
  const plain = reason ? (words[reason] ?? reason) : 'no reason given';
  return detail ? `${plain} (${detail})` : plain;
}

function placementHint(reason: string | undefined): string {
  if (reason?.startsWith('RESOURCE:')) return 'Run it with a smaller --cpu/--memory, or make room: `ecs-wizard scale STACK --desired-capacity N` adds hosts.';
  return '`ecs-wizard hosts STACK` shows the hosts and their agents.';
}

/** How a run ended: the essential container's exit code, or null when it never ran (then ECS's reason). */
export interface RunOutcome {
  taskArn: string;
  exitCode: number | null;
  stoppedReason?: string;
  stopCode?: string;
  /** The essential container's own reason (CannotPullContainerError…, OutOfMemoryError…), when ECS gives one. */
  containerReason?: string;
  startedAt?: string;
  stoppedAt?: string;
}

export interface WatchHooks extends RunHooks {
  /** One log line of the task, as it arrives. */
  logLine(line: { timestamp: number; message: string }): void;
}

/** What the wait says for each of ECS's task states (PROVISIONING: managed scaling is adding a host). */
const WAITING: Record<string, string> = {
  PROVISIONING: 'waiting for capacity (PROVISIONING)',
  PENDING: 'starting (PENDING: pulling the image, starting the container)',
  ACTIVATING: 'starting (ACTIVATING)',
  RUNNING: 'running',
  DEACTIVATING: 'stopping (DEACTIVATING)',
  STOPPING: 'stopping (STOPPING)',
  DEPROVISIONING: 'stopping (DEPROVISIONING)',
};

async function describeTask(env: RunEnv, cluster: string, taskArn: string): Promise<Task | undefined> {
  const r = await ecs(env).send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
  return r.tasks?.[0];
}

/**
 * Follows one log stream from its start (GetLogEvents on the task's own stream: no account-wide
 * FilterLogEvents quota shared with `logs`). A stream not there yet is nothing to print yet.
 */
export function logFollower(env: RunEnv, group: string, stream: string, emit: (line: { timestamp: number; message: string }) => void): () => Promise<void> {
  let token: string | undefined;
  return async () => {
    for (;;) {
      const r = await unlessNotFound(() => env.aws.get(CloudWatchLogsClient).send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token ? { nextToken: token } : {}) })));
      if (!r) return;
      for (const e of r.events ?? []) emit({ timestamp: e.timestamp ?? 0, message: (e.message ?? '').replace(/\r?\n$/, '') });
      // The same token back means the end of what is there now.
      if (!r.nextForwardToken || r.nextForwardToken === token) return;
      token = r.nextForwardToken;
      if (!(r.events ?? []).length) return;
    }
  };
}

/**
 * Waits until the task stops, printing its log lines as they come and saying what it waits for
 * ("waiting for capacity (PROVISIONING)" while managed scaling adds a host). Bounded by
 * --wait-timeout; stopped early by Ctrl-C (INTERRUPTED: the CLI decides about the task).
 */
export async function watchRun(env: RunEnv, target: TargetService, started: StartedRun, hooks: WatchHooks): Promise<RunOutcome> {
  const follow = target.logGroup ? logFollower(env, target.logGroup, `${target.logStreamPrefix}/${target.container}/${started.taskId}`, hooks.logLine) : undefined;
  // Output that cannot be read (no logs:GetLogEvents, say) is said once; the wait for the exit code goes on.
  let readLogs = async (): Promise<void> => {
    try {
      await follow?.();
    } catch (err) {
      if (env.signal.aborted) return;
      hooks.warn(`The task's output cannot be read from ${target.logGroup} (${(err as Error).name}: ${(err as Error).message}); still waiting for it to stop. \`ecs-wizard logs ${target.stack} --task ${started.taskId}\` shows it later.`);
      readLogs = async () => undefined;
    }
  };
  let last: string | undefined;
  const timing: PollTiming = { ...env.timing, maxDelayMs: Math.min(env.timing.maxDelayMs, 5000) };
  const task = await poll<Task>(
    async () => {
      const t = await describeTask(env, started.cluster, started.taskArn);
      if (!t) throw new WizardError('AWS', `The task ${started.taskId} is no longer known to ECS (it stopped over an hour ago, or was never placed).`);
      await readLogs();
      const status = t.lastStatus ?? 'PROVISIONING';
      if (status === 'STOPPED') return { done: true, value: t };
      const words = WAITING[status] ?? status;
      if (words !== last) hooks.progress(`task ${started.taskId}: ${words}`);
      last = words;
      return { done: false, waitingFor: `for task ${started.taskId} to stop (it is ${status})` };
    },
    { timing, signal: env.signal, timeoutHint: `The task keeps running: \`ecs-wizard logs ${target.stack} --task ${started.taskId} --follow\` follows it; stop it with \`${stopTaskCommand(started)}\`.` },
  );
  // The awslogs driver flushes what the container wrote last as it stops: read once more.
  await readLogs();
  const container = task.containers?.find((c) => c.name === target.container) ?? task.containers?.[0];
  return {
    taskArn: started.taskArn,
    exitCode: container?.exitCode ?? null,
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    ...(container?.reason ? { containerReason: container.reason } : {}),
    ...(task.startedAt ? { startedAt: task.startedAt.toISOString() } : {}),
    ...(task.stoppedAt ? { stoppedAt: task.stoppedAt.toISOString() } : {}),
  };
}

/** Why a task that never ran its command stopped, in plain words (ECS's stop codes, its reason and the container's). */
export function neverRan(o: RunOutcome): string {
  const code: Record<string, string> = {
    TaskFailedToStart: 'the task failed to start',
    SpotInterruption: 'its Spot host was reclaimed',
    ServiceSchedulerInitiated: 'ECS stopped it',
    UserInitiated: 'it was stopped before its container ran',
    TerminationNotice: 'its host is being terminated',
  };
  const head = o.stopCode ? (code[o.stopCode] ?? o.stopCode) : 'the task stopped before its container ran';
  const reasons = [o.stoppedReason, o.containerReason].filter((r): r is string => Boolean(r));
  return `${head}${reasons.length ? `: ${reasons.join('; ')}` : ''}`;
}

/** The command that stops the task by hand (what Ctrl-C twice leaves to the user). */
export function stopTaskCommand(started: Pick<StartedRun, 'cluster' | 'taskArn'>): string {
  return `aws ecs stop-task --cluster ${started.cluster} --task ${started.taskArn}`;
}

/** Stops the task (Ctrl-C answered yes, or no terminal to ask). */
export async function stopRun(env: Pick<RunEnv, 'aws'>, started: Pick<StartedRun, 'cluster' | 'taskArn'>): Promise<void> {
  await unlessNotFound(() => env.aws.get(ECSClient).send(new StopTaskCommand({ cluster: started.cluster, task: started.taskArn, reason: 'Stopped by ecs-wizard run (Ctrl-C)' })));
}

import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { GetPolicyCommand, GetPolicyVersionCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { fakeRequestId, wireError, wireJson, wireXml } from './aws-wire.js';
import type { AwsRequest, Rule, StrictAws } from './strict-aws.js';

/**
 * One-off tasks and ECS Exec as AWS answers them, for the strict-AWS proxy (moto starts a RunTask
 * task RUNNING with exitCode 0 on its container and never stops it; answers ExecuteCommand with
 * HTTP 500; has no SimulatePrincipalPolicy):
 * - RunTask's task goes PROVISIONING → PENDING → RUNNING → STOPPED, one state per DescribeTasks
 *   (`callsPerState`), and only once STOPPED carries its container's `exitCode`, with ECS's
 *   `stopCode` EssentialContainerExited and stoppedReason "Essential container in task exited" —
 *   or, for an image that cannot be pulled, STOPPED with TaskFailedToStart and no exit code;
 *   tasks started with enableExecuteCommand report their ExecuteCommandAgent RUNNING and a runtimeId;
 *   while RUNNING the task's "output" is written to its awslogs stream, as the driver would;
 * - StopTask stops it (UserInitiated, exit code 143: SIGTERM);
 * - ExecuteCommand answers ECS's session object, or for a task not started with ECS Exec ECS's
 *   own InvalidParameterException;
 * - iam:SimulatePrincipalPolicy judges a role of moto's by its inline and attached policies
 *   (Allow statements, `*` wildcards), and the caller (moto's user) by `callerMay`.
 */
export const TASK_RULE = {
  runTask: 'ecs-run-task-provisioning',
  describeTasks: 'ecs-one-off-task-lifecycle',
  stopTask: 'ecs-stop-one-off-task',
  executeCommand: 'ecs-execute-command-session',
  executeCommandRefused: 'ecs-execute-command-not-enabled',
  simulate: 'iam-simulate-principal-policy',
} as const;

/** ECS's words for ExecuteCommand on a task not started with ECS Exec (the apostrophe is ECS's own, U+2019). */
export const EXEC_NOT_ENABLED =
  'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running. Wait and try again or run a new task with execute command enabled and try again.';
export const PULL_FAILED = 'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/nope:404: not found';

export interface TaskOptions {
  /** DescribeTasks answers per lifecycle state (default 1). */
  callsPerState?: number;
  /** The exit code of a command (default: `exit N` → N, `false` → 1, else 0). */
  exitCodeFor?: (command: string[]) => number;
  /** Tasks whose command holds this never stop by themselves (default: a command starting with `sleep`). */
  staysRunning?: (command: string[]) => boolean;
  /** The lines a command "prints" (default: `echo …` prints its words, else nothing). */
  outputFor?: (command: string[]) => string[];
  /** A task of this image never starts (CannotPullContainerError). */
  unpullable?: string;
  /** The log group and stream prefix the tasks' containers write to. */
  logGroup?: string;
  /** Whether moto's caller may do an action (default: everything). */
  callerMay?: (action: string) => boolean;
}

interface OneOff {
  arn: string;
  id: string;
  command: string[];
  exec: boolean;
  image?: string;
  describes: number;
  stopped?: { code: string; reason: string; exitCode?: number; containerReason?: string };
  logged: boolean;
  startedAt?: number;
}

const defaultExit = (command: string[]): number => {
  const text = command.join(' ');
  const m = /\bexit (\d+)/.exec(text);
  if (m) return Number(m[1]);
  return command[0] === 'false' ? 1 : 0;
};

const STATES = ['PROVISIONING', 'PENDING', 'RUNNING', 'STOPPED'] as const;

export interface TaskProfile {
  rules: Rule[];
  /** The one-off tasks RunTask started, by id. */
  tasks: Map<string, OneOff>;
  /** Stops in moto the tasks still running there (moto holds each task's host port 0 until then), and the clients. */
  close(): Promise<void>;
}

export function tasksProfile(aws: StrictAws, opts: TaskOptions = {}): TaskProfile {
  const per = opts.callsPerState ?? 1;
  const exitCodeFor = opts.exitCodeFor ?? defaultExit;
  const staysRunning = opts.staysRunning ?? ((c: string[]) => c[0] === 'sleep');
  const outputFor = opts.outputFor ?? ((c: string[]) => (c[0] === 'echo' ? [c.slice(1).join(' ')] : []));
  const callerMay = opts.callerMay ?? (() => true);
  const cfg = { region: 'us-east-1', endpoint: aws.upstream, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 3 };
  const clients = { logs: new CloudWatchLogsClient(cfg), iam: new IAMClient(cfg), ecs: new ECSClient(cfg) };
  const tasks = new Map<string, OneOff>();
  const idOf = (arn: string): string => arn.split('/').pop() ?? arn;

  /** Where the task is in its life, by how often it has been described (a stopped task stays stopped). */
  const stateOf = (t: OneOff): (typeof STATES)[number] => {
    if (t.stopped) return 'STOPPED';
    // (RunTask's own answer is PROVISIONING; the first describe still is.)
    const i = Math.min(STATES.length - 1, Math.floor(Math.max(0, t.describes - 1) / per));
    if (t.image !== undefined && t.image === opts.unpullable && i >= 1) {
      t.stopped = { code: 'TaskFailedToStart', reason: PULL_FAILED, containerReason: PULL_FAILED };
      return 'STOPPED';
    }
    if (STATES[i] === 'STOPPED' && staysRunning(t.command)) return 'RUNNING';
    if (STATES[i] === 'STOPPED') t.stopped = { code: 'EssentialContainerExited', reason: 'Essential container in task exited', exitCode: exitCodeFor(t.command) };
    return STATES[i]!;
  };

  /** The awslogs driver's stream, written once the container runs. */
  const writeLogs = async (t: OneOff): Promise<void> => {
    if (t.logged || !opts.logGroup) return;
    t.logged = true;
    const lines = outputFor(t.command);
    if (!lines.length) return;
    const stream = { logGroupName: opts.logGroup, logStreamName: `ecs/app/${t.id}` };
    await clients.logs.send(new CreateLogStreamCommand(stream));
    const now = Date.now();
    await clients.logs.send(new PutLogEventsCommand({ ...stream, logEvents: lines.map((message, i) => ({ timestamp: now + i, message })) }));
  };

  const shape = (task: Record<string, unknown>, t: OneOff, state: (typeof STATES)[number]): Record<string, unknown> => {
    const containers = ((task.containers as Record<string, unknown>[] | undefined) ?? []).map((c) => {
      const { exitCode: _moto, ...rest } = c;
      return {
        ...rest,
        lastStatus: state === 'PROVISIONING' ? 'PENDING' : state,
        ...(state === 'RUNNING' || (state === 'STOPPED' && t.stopped?.exitCode !== undefined) ? { runtimeId: `${t.id}-${'0'.repeat(8)}` } : {}),
        ...(t.exec && state === 'RUNNING' ? { managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING', lastStartedAt: t.startedAt }] } : {}),
        ...(state === 'STOPPED' && t.stopped?.exitCode !== undefined ? { exitCode: t.stopped.exitCode } : {}),
        ...(state === 'STOPPED' && t.stopped?.containerReason ? { reason: t.stopped.containerReason } : {}),
      };
    });
    return {
      ...task,
      lastStatus: state,
      desiredStatus: state === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      enableExecuteCommand: t.exec,
      containers,
      ...(t.startedAt ? { startedAt: t.startedAt } : {}),
      ...(state === 'STOPPED' ? { stopCode: t.stopped!.code, stoppedReason: t.stopped!.reason, stoppedAt: Date.now() / 1000, executionStoppedAt: Date.now() / 1000 } : {}),
    };
  };

  /** moto never stops a task and holds its resources (hostPort 0 counts as a port taken): stop it there too. */
  const released = new Set<string>();
  const release = async (t: OneOff): Promise<void> => {
    if (released.has(t.id)) return;
    released.add(t.id);
    await clients.ecs.send(new StopTaskCommand({ cluster: t.arn.split('/').at(-2), task: t.arn })).catch(() => undefined);
  };

  const containerOverride = (req: AwsRequest) => ((req.json?.overrides as { containerOverrides?: { command?: string[] }[] } | undefined)?.containerOverrides ?? [])[0];

  const rules: Rule[] = [
    {
      name: TASK_RULE.runTask,
      service: 'ecs',
      operation: 'RunTask',
      respond: async (req, ctx) => {
        const moto = await ctx.forward();
        if (moto.status !== 200) return undefined;
        const doc = JSON.parse(moto.body) as { tasks?: Record<string, unknown>[] };
        for (const task of doc.tasks ?? []) {
          const arn = String(task.taskArn);
          const image = ((task.containers as { image?: string }[] | undefined) ?? [])[0]?.image;
          const t: OneOff = { arn, id: idOf(arn), command: containerOverride(req)?.command ?? [], exec: req.json?.enableExecuteCommand === true, describes: 0, logged: false, ...(image ? { image } : {}) };
          tasks.set(t.id, t);
          Object.assign(task, shape(task, t, 'PROVISIONING'));
        }
        return wireJson('ecs', doc);
      },
    },
    {
      name: TASK_RULE.describeTasks,
      service: 'ecs',
      operation: 'DescribeTasks',
      respond: async (req, ctx) => {
        const asked = ((req.json?.tasks as string[] | undefined) ?? []).map(idOf);
        if (!asked.some((id) => tasks.has(id))) return undefined;
        const moto = await ctx.forward();
        const doc = JSON.parse(moto.body) as { tasks?: Record<string, unknown>[] };
        doc.tasks = await Promise.all(
          (doc.tasks ?? []).map(async (task) => {
            const t = tasks.get(idOf(String(task.taskArn)));
            if (!t) return task;
            t.describes++;
            const state = stateOf(t);
            if (state === 'RUNNING') {
              t.startedAt ??= Date.now() / 1000;
              await writeLogs(t);
            }
            if (state === 'STOPPED' && t.stopped?.exitCode !== undefined) await writeLogs(t);
            if (state === 'STOPPED') await release(t);
            return shape(task, t, state);
          }),
        );
        return wireJson('ecs', doc);
      },
    },
    {
      name: TASK_RULE.stopTask,
      service: 'ecs',
      operation: 'StopTask',
      respond: async (req, ctx) => {
        const t = tasks.get(idOf(String(req.json?.task)));
        if (!t) return undefined;
        const moto = await ctx.forward();
        released.add(t.id);
        t.stopped ??= { code: 'UserInitiated', reason: String(req.json?.reason ?? 'Task stopped by user'), exitCode: 143 };
        const doc = JSON.parse(moto.body) as { task?: Record<string, unknown> };
        if (doc.task) doc.task = shape(doc.task, t, 'STOPPED');
        return wireJson('ecs', doc);
      },
    },
    {
      name: TASK_RULE.executeCommandRefused,
      service: 'ecs',
      operation: 'ExecuteCommand',
      respond: async (req) => {
        const t = tasks.get(idOf(String(req.json?.task)));
        if (t?.exec && stateOf(t) === 'RUNNING') return undefined;
        return wireError('ecs', 'InvalidParameterException', EXEC_NOT_ENABLED);
      },
    },
    {
      name: TASK_RULE.executeCommand,
      service: 'ecs',
      operation: 'ExecuteCommand',
      respond: async (req) => {
        const t = tasks.get(idOf(String(req.json?.task)))!;
        const sessionId = `ecs-execute-command-${t.id.slice(0, 17)}`;
        const arn = t.arn;
        const cluster = arn.replace(/:task\/([^/]+)\/.*$/, ':cluster/$1');
        return wireJson('ecs', {
          clusterArn: cluster,
          containerArn: `${arn.replace(':task/', ':container/')}/${'c'.repeat(36)}`,
          containerName: String(req.json?.container ?? 'app'),
          interactive: true,
          session: { sessionId, streamUrl: `wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/${sessionId}?role=publish_subscribe&cell-number=AAEAAQ`, tokenValue: `AAEAA${t.id}token` },
          taskArn: arn,
        });
      },
    },
    {
      name: TASK_RULE.simulate,
      service: 'iam',
      operation: 'SimulatePrincipalPolicy',
      respond: async (req) => {
        const principal = req.params.get('PolicySourceArn') ?? '';
        const actions = [...req.params.entries()].filter(([k]) => /^ActionNames\.member\.\d+$/.test(k)).map(([, v]) => v);
        const role = /:role\/(?:.*\/)?([^/]+)$/.exec(principal)?.[1];
        const allowed = role ? await roleActions(clients.iam, role) : undefined;
        if (role && allowed === undefined) return wireError('iam', 'NoSuchEntity', `The role with name ${role} cannot be found.`, 404);
        const decide = (a: string): string => (allowed ? (allowed.some((p) => glob(p, a)) ? 'allowed' : 'implicitDeny') : callerMay(a) ? 'allowed' : 'implicitDeny');
        const members = actions
          .map((a) => `<member><EvalActionName>${a}</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>${decide(a)}</EvalDecision><MatchedStatements/><MissingContextValues/></member>`)
          .join('');
        return wireXml(
          `<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>${members}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>${fakeRequestId()}</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`,
        );
      },
    },
  ];
  return {
    rules,
    tasks,
    async close() {
      for (const t of tasks.values()) await release(t);
      Object.values(clients).forEach((c) => c.destroy());
    },
  };
}

const glob = (pattern: string, action: string): boolean => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(action);

/** The actions a role's policies allow (Allow statements only; enough for the channels exec needs), or undefined for no such role. */
async function roleActions(iam: IAMClient, role: string): Promise<string[] | undefined> {
  const docs: string[] = [];
  try {
    for (const name of (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? []) {
      docs.push((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }))).PolicyDocument ?? '');
    }
    for (const p of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies ?? []) {
      const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: p.PolicyArn }))).Policy;
      docs.push((await iam.send(new GetPolicyVersionCommand({ PolicyArn: p.PolicyArn, VersionId: policy?.DefaultVersionId }))).PolicyVersion?.Document ?? '');
    }
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchEntity' || (err as { name?: string }).name === 'NoSuchEntityException') return undefined;
    throw err;
  }
  const actions: string[] = [];
  for (const text of docs) {
    const doc = JSON.parse(decodeURIComponent(text)) as { Statement?: { Effect?: string; Action?: string | string[] }[] | { Effect?: string; Action?: string | string[] } };
    for (const s of [doc.Statement ?? []].flat()) if (s.Effect === 'Allow') actions.push(...[s.Action ?? []].flat());
  }
  return actions;
}

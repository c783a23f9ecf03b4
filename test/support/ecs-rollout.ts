import { DescribeContainerInstancesCommand, DescribeServicesCommand, ECSClient, ListContainerInstancesCommand, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import { wireJson, wireXml, fakeRequestId } from './aws-wire.js';
import type { Rule, StrictAws } from './strict-aws.js';

/** When the broken revision's tasks stopped: one instant for all, so their order is the tool's tie-break, not the clock's. */
const STOPPED_AT = Date.now() / 1000;

/**
 * ECS deployments as AWS reports them, for the strict-AWS proxy: moto changes a service's task
 * definition on UpdateService but its deployments never follow (one PRIMARY with the OLD revision),
 * and it runs no tasks. These rules rewrite moto's answers after an UpdateService the way ECS
 * answers during a rolling deployment on EC2 with a capacity provider — a new PRIMARY deployment
 * (its id in UpdateService's own answer), tasks PROVISIONING while an instance is added, RUNNING
 * tasks on dynamic host ports of the real (fake-agent) container instances, their targets going
 * from initial to healthy, the old tasks' targets draining, then COMPLETED — or, for a broken
 * image, stopped tasks and the circuit breaker's FAILED with a rollback to the old revision, after
 * which (a state only the clock or a long watch reaches) the failed deployment leaves the list.
 *
 * The world moves one state further every `callsPerState` DescribeServices calls after the update
 * (the last state holds), so a test sees every phase whatever the polling speed — or, with
 * `msPerState`, every so many milliseconds, as a real rollout does.
 */
export const ROLLOUT_RULE = {
  update: 'ecs-rollout-update-service',
  services: 'ecs-rollout-describe-services',
  listTasks: 'ecs-rollout-list-tasks',
  describeTasks: 'ecs-rollout-describe-tasks',
  targetHealth: 'ecs-rollout-target-health',
} as const;

export const STOPPED_REASON = 'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref docker.io/library/httpd:9-broken: not found';
export const CIRCUIT_BREAKER = 'ECS deployment circuit breaker: tasks failed to start.';

interface TaskState {
  id: string;
  deployment: 'new' | 'old';
  status: 'PROVISIONING' | 'RUNNING' | 'STOPPED';
  port?: number;
  instance: number;
}
interface WorldState {
  newRunning: number;
  oldRunning: number;
  /** The old deployment is still listed. */
  oldListed: boolean;
  newRollout: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** After a rollback: the failed deployment has stopped its tasks and left the service's list, the rollback is COMPLETED. */
  failedGone?: true;
  tasks: TaskState[];
  /** Target health by host port. */
  targets: Record<number, { state: string; reason?: string; description?: string }>;
}

const OLD_PORTS = [32768, 32769];
const healthy = { state: 'healthy' };

function successScript(): WorldState[] {
  const oldTargets = { [OLD_PORTS[0]!]: healthy, [OLD_PORTS[1]!]: healthy };
  const t = (id: string, status: TaskState['status'], port?: number): TaskState => ({ id, deployment: 'new', status, port, instance: Number(id.slice(-1)) % 2 });
  const a = (status: TaskState['status']) => t('a0000000000000000000000000000001', status, status === 'RUNNING' ? 32770 : undefined);
  const b = (status: TaskState['status']) => t('a0000000000000000000000000000002', status, status === 'RUNNING' ? 32771 : undefined);
  const initial = { state: 'initial', reason: 'Elb.RegistrationInProgress' };
  const draining = { state: 'draining', reason: 'Target.DeregistrationInProgress' };
  const oldDraining = { [OLD_PORTS[0]!]: draining, [OLD_PORTS[1]!]: draining };
  const running = [a('RUNNING'), b('RUNNING')];
  const w = (newRunning: number, oldRunning: number, tasks: TaskState[], targets: WorldState['targets'], end = false): WorldState => ({
    newRunning,
    oldRunning,
    oldListed: !end,
    newRollout: end ? 'COMPLETED' : 'IN_PROGRESS',
    tasks,
    targets,
  });
  return [
    // Placing: both new tasks wait for an instance the capacity provider adds, then start.
    w(0, 2, [a('PROVISIONING'), b('PROVISIONING')], oldTargets),
    w(1, 2, [a('RUNNING'), b('PROVISIONING')], { ...oldTargets, 32770: initial }),
    w(2, 2, running, { ...oldTargets, 32770: initial, 32771: initial }),
    // Health checks pass one target after the other.
    w(2, 2, running, { ...oldTargets, 32770: healthy, 32771: initial }),
    w(2, 2, running, { ...oldTargets, 32770: healthy, 32771: healthy }),
    // The old tasks' targets drain (deregistration delay), then the old tasks stop.
    w(2, 2, running, { ...oldDraining, 32770: healthy, 32771: healthy }),
    w(2, 1, running, { ...oldDraining, 32770: healthy, 32771: healthy }),
    w(2, 0, running, { 32770: healthy, 32771: healthy }, true),
  ];
}

function failureScript(): WorldState[] {
  const unhealthy = { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed with these codes: [502]' };
  const t = (id: string, status: TaskState['status'], port?: number): TaskState => ({ id, deployment: 'new', status, port, instance: 0 });
  return [
    { newRunning: 0, oldRunning: 2, oldListed: true, newRollout: 'IN_PROGRESS', tasks: [t('b0000000000000000000000000000001', 'PROVISIONING')], targets: { [OLD_PORTS[0]!]: healthy, [OLD_PORTS[1]!]: healthy } },
    { newRunning: 0, oldRunning: 2, oldListed: true, newRollout: 'IN_PROGRESS', tasks: [t('b0000000000000000000000000000001', 'STOPPED', 32772), t('b0000000000000000000000000000002', 'STOPPED', 32773)], targets: { [OLD_PORTS[0]!]: healthy, [OLD_PORTS[1]!]: healthy, 32772: unhealthy } },
    { newRunning: 0, oldRunning: 2, oldListed: true, newRollout: 'FAILED', tasks: [t('b0000000000000000000000000000001', 'STOPPED', 32772), t('b0000000000000000000000000000002', 'STOPPED', 32773)], targets: { [OLD_PORTS[0]!]: healthy, [OLD_PORTS[1]!]: healthy, 32772: unhealthy } },
    // Minutes later (reached only by a watcher that keeps asking, or by the clock): the rollback is done.
    { newRunning: 0, oldRunning: 2, oldListed: true, newRollout: 'FAILED', failedGone: true, tasks: [t('b0000000000000000000000000000001', 'STOPPED', 32772), t('b0000000000000000000000000000002', 'STOPPED', 32773)], targets: { [OLD_PORTS[0]!]: healthy, [OLD_PORTS[1]!]: healthy } },
  ];
}

export interface SimulatedRollout {
  rules: Rule[];
  /** Where the world is (states past since the update; -1 before it). */
  position(): number;
  /** The stopped tasks' ids (failure script), for the test to give them log lines. */
  stoppedTaskIds: string[];
  close(): void;
}

/**
 * Rules for one rollout of `cluster`/`service`. `outcome: 'fail'` plays a broken image; `callsPerState`
 * slows the world down (for a terminal test or an interrupt).
 */
export function simulatedRollout(aws: StrictAws, opts: { cluster: string; service: string; outcome: 'succeed' | 'fail'; callsPerState?: number; msPerState?: number }): SimulatedRollout {
  const per = opts.callsPerState ?? 1;
  let updatedAt = 0;
  // By DescribeServices calls (every state seen), or by the clock (a terminal test, an interrupt: states may be skipped).
  const index = (): number => (opts.msPerState ? Math.floor((Date.now() - updatedAt) / opts.msPerState) : Math.floor(described / per));
  const script = opts.outcome === 'succeed' ? successScript() : failureScript();
  const ecs = new ECSClient({ region: 'us-east-1', endpoint: aws.upstream, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  let described = -1;
  let rolledBack = false;
  let update: { oldTd: string; newTd: string; oldId: string; newId: string; instances: { arn: string; ec2: string }[] } | undefined;
  const state = (): WorldState => script[Math.min(script.length - 1, Math.max(0, index()))]!;
  const forService = (req: { json?: Record<string, unknown> }) => update !== undefined && String(req.json?.cluster) === opts.cluster;
  const arnOf = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/${opts.cluster}/${id}`;

  const deployments = (w: WorldState) => {
    const u = update!;
    const failed = w.newRollout === 'FAILED';
    const d = (id: string, status: string, td: string, running: number, rollout: string, extra: object = {}) => ({
      id, status, taskDefinition: td, desiredCount: 2, pendingCount: Math.max(0, 2 - running), runningCount: running, failedTasks: 0, rolloutState: rollout, createdAt: Date.now() / 1000, updatedAt: Date.now() / 1000, launchType: 'EC2', ...extra,
    });
    if (w.failedGone) return [d(`${u.oldId}-rollback`, 'PRIMARY', u.oldTd, 2, 'COMPLETED')];
    return [
      failed
        ? d(u.newId, 'ACTIVE', u.newTd, 0, 'FAILED', { failedTasks: 2, rolloutStateReason: CIRCUIT_BREAKER })
        : d(u.newId, 'PRIMARY', u.newTd, w.newRunning, w.newRollout, { rolloutStateReason: `ECS deployment ${u.newId} ${w.newRollout === 'COMPLETED' ? 'completed' : 'in progress'}.` }),
      ...(failed ? [d(`${u.oldId}-rollback`, 'PRIMARY', u.oldTd, 2, 'IN_PROGRESS')] : w.oldListed ? [d(u.oldId, 'ACTIVE', u.oldTd, w.oldRunning, 'COMPLETED')] : []),
    ];
  };

  const task = (t: TaskState) => {
    const u = update!;
    const ci = u.instances[t.instance % u.instances.length]!;
    const stopped = t.status === 'STOPPED';
    return {
      taskArn: arnOf(t.id),
      clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${opts.cluster}`,
      taskDefinitionArn: u.newTd,
      startedBy: u.newId,
      group: `service:${opts.service}`,
      lastStatus: t.status,
      desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
      containerInstanceArn: ci.arn,
      launchType: 'EC2',
      containers: [{ name: 'app', lastStatus: t.status, networkBindings: t.port && !stopped ? [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: t.port, protocol: 'tcp' }] : [], ...(stopped ? { exitCode: 1, reason: 'CannotPullContainerError: pull image manifest has been retried 1 time(s)' } : {}) }],
      ...(stopped ? { stoppedReason: STOPPED_REASON, stopCode: 'TaskFailedToStart', stoppedAt: STOPPED_AT } : {}),
    };
  };

  const rules: Rule[] = [
    {
      name: ROLLOUT_RULE.update,
      service: 'ecs',
      operation: 'UpdateService',
      respond: async (req, ctx) => {
        if (String(req.json?.cluster) !== opts.cluster || !req.json?.taskDefinition) return undefined;
        const before = (await ecs.send(new DescribeServicesCommand({ cluster: opts.cluster, services: [opts.service] }))).services![0]!;
        const answer = await ctx.forward();
        if (answer.status !== 200) return answer;
        const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster: opts.cluster }))).containerInstanceArns ?? [];
        const cis = arns.length ? ((await ecs.send(new DescribeContainerInstancesCommand({ cluster: opts.cluster, containerInstances: arns }))).containerInstances ?? []) : [];
        update = {
          oldTd: before.taskDefinition!,
          newTd: String(req.json.taskDefinition),
          oldId: before.deployments?.[0]?.id ?? 'ecs-svc/old',
          newId: `ecs-svc/${Date.now()}`,
          instances: cis.map((c) => ({ arn: c.containerInstanceArn!, ec2: c.ec2InstanceId! })),
        };
        if (!update.instances.length) throw new Error('ecs-rollout: no container instances registered (run the fake agent first)');
        described = -1;
        updatedAt = Date.now();
        const body = JSON.parse(answer.body) as { service: Service };
        (body.service as unknown as { deployments: unknown }).deployments = deployments(state());
        return wireJson('ecs', body);
      },
    },
    {
      name: ROLLOUT_RULE.services,
      service: 'ecs',
      operation: 'DescribeServices',
      respond: async (req, ctx) => {
        if (!forService(req)) return undefined;
        described++;
        const w = state();
        // The circuit breaker's rollback puts the previous revision back on the service: in moto too.
        if (w.newRollout === 'FAILED' && !rolledBack) {
          rolledBack = true;
          await ecs.send(new UpdateServiceCommand({ cluster: opts.cluster, service: opts.service, taskDefinition: update!.oldTd }));
        }
        const body = JSON.parse((await ctx.forward()).body) as { services: Record<string, unknown>[] };
        const s = body.services.find((x) => x.serviceName === opts.service);
        if (!s) return wireJson('ecs', body);
        s.deployments = deployments(w);
        s.runningCount = w.newRunning + (w.oldListed ? w.oldRunning : 0);
        s.pendingCount = Math.max(0, 2 - w.newRunning);
        return wireJson('ecs', body);
      },
    },
    {
      name: ROLLOUT_RULE.listTasks,
      service: 'ecs',
      operation: 'ListTasks',
      respond: async (req) => {
        if (!forService(req)) return undefined;
        const stopped = req.json?.desiredStatus === 'STOPPED';
        const tasks = state().tasks.filter((t) => (t.status === 'STOPPED') === stopped);
        return wireJson('ecs', { taskArns: tasks.map((t) => arnOf(t.id)) });
      },
    },
    {
      name: ROLLOUT_RULE.describeTasks,
      service: 'ecs',
      operation: 'DescribeTasks',
      respond: async (req) => {
        if (!forService(req)) return undefined;
        const wanted = new Set((req.json?.tasks as string[] | undefined) ?? []);
        const all = [...script.flatMap((w) => w.tasks)].reverse();
        const current = state().tasks;
        const found = [...wanted].map((arn) => current.find((t) => arnOf(t.id) === arn) ?? all.find((t) => arnOf(t.id) === arn)).filter((t): t is TaskState => !!t);
        return wireJson('ecs', { tasks: found.map(task), failures: [] });
      },
    },
    {
      name: ROLLOUT_RULE.targetHealth,
      service: 'elasticloadbalancing',
      operation: 'DescribeTargetHealth',
      respond: async () => {
        if (!update) return undefined;
        const w = state();
        const ec2 = update.instances[0]!.ec2;
        const members = Object.entries(w.targets)
          .map(([port, h]) => {
            const t = [...w.tasks].find((x) => x.port === Number(port));
            const instance = t ? update!.instances[t.instance % update!.instances.length]!.ec2 : ec2;
            return `<member><Target><Id>${instance}</Id><Port>${port}</Port></Target><HealthCheckPort>${port}</HealthCheckPort><TargetHealth><State>${h.state}</State>${h.reason ? `<Reason>${h.reason}</Reason>` : ''}${h.description ? `<Description>${h.description}</Description>` : ''}</TargetHealth></member>`;
          })
          .join('');
        return wireXml(
          `<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetHealthResult><TargetHealthDescriptions>${members}</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>${fakeRequestId()}</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`,
        );
      },
    },
  ];
  return {
    rules,
    position: () => (update ? index() : -1),
    stoppedTaskIds: failureScript().flatMap((w) => w.tasks.filter((t) => t.status === 'STOPPED').map((t) => t.id)).filter((v, i, a) => a.indexOf(v) === i),
    close: () => ecs.destroy(),
  };
}

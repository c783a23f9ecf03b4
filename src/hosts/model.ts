import type { AwsClients } from '../aws/clients.js';
import type { PollTiming } from '../aws/poll.js';
import { StateFile } from '../engine/state.js';
import { ROLL_SECONDS, runRoll, type RollSpec } from './roll.js';

/**
 * The latency model of a host roll: a small simulated AWS on a virtual clock — an Auto Scaling
 * group that launches to its desired capacity, ECS agents that join, ECS's service scheduler with a
 * minimum healthy percent of 100 (a task on a draining host is replaced first, and stopped once
 * its replacement passes the ALB's health checks, then drains for the deregistration delay) — in
 * which the real roll (hosts/roll.ts, through the engine) runs. Timings are ROLL_SECONDS. It
 * answers two questions without AWS and without wall-clock time: how long a roll takes, and
 * whether the service ever served fewer tasks than it wants (the unit test asserts it never does;
 * `npm run bench` reports the duration).
 */

export interface RollWorld {
  hosts: number;
  tasks: number;
  /** How many of the service's tasks one host holds. */
  tasksPerHost: number;
  maxSize: number;
  /** The group's minimum size (default 1): AWS refuses to decrement the desired capacity below it. */
  minSize?: number;
  seconds?: typeof ROLL_SECONDS;
  /**
   * AWS's errors as the caller builds them in the SDK's wire shape (the model imports no test
   * support); without one the model throws a plain Error, which no roll should ever meet.
   */
  errors?: { decrementAtMinimum?: Error };
}

export interface RollModelResult {
  /** Modelled seconds from the first call to the last step. */
  seconds: number;
  /** The fewest tasks serving (running, healthy, not draining) at any second of the roll. */
  minServing: number;
  /** Tasks that were still running on a host when it was terminated. */
  tasksKilled: number;
  /** The group at the end. */
  group: { desired: number; max: number; hosts: number; newHosts: number };
  ok: boolean;
}

interface Host {
  id: string;
  launchedAt: number;
  terminated: boolean;
  draining: boolean;
  old: boolean;
}
interface Task {
  host: string;
  startedAt: number;
  /** When it began to stop (its replacement was healthy): it drains, then is gone. */
  stoppingAt?: number;
  replacedBy?: Task;
  gone: boolean;
}

export class SimulatedAws {
  t = 0;
  readonly hosts: Host[] = [];
  readonly tasks: Task[] = [];
  desired: number;
  max: number;
  readonly min: number;
  minServing = Infinity;
  tasksKilled = 0;
  /** Decrements AWS refused because the group was at its minimum. */
  refusedDecrements = 0;
  /** Called before each operation is answered: a test's way to make something happen at that instant. */
  beforeCall?: (operation: string, input: Record<string, unknown>) => void;
  private seq = 0;

  constructor(
    readonly w: RollWorld,
    readonly s: typeof ROLL_SECONDS = w.seconds ?? ROLL_SECONDS,
  ) {
    this.desired = w.hosts;
    this.max = w.maxSize;
    this.min = w.minSize ?? 1;
    // A settled stack: every host joined long ago, every task healthy.
    const settled = -(s.launch + s.join + s.taskStart + s.healthChecks);
    for (let k = 0; k < w.hosts; k++) this.hosts.push({ id: `i-old${k}`, launchedAt: settled, terminated: false, draining: false, old: true });
    for (let k = 0; k < w.tasks; k++) this.tasks.push({ host: this.hosts[k % w.hosts]!.id, startedAt: settled, gone: false });
  }

  private live = (): Host[] => this.hosts.filter((h) => !h.terminated);
  private inService = (h: Host): boolean => !h.terminated && this.t >= h.launchedAt + this.s.launch;
  private joined = (h: Host): boolean => !h.terminated && this.t >= h.launchedAt + this.s.launch + this.s.join;
  private running = (x: Task): boolean => !x.gone && this.t >= x.startedAt + this.s.taskStart;
  private healthy = (x: Task): boolean => this.running(x) && this.t >= x.startedAt + this.s.taskStart + this.s.healthChecks;
  serving = (): number => this.tasks.filter((x) => this.healthy(x) && x.stoppingAt === undefined).length;

  /** A free slot on an ACTIVE joined host, for a new task. */
  private place(): Host | undefined {
    const load = (h: Host) => this.tasks.filter((x) => !x.gone && x.host === h.id).length;
    return this.live()
      .filter((h) => this.joined(h) && !h.draining && load(h) < this.w.tasksPerHost)
      .sort((a, b) => load(a) - load(b))[0];
  }

  /** One second of the world: the group launches, ECS schedules, tasks stop. */
  private tick(): void {
    while (this.live().length < this.desired) this.hosts.push({ id: `i-new${this.seq++}`, launchedAt: this.t, terminated: false, draining: false, old: false });
    for (const x of this.tasks) {
      if (x.stoppingAt !== undefined && !x.gone && this.t >= x.stoppingAt + this.s.deregistration) x.gone = true;
      // Minimum healthy 100 %: a task on a draining host gets its replacement first ...
      const host = this.hosts.find((h) => h.id === x.host)!;
      if (host.draining && !x.gone && x.stoppingAt === undefined && !x.replacedBy) {
        const to = this.place();
        if (to) this.tasks.push((x.replacedBy = { host: to.id, startedAt: this.t, gone: false }));
      }
      // ... and stops once that one is healthy behind the load balancer.
      if (x.replacedBy && x.stoppingAt === undefined && this.healthy(x.replacedBy)) x.stoppingAt = this.t;
    }
    // The service keeps its desired count: tasks lost with a host are started again where there is room.
    const wanted = this.w.tasks - this.tasks.filter((x) => !x.gone && x.stoppingAt === undefined && !x.replacedBy).length;
    for (let k = 0; k < wanted; k++) {
      const to = this.place();
      if (!to) break;
      this.tasks.push({ host: to.id, startedAt: this.t, gone: false });
    }
    this.minServing = Math.min(this.minServing, this.serving());
  }

  /**
   * What managed scaling or a CPU policy does to an idle host: the desired capacity one lower, and
   * the newest joined host running nothing (not draining) terminated. Returns its id.
   */
  scaleIn(): string {
    const idle = this.live()
      .filter((h) => this.joined(h) && !h.draining && !this.tasks.some((x) => !x.gone && x.host === h.id))
      .at(-1);
    if (!idle) throw new Error('model: no idle host to scale in');
    idle.terminated = true;
    this.desired--;
    return idle.id;
  }

  advanceTo(t: number): void {
    while (this.t < t) {
      this.t = Math.min(t, Math.floor(this.t) + 1);
      this.tick();
    }
  }

  /** The few AWS operations a roll calls, answered from the world (the same shapes the SDK returns). */
  private answer(operation: string, input: Record<string, unknown>): unknown {
    const ci = (h: Host) => ({
      containerInstanceArn: `arn:ci/${h.id}`,
      ec2InstanceId: h.id,
      status: h.draining ? 'DRAINING' : 'ACTIVE',
      agentConnected: true,
      runningTasksCount: this.tasks.filter((x) => x.host === h.id && this.running(x)).length,
      pendingTasksCount: this.tasks.filter((x) => x.host === h.id && !x.gone && !this.running(x)).length,
    });
    switch (operation) {
      case 'DescribeAutoScalingGroups':
        return {
          AutoScalingGroups: [
            {
              AutoScalingGroupName: 'model',
              MinSize: this.min,
              MaxSize: this.max,
              DesiredCapacity: this.desired,
              Instances: this.live().map((h) => ({ InstanceId: h.id, LifecycleState: this.inService(h) ? 'InService' : 'Pending' })),
            },
          ],
        };
      case 'UpdateAutoScalingGroup':
        if (typeof input.MaxSize === 'number') this.max = input.MaxSize;
        if (typeof input.DesiredCapacity === 'number') this.desired = input.DesiredCapacity;
        if (this.desired > this.max) throw new Error('model: desired above max');
        return {};
      case 'TerminateInstanceInAutoScalingGroup': {
        if (input.ShouldDecrementDesiredCapacity && this.desired <= this.min) {
          this.refusedDecrements++;
          throw this.w.errors?.decrementAtMinimum ?? new Error(`model: ValidationError: Currently, desiredSize equals minSize (${this.min}).`);
        }
        const h = this.hosts.find((x) => x.id === input.InstanceId)!;
        h.terminated = true;
        for (const x of this.tasks.filter((x) => x.host === h.id && !x.gone)) {
          if (this.running(x) && x.stoppingAt === undefined) this.tasksKilled++;
          x.gone = true;
        }
        if (input.ShouldDecrementDesiredCapacity) this.desired--;
        return {};
      }
      case 'DescribeScalingActivities':
        return { Activities: [] };
      case 'ListContainerInstances':
        return { containerInstanceArns: this.live().filter(this.joined).map((h) => `arn:ci/${h.id}`) };
      case 'DescribeContainerInstances':
        return { containerInstances: (input.containerInstances as string[]).map((arn) => this.hosts.find((h) => `arn:ci/${h.id}` === arn)).filter((h): h is Host => h !== undefined && !h.terminated).map(ci) };
      case 'UpdateContainerInstancesState':
        for (const arn of input.containerInstances as string[]) this.hosts.find((h) => `arn:ci/${h.id}` === arn)!.draining = true;
        return {};
      case 'DescribeServices':
        return { services: [{ status: 'ACTIVE', desiredCount: this.w.tasks, runningCount: this.tasks.filter(this.running).length }] };
      default:
        throw new Error(`model: ${operation} is not modelled`);
    }
  }

  /** Stands in for AwsClients: every client's send() is answered by the world. */
  clients(): AwsClients {
    const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const operation = command.constructor.name.replace(/Command$/, '');
      this.beforeCall?.(operation, command.input);
      return this.answer(operation, command.input);
    };
    return { get: () => ({ send }) } as unknown as AwsClients;
  }

  /** Waits pass modelled time: the roll's polls move the world on. */
  timing(): PollTiming {
    return { now: () => this.t * 1000, sleep: async (ms) => this.advanceTo(this.t + ms / 1000), minDelayMs: 1000, maxDelayMs: 15_000, timeoutMs: 3_600_000 };
  }
}

/**
 * Runs the real roll in the simulated world and reports how long it took and whether a task was
 * ever missing. `prepare` sees the world first (a test makes things happen during the roll with it).
 */
export async function modelRoll(w: RollWorld, prepare?: (world: SimulatedAws) => void): Promise<RollModelResult> {
  const world = new SimulatedAws(w);
  prepare?.(world);
  const spec: RollSpec = {
    reason: 'model',
    groupName: 'model',
    clusterName: 'model',
    serviceName: 'model',
    hosts: world.hosts.map((h) => ({ instanceId: h.id })),
    original: { minSize: world.min, maxSize: w.maxSize, desiredCapacity: w.hosts },
  };
  const run = await runRoll({ state: StateFile.scratch('model'), spec, aws: world.clients(), timing: world.timing() });
  const live = world.hosts.filter((h) => !h.terminated);
  return {
    seconds: world.t,
    minServing: world.minServing,
    tasksKilled: world.tasksKilled,
    group: { desired: world.desired, max: world.max, hosts: live.length, newHosts: live.filter((h) => !h.old).length },
    ok: run.ok,
  };
}

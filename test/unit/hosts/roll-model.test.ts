import { describe, expect, it } from 'vitest';
import { AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { SimulatedAws, modelRoll } from '../../../src/hosts/model.js';
import { ROLL_SECONDS, expectedRollSeconds } from '../../../src/hosts/roll.js';
import { sdkError } from '../../support/aws-wire.js';

/** What Auto Scaling answers a decrement at the group's minimum, through the SDK's own deserializer. */
const atMinimum = (min: number) =>
  sdkError(
    AutoScalingClient,
    TerminateInstanceInAutoScalingGroupCommand,
    'ValidationError',
    `Currently, desiredSize equals minSize (${min}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
  );

/**
 * The roll in the latency model (src/hosts/model.ts): the real roll steps, through the engine, in a
 * simulated AWS on a virtual clock where ECS replaces a draining host's tasks before stopping them.
 * No wall-clock timing: the world moves only when the roll waits.
 */
describe('rolling hosts in the modelled world', () => {
  it('rolls 2 hosts under a 2-task service without ever serving fewer than 2 tasks, even with no room above the group size', async () => {
    // GIVEN 2 hosts, each full with 1 of the service's 2 tasks, and maxSize 2 (no headroom)
    // WHEN the roll runs
    const r = await modelRoll({ hosts: 2, tasks: 2, tasksPerHost: 1, maxSize: 2 });
    // THEN it succeeds, 2 tasks serve at every second, no running task was killed with its host,
    // both hosts are new, and the group is back at desired 2 / max 2
    expect(r.ok).toBe(true);
    expect(r.minServing).toBe(2);
    expect(r.tasksKilled).toBe(0);
    expect(r.group).toEqual({ desired: 2, max: 2, hosts: 2, newHosts: 2 });
    // AND it takes about what `hosts refresh` tells the user (the estimate, plus polling granularity)
    expect(r.seconds).toBeGreaterThanOrEqual(expectedRollSeconds(2));
    expect(r.seconds).toBeLessThan(expectedRollSeconds(2) * 1.25);
  });

  it('keeps every task serving for bigger hosts and more of them too', async () => {
    const r = await modelRoll({ hosts: 3, tasks: 4, tasksPerHost: 2, maxSize: 6 });
    expect(r).toMatchObject({ ok: true, minServing: 4, tasksKilled: 0, group: { desired: 3, max: 6, hosts: 3, newHosts: 3 } });
  });

  it('the idle spare scaled in before the first drain: the last host is replaced, not decremented below the minimum', async () => {
    // GIVEN 2 hosts at the group's minimum of 2, and managed scaling that scales in the idle spare as the roll starts draining
    const errors = { decrementAtMinimum: await atMinimum(2) };
    let world!: SimulatedAws;
    let scaledIn: string | undefined;
    const r = await modelRoll({ hosts: 2, tasks: 2, tasksPerHost: 2, maxSize: 2, minSize: 2, errors }, (w) => {
      world = w;
      w.beforeCall = (operation) => {
        if (operation === 'UpdateContainerInstancesState' && !scaledIn) scaledIn = w.scaleIn();
      };
    });
    // THEN the spare was scaled in (desired back at 2 = the minimum), and the roll never asked AWS to go below it
    expect(scaledIn).toBe('i-new0');
    expect(world.refusedDecrements).toBe(0);
    // AND it finished with every task serving, both hosts new, the group at its own size
    expect(r).toMatchObject({ ok: true, minServing: 2, tasksKilled: 0, group: { desired: 2, max: 2, hosts: 2, newHosts: 2 } });
  });

  it('the group drops to its minimum between the look and the terminate: AWS refuses the decrement, and the host is replaced instead', async () => {
    // GIVEN 3 hosts at the group's minimum of 3, and a scale-in of an idle host at the very instant the last host is terminated
    const errors = { decrementAtMinimum: await atMinimum(3) };
    let world!: SimulatedAws;
    let scaledIn: string | undefined;
    const r = await modelRoll({ hosts: 3, tasks: 2, tasksPerHost: 2, maxSize: 3, minSize: 3, errors }, (w) => {
      world = w;
      w.beforeCall = (operation, input) => {
        if (operation === 'TerminateInstanceInAutoScalingGroup' && input.ShouldDecrementDesiredCapacity && !scaledIn) scaledIn = w.scaleIn();
      };
    });
    // THEN AWS's ValidationError fired once, for the decrement
    expect(scaledIn).toBeDefined();
    expect(world.refusedDecrements).toBe(1);
    // AND the roll went on without the decrement: every task serving, 3 new hosts, the group at its own size
    expect(r).toMatchObject({ ok: true, minServing: 2, tasksKilled: 0, group: { desired: 3, max: 3, hosts: 3, newHosts: 3 } });
  });

  it('the model does see a dropped task: terminating hosts without draining them leaves the service short', async () => {
    // GIVEN the same world, and a naive roll: terminate each host and wait for its replacement
    const world = new SimulatedAws({ hosts: 2, tasks: 2, tasksPerHost: 1, maxSize: 2 });
    const aws = world.clients();
    const as = aws.get(Object) as unknown as { send(c: { constructor: { name: string }; input: object }): Promise<unknown> };
    const terminate = { constructor: { name: 'TerminateInstanceInAutoScalingGroupCommand' } };
    for (const id of ['i-old0', 'i-old1']) {
      await as.send({ ...terminate, input: { InstanceId: id, ShouldDecrementDesiredCapacity: false } });
      world.advanceTo(world.t + ROLL_SECONDS.launch + ROLL_SECONDS.join + ROLL_SECONDS.taskStart + ROLL_SECONDS.healthChecks);
    }
    // THEN the service served fewer than 2 tasks for a while, and running tasks were killed
    expect(world.minServing).toBeLessThan(2);
    expect(world.tasksKilled).toBe(2);
  });
});

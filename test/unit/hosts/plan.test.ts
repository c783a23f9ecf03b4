import { describe, expect, it } from 'vitest';
import type { Host, HostFacts, HostTargets } from '../../../src/hosts/inspect.js';
import { expectedRollSeconds, planRoll, rollSteps } from '../../../src/hosts/roll.js';

const host = (id: string, over: Partial<Host> = {}): Host => ({
  instanceId: id,
  zone: 'us-east-1a',
  instanceType: 't3.small',
  amiId: 'ami-0old',
  lifecycleState: 'InService',
  onLaunchVersion: true,
  onLatestAmi: false,
  current: false,
  reasons: [],
  ...over,
});

const facts = (hosts: Host[], over: Partial<HostFacts> = {}): HostFacts => ({
  group: { name: 'shop-ecs', minSize: 1, maxSize: 2, desiredCapacity: 2 },
  launch: { kind: 'template', name: 'shop-ecs', version: 3, instanceType: 't3.small', amiId: 'ami-0old', architecture: 'x86_64' },
  latestAmi: { x86_64: { amiId: 'ami-0new' } },
  hosts,
  ...over,
});

const targets: HostTargets = {
  groupName: 'shop-ecs',
  clusterName: 'shop',
  serviceName: 'shop',
  launch: { kind: 'template', launchTemplateId: 'lt-0123', launchTemplateName: 'shop-ecs', amiId: 'ami-0old' },
};

describe('planning a roll', () => {
  it('hosts refresh: a new version on the latest AMI first, then every host on the old one, with the group size to go back to', () => {
    const spec = planRoll(facts([host('i-1'), host('i-2', { lifecycleState: 'Terminating' }), host('i-3')]), targets, { latestAmi: true })!;
    expect(spec).toMatchObject({
      reason: 'ami-0old → ami-0new',
      newVersion: { launchTemplateId: 'lt-0123', sourceVersion: 3, instanceType: 't3.small', amiId: 'ami-0new' },
      original: { minSize: 1, maxSize: 2, desiredCapacity: 2 },
    });
    // (a host already terminating is not rolled again)
    expect(spec.hosts.map((h) => h.instanceId)).toEqual(['i-1', 'i-3']);
    expect(rollSteps(spec).map((s) => [s.id, s.dependsOn])).toEqual([
      ['launch-version', []],
      ['spare-host', ['launch-version']],
      ['host:i-1', ['spare-host']],
      ['host:i-3', ['host:i-1']],
      ['restore', ['host:i-3']],
    ]);
  });

  it('a pinned amiId is never moved to the latest AMI; create rolls only hosts not on what the group launches', () => {
    expect(planRoll(facts([host('i-1'), host('i-2')]), { ...targets, pinnedAmi: 'ami-0old' }, { latestAmi: true })).toBeUndefined();
    expect(planRoll(facts([host('i-1'), host('i-2')]), targets, { latestAmi: false })).toBeUndefined();
    const resized = planRoll(facts([host('i-1'), host('i-2', { instanceType: 't3.medium' })], { launch: { kind: 'template', name: 'shop-ecs', version: 4, instanceType: 't3.medium', amiId: 'ami-0old' } }), targets, { latestAmi: false })!;
    expect(resized).toMatchObject({ reason: 't3.small → t3.medium', hosts: [{ instanceId: 'i-1' }] });
    expect(resized.newVersion).toBeUndefined();
  });

  it('create just changed the network or user data: every host in service rolls, for those changes, though type and AMI match', () => {
    // GIVEN hosts on the group's type and AMI (moto and a $Latest group report no older version for them)
    const hosts = [host('i-1'), host('i-2'), host('i-3', { lifecycleState: 'Terminating' })];
    // WHEN create's launch step recorded that it changed the network and Spot draining
    const spec = planRoll(facts(hosts), targets, { latestAmi: false, relaunch: ['public → private instances', 'Spot draining on'] })!;
    // THEN both hosts in service roll, and the reason names the changes; without them nothing rolls
    expect(spec).toMatchObject({ reason: 'public → private instances, Spot draining on', hosts: [{ instanceId: 'i-1' }, { instanceId: 'i-2' }] });
    expect(spec.newVersion).toBeUndefined();
    expect(planRoll(facts(hosts), targets, { latestAmi: false, relaunch: [] })).toBeUndefined();
  });

  it('a Spot group: a host of any listed type is on the group\'s type; only a type the group no longer lists rolls', () => {
    // GIVEN a mixed instances group launching t3.small or t3a.small from the template's latest version
    const spot = { launch: { kind: 'template' as const, name: 'shop-ecs', version: 3, instanceType: 't3.small', instanceTypes: ['t3.small', 't3a.small'], amiId: 'ami-0old' } };
    // WHEN a host runs the second listed type, THEN create has nothing to roll
    expect(planRoll(facts([host('i-1'), host('i-2', { instanceType: 't3a.small' })], spot), targets, { latestAmi: false })).toBeUndefined();
    // AND a host of a type the group no longer lists rolls, named with the types it goes to
    const spec = planRoll(facts([host('i-1', { instanceType: 't3.micro' }), host('i-2', { instanceType: 't3a.small' })], spot), targets, { latestAmi: false })!;
    expect(spec).toMatchObject({ reason: 't3.micro → t3.small/t3a.small', hosts: [{ instanceId: 'i-1' }] });
  });

  it('a host EC2 does not show yet (AMI unknown) is not rolled by create, but is by hosts refresh onto a new version', () => {
    // GIVEN a host the group has just launched from its latest version: EC2 does not show it yet
    const launching = host('i-2', { amiId: undefined, launching: true, lifecycleState: 'Pending' });
    // THEN create (what the group launches now) leaves it alone
    expect(planRoll(facts([host('i-1'), launching]), targets, { latestAmi: false })).toBeUndefined();
    // AND hosts refresh, whose new version no host has yet, rolls it with the others
    expect(planRoll(facts([host('i-1'), launching]), targets, { latestAmi: true })!.hosts.map((h) => h.instanceId)).toEqual(['i-1', 'i-2']);
  });

  it('hosts launched since the AMI came out need only the new version, no roll', () => {
    const spec = planRoll(facts([host('i-1', { amiId: 'ami-0new' })]), targets, { latestAmi: true })!;
    expect(spec.hosts).toEqual([]);
    expect(rollSteps(spec).map((s) => s.id)).toEqual(['launch-version']);
  });

  it('estimates a spare host, a drain per host and a replacement for all but the last', () => {
    expect(expectedRollSeconds(0)).toBe(0);
    expect(expectedRollSeconds(1)).toBe(90 + 75);
    expect(expectedRollSeconds(2)).toBe(90 + 2 * 75 + 90);
  });
});

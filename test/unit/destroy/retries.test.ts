import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteSecurityGroupCommand, DeleteSubnetCommand, DeleteVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeleteClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import { runDestroy } from '../../../src/engine/engine.js';
import type { EngineEvent, Step } from '../../../src/engine/types.js';
import type { StackEnv } from '../../../src/steps/env.js';
import { vpcStep } from '../../../src/steps/vpc.js';
import { subnetsStep } from '../../../src/steps/subnets.js';
import { albSecurityGroupStep, instanceSecurityGroupStep } from '../../../src/steps/security-groups.js';
import { clusterStep } from '../../../src/steps/cluster.js';
import { testStack } from '../../support/stack.js';
import { sdkError } from '../../support/aws-wire.js';

const ec2 = mockClient(EC2Client);
const ecs = mockClient(ECSClient);
afterEach(() => {
  ec2.reset();
  ecs.reset();
});

/** Only the given steps, with dependencies on steps outside them dropped. */
function only(...steps: Step<StackEnv>[]): Step<StackEnv>[] {
  const ids = new Set(steps.map((s) => s.id));
  return steps.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => ids.has(d)) }));
}

async function recorded(t: ReturnType<typeof testStack>, records: Record<string, Record<string, unknown>>): Promise<void> {
  for (const [stepId, outputs] of Object.entries(records)) {
    await t.state.put({ stepId, status: 'created', outputs, updatedAt: new Date().toISOString() });
  }
}

/** A mock that fails `times` times with `error` (as the SDK raises it), then succeeds. */
function failThenSucceed<T>(stub: { rejectsOnce(e: Error): T; resolves(v: object): unknown }, error: Error, times: number): void {
  let s = stub as unknown as { rejectsOnce(e: Error): typeof s; resolves(v: object): unknown };
  for (let i = 0; i < times; i++) s = s.rejectsOnce(error);
  s.resolves({});
}

describe('destroy retries what AWS clears by itself', () => {
  it('retries DependencyViolation on security groups, subnets and the VPC until it clears, saying what it waits for', async () => {
    // GIVEN a recorded network whose deletes fail with DependencyViolation 3 times each (lingering ENIs)
    const t = testStack({ stack: 'unit-dv' });
    await recorded(t, {
      vpc: { vpcId: 'vpc-00000001', cidr: '10.0.0.0/16' },
      subnets: { subnetIds: ['subnet-00000001', 'subnet-00000002'], availabilityZones: ['us-east-1a', 'us-east-1b'] },
      'alb-security-group': { groupId: 'sg-00000001', groupName: 'unit-dv-alb' },
      'instance-security-group': { groupId: 'sg-00000002', groupName: 'unit-dv-instances' },
    });
    ec2.onAnyCommand().resolves({});
    const sgInUse = await sdkError(EC2Client, DeleteSecurityGroupCommand, 'DependencyViolation', 'resource sg-00000001 has a dependent object');
    const subnetInUse = await sdkError(EC2Client, DeleteSubnetCommand, 'DependencyViolation', "The subnet 'subnet-00000001' has dependencies and cannot be deleted.");
    const vpcInUse = await sdkError(EC2Client, DeleteVpcCommand, 'DependencyViolation', "The vpc 'vpc-00000001' has dependencies and cannot be deleted.");
    failThenSucceed(ec2.on(DeleteSecurityGroupCommand, { GroupId: 'sg-00000001' }), sgInUse, 3);
    failThenSucceed(ec2.on(DeleteSecurityGroupCommand, { GroupId: 'sg-00000002' }), sgInUse, 3);
    failThenSucceed(ec2.on(DeleteSubnetCommand, { SubnetId: 'subnet-00000001' }), subnetInUse, 3);
    failThenSucceed(ec2.on(DeleteSubnetCommand, { SubnetId: 'subnet-00000002' }), subnetInUse, 3);
    failThenSucceed(ec2.on(DeleteVpcCommand), vpcInUse, 3);
    const events: EngineEvent[] = [];

    // WHEN the network is destroyed
    const r = await runDestroy(only(vpcStep, subnetsStep, albSecurityGroupStep, instanceSecurityGroupStep), { env: t.env, state: t.state, onEvent: (e) => events.push(e) });

    // THEN every delete succeeded on its 4th try, the VPC last, and progress said what it waited for
    expect(r.ok).toBe(true);
    expect(r.results.every((x) => x.outcome === 'destroyed')).toBe(true);
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(8);
    expect(ec2.commandCalls(DeleteSubnetCommand)).toHaveLength(8);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(4);
    // The VPC is deleted only after every subnet and security group is gone (reverse order).
    const names = ec2.calls().map((c) => (c.args[0] as object).constructor.name);
    expect(names.indexOf('DeleteVpcCommand')).toBeGreaterThan(Math.max(names.lastIndexOf('DeleteSubnetCommand'), names.lastIndexOf('DeleteSecurityGroupCommand')));
    const progress = events.filter((e): e is Extract<EngineEvent, { type: 'progress' }> => e.type === 'progress');
    expect(progress.some((p) => p.stepId === 'vpc' && /DependencyViolation/.test(p.message))).toBe(true);
    expect(progress.some((p) => p.stepId === 'subnets' && /waiting/.test(p.message))).toBe(true);
    expect(t.state.get('vpc')?.status).toBe('destroyed');
  });

  it('retries DeleteCluster while container instances are still registered', async () => {
    // GIVEN a cluster whose instances take 4 checks to deregister
    const t = testStack({ stack: 'unit-cc' });
    await recorded(t, { cluster: { clusterName: 'unit-cc', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/unit-cc' } });
    ecs.onAnyCommand().resolves({});
    failThenSucceed(
      ecs.on(DeleteClusterCommand),
      await sdkError(ECSClient, DeleteClusterCommand, 'ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.'),
      4,
    );
    const events: EngineEvent[] = [];

    // WHEN it is destroyed
    const r = await runDestroy(only(clusterStep), { env: t.env, state: t.state, onEvent: (e) => events.push(e) });

    // THEN the delete was retried until the instances were gone, with progress naming the reason
    expect(r.ok).toBe(true);
    expect(ecs.commandCalls(DeleteClusterCommand)).toHaveLength(5);
    expect(events.some((e) => e.type === 'progress' && /ClusterContainsContainerInstancesException/.test(e.message))).toBe(true);
  });
});

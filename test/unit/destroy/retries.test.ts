import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteSecurityGroupCommand, DeleteSubnetCommand, DeleteVpcCommand, DescribeInstancesCommand, EC2Client, ReleaseAddressCommand } from '@aws-sdk/client-ec2';
import {
  DeleteClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeContainerInstancesCommand,
  ECSClient,
  ListContainerInstancesCommand,
} from '@aws-sdk/client-ecs';
import { runDestroy } from '../../../src/engine/engine.js';
import type { EngineEvent, Step } from '../../../src/engine/types.js';
import type { StackEnv } from '../../../src/steps/env.js';
import { vpcStep } from '../../../src/steps/stack/vpc.js';
import { subnetsStep } from '../../../src/steps/stack/subnets.js';
import { albSecurityGroupStep, instanceSecurityGroupStep } from '../../../src/steps/stack/security-groups.js';
import { clusterStep } from '../../../src/steps/stack/cluster.js';
import { elasticIpsStep } from '../../../src/steps/stack/elastic-ip.js';
import { AwsClients } from '../../../src/aws/clients.js';
import { deleteLeftovers } from '../../../src/destroy/cleanup.js';
import { FAST_TIMING, testStack } from '../../support/stack.js';
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

  it("releases a NAT gateway's Elastic IP through AWS's refusals after the gateway is deleted (AuthFailure, InvalidNetworkInterfaceID.NotFound)", async () => {
    // GIVEN two recorded addresses whose release AWS refuses twice with AuthFailure, then once with the interface going away
    const t = testStack({ stack: 'unit-eip', network: { instanceSubnets: 'private' } });
    await recorded(t, { 'elastic-ips': { allocationIds: ['eipalloc-00000001', 'eipalloc-00000002'], publicIps: ['198.51.100.1', '198.51.100.2'] } });
    const authFailure = await sdkError(EC2Client, ReleaseAddressCommand, 'AuthFailure', 'You do not have permission to access the specified resource.');
    const eniGoing = await sdkError(EC2Client, ReleaseAddressCommand, 'InvalidNetworkInterfaceID.NotFound', "The networkInterface ID 'eni-0123456789abcdef0' does not exist");
    for (const id of ['eipalloc-00000001', 'eipalloc-00000002']) ec2.on(ReleaseAddressCommand, { AllocationId: id }).rejectsOnce(authFailure).rejectsOnce(authFailure).rejectsOnce(eniGoing).resolves({});
    const events: EngineEvent[] = [];

    // WHEN they are destroyed
    const r = await runDestroy(only(elasticIpsStep), { env: t.env, state: t.state, onEvent: (e) => events.push(e) });

    // THEN each was released on its 4th try (none left billed by the hour), progress naming the refusal
    expect(r.ok).toBe(true);
    expect(ec2.commandCalls(ReleaseAddressCommand).map((c) => c.args[0].input.AllocationId).sort()).toEqual([...Array(4).fill('eipalloc-00000001'), ...Array(4).fill('eipalloc-00000002')]);
    expect(events.some((e) => e.type === 'progress' && /AuthFailure/.test(e.message))).toBe(true);
  });

  it('the cleanup pass releases a leftover Elastic IP through the same refusals, and only that call takes AuthFailure for "not yet"', async () => {
    // GIVEN a leftover address AWS refuses twice, and a security group whose delete answers AuthFailure
    const authFailure = await sdkError(EC2Client, ReleaseAddressCommand, 'AuthFailure', 'You do not have permission to access the specified resource.');
    const eniGoing = await sdkError(EC2Client, ReleaseAddressCommand, 'InvalidNetworkInterfaceID.NotFound', "The networkInterface ID 'eni-0123456789abcdef0' does not exist");
    ec2.on(ReleaseAddressCommand).rejectsOnce(authFailure).rejectsOnce(eniGoing).resolves({});
    const sgAuth = await sdkError(EC2Client, DeleteSecurityGroupCommand, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
    ec2.on(DeleteSecurityGroupCommand).rejects(sgAuth);
    const aws = new AwsClients({ region: 'us-east-1' });
    // WHEN the cleanup pass deletes them
    const result = await deleteLeftovers(
      aws,
      [
        { type: 'elastic-ip', id: 'eipalloc-00000003' },
        { type: 'security-group', id: 'sg-00000009', name: 'unit-eip-alb' },
      ],
      { timing: FAST_TIMING },
    );
    aws.destroy();
    // THEN the address is released on the 3rd try; the group's AuthFailure is an error at once
    expect(result.deleted.map((d) => d.id)).toEqual(['eipalloc-00000003']);
    expect(ec2.commandCalls(ReleaseAddressCommand)).toHaveLength(3);
    expect(result.failed.map((f) => [f.item.id, (f.error as Error).name])).toEqual([['sg-00000009', 'AuthFailure']]);
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(1);
  });

  it('DeleteCluster refused for the container instances of terminated hosts whose agent had lost its connection: those are deregistered (force), a live one never', async () => {
    // GIVEN a cluster holding three container instances: i-1 terminated, i-2 forgotten by EC2, i-3 still running
    // (ECS deregisters i-3's itself once it terminates, two DeleteClusters later); ECS refuses the delete while any is registered
    const t = testStack({ stack: 'unit-ci' });
    await recorded(t, { cluster: { clusterName: 'unit-ci', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/unit-ci' } });
    const arn = (n: number): string => `arn:aws:ecs:us-east-1:123456789012:container-instance/unit-ci/ci${n}`;
    const registered = new Map([[arn(1), 'i-00000001'], [arn(2), 'i-00000002'], [arn(3), 'i-00000003']]);
    const holding = await sdkError(ECSClient, DeleteClusterCommand, 'ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.');
    let deletes = 0;
    ecs.on(DeleteClusterCommand).callsFake(async () => {
      if (++deletes === 3) registered.delete(arn(3));
      if (registered.size) throw holding;
      return {};
    });
    ecs.on(ListContainerInstancesCommand).callsFake(async () => ({ containerInstanceArns: [...registered.keys()] }));
    ecs.on(DescribeContainerInstancesCommand).callsFake(async (input: { containerInstances: string[] }) => ({
      containerInstances: input.containerInstances.map((a) => ({ containerInstanceArn: a, ec2InstanceId: registered.get(a), agentConnected: false })),
    }));
    ecs.on(DeregisterContainerInstanceCommand).callsFake(async (input: { containerInstance: string }) => (registered.delete(input.containerInstance), {}));
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-00000001', State: { Name: 'terminated' } }, { InstanceId: 'i-00000003', State: { Name: 'running' } }] }],
    });
    const events: EngineEvent[] = [];

    // WHEN it is destroyed
    const r = await runDestroy(only(clusterStep), { env: t.env, state: t.state, onEvent: (e) => events.push(e) });

    // THEN the two of terminated hosts were deregistered with force, the running host's never, and the cluster went
    expect(r.ok).toBe(true);
    expect(ecs.commandCalls(DeregisterContainerInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'unit-ci', containerInstance: arn(1), force: true },
      { cluster: 'unit-ci', containerInstance: arn(2), force: true },
    ]);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toEqual([{ Name: 'instance-id', Values: ['i-00000001', 'i-00000002', 'i-00000003'] }]);
    expect(events.some((e) => e.type === 'progress' && e.message.includes('of terminated instance i-00000001'))).toBe(true);
    expect(deletes).toBe(3);
  });

  it.each([
    ['ClusterContainsCapacityProviderException', 'The cluster contains one or more capacity providers that prevent the requested operation.'],
    ['UpdateInProgressException', 'There is already a current update in progress on the cluster.'],
  ])('DeleteCluster answering %s (a provider still being detached, an update under way) is retried', async (code, message) => {
    const t = testStack({ stack: 'unit-cp' });
    await recorded(t, { cluster: { clusterName: 'unit-cp', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/unit-cp' } });
    ecs.onAnyCommand().resolves({});
    failThenSucceed(ecs.on(DeleteClusterCommand), await sdkError(ECSClient, DeleteClusterCommand, code, message), 2);
    const r = await runDestroy(only(clusterStep), { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(ecs.commandCalls(DeleteClusterCommand)).toHaveLength(3);
    expect(ecs.commandCalls(DeregisterContainerInstanceCommand)).toHaveLength(0);
  });
});

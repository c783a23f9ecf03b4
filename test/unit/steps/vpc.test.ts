import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CreateVpcCommand, DeleteVpcCommand, DescribeVpcsCommand, EC2Client, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { runCreate, runDestroy } from '../../../src/engine/engine.js';
import { existingVpcStep, vpcStep } from '../../../src/steps/stack/vpc.js';
import { isWizardError } from '../../../src/errors.js';
import { testStack } from '../../support/stack.js';
import { sdkError } from '../../support/aws-wire.js';

const ec2 = mockClient(EC2Client);
afterEach(() => ec2.reset());

describe('VPC step (scripted AWS)', () => {
  it('destroy of a VPC that is already gone is success', async () => {
    // GIVEN a recorded VPC that someone already deleted
    const t = testStack({ stack: 'gone' });
    await t.state.put({ stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-0123456789abcdef0', cidr: '10.0.0.0/16' }, updatedAt: 'x' });
    ec2.on(DeleteVpcCommand).rejects(await sdkError(EC2Client, DeleteVpcCommand, 'InvalidVpcID.NotFound', "The vpc ID 'vpc-0123456789abcdef0' does not exist"));
    // WHEN destroy runs
    const r = await runDestroy([vpcStep], { env: t.env, state: t.state });
    // THEN it succeeds and records the VPC as destroyed
    expect(r.ok).toBe(true);
    expect(r.results[0]!.outcome).toBe('destroyed');
    expect(t.state.get('vpc')!.status).toBe('destroyed');
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(1);
  });

  it('destroy retries while AWS reports DependencyViolation, then deletes', async () => {
    const t = testStack({ stack: 'linger' });
    await t.state.put({ stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-0123456789abcdef0' }, updatedAt: 'x' });
    const inUse = await sdkError(EC2Client, DeleteVpcCommand, 'DependencyViolation', "The vpc 'vpc-0123456789abcdef0' has dependencies and cannot be deleted.");
    ec2.on(DeleteVpcCommand).rejectsOnce(inUse).rejectsOnce(inUse).resolves({});
    const r = await runDestroy([vpcStep], { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(3);
  });

  it('a recorded VPC that vanished is looked up by tag, and created anew when none is found', async () => {
    const t = testStack({ stack: 'fresh' });
    await t.state.put({ stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-0123456789abcdef0' }, updatedAt: 'x' });
    ec2.on(DescribeVpcsCommand, { VpcIds: ['vpc-0123456789abcdef0'] }).rejects(await sdkError(EC2Client, DescribeVpcsCommand, 'InvalidVpcID.NotFound', "The vpc ID 'vpc-0123456789abcdef0' does not exist"));
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2.on(CreateVpcCommand).resolves({ Vpc: { VpcId: 'vpc-0fedcba9876543210', State: 'pending' } });
    ec2.on(ModifyVpcAttributeCommand).resolves({});
    // the SDK waiter polls DescribeVpcs by id: answer "available" for the new VPC
    ec2.on(DescribeVpcsCommand, { VpcIds: ['vpc-0fedcba9876543210'] }).resolves({ Vpcs: [{ VpcId: 'vpc-0fedcba9876543210', State: 'available' }] });
    const r = await runCreate([vpcStep], { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(t.state.get('vpc')!.outputs.vpcId).toBe('vpc-0fedcba9876543210');
    expect(ec2.commandCalls(CreateVpcCommand)[0]!.args[0].input.TagSpecifications?.[0]?.Tags).toContainEqual({ Key: 'ecs-wizard:stack', Value: 'fresh' });
    expect(ec2.commandCalls(ModifyVpcAttributeCommand)[0]!.args[0].input.EnableDnsHostnames).toEqual({ Value: true });
  });

  it('an existing VPC that does not exist is an input error naming network.vpcId', async () => {
    const t = testStack({ stack: 'reuse', network: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] } });
    ec2.on(DescribeVpcsCommand).rejects(await sdkError(EC2Client, DescribeVpcsCommand, 'InvalidVpcID.NotFound', "The vpc ID 'vpc-0123456789abcdef0' does not exist"));
    const r = await runCreate([existingVpcStep], { env: t.env, state: t.state });
    const err = r.results[0]!.error;
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain('network.vpcId');
    expect(ec2.commandCalls(CreateVpcCommand)).toHaveLength(0);
  });
});

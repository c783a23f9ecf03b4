import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { runCreate, runDestroy } from '../../../src/engine/engine.js';
import type { Step } from '../../../src/engine/types.js';
import { isReadOperation } from '../../../src/aws/clients.js';
import type { StackEnv } from '../../../src/steps/env.js';
import {
  executionRoleStep,
  instanceProfileStep,
  instanceRoleStep,
  trustPolicy,
} from '../../../src/steps/iam.js';
import { testStack } from '../../support/stack.js';
import { sdkError } from '../../support/aws-wire.js';

/** AWS's own ARNs for the two managed policies in the aws partition, written out as AWS gives them. */
const INSTANCE_ROLE_POLICY_ARN = 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role';
const EXECUTION_ROLE_POLICY_ARN = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

/** IAM's answers as the SDK raises them (wire code NoSuchEntity → NoSuchEntityException, DeleteConflict → DeleteConflictException). */
const noSuchEntity = (Command: Parameters<typeof sdkError>[1]) => sdkError(IAMClient, Command, 'NoSuchEntity', 'The role with name shop-ecs-instance cannot be found.', { status: 404 });
const deleteConflict = (Command: Parameters<typeof sdkError>[1]) => sdkError(IAMClient, Command, 'DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', { status: 409 });

/** Operations the mock received that would change something in AWS. */
function mutations(): string[] {
  return iam
    .calls()
    .map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''))
    .filter((op) => !isReadOperation(op));
}

const OURS = [{ Key: 'ecs-wizard:stack', Value: 'shop' }];
const EC2_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

describe('IAM steps (scripted AWS)', () => {
  it('creates both roles with exact trust policies and only the two AWS-managed policies', async () => {
    // GIVEN no role or profile exists
    const t = testStack({ stack: 'shop' });
    iam.on(GetRoleCommand).rejects(await noSuchEntity(GetRoleCommand));
    iam.on(GetInstanceProfileCommand).rejects(await noSuchEntity(GetInstanceProfileCommand));
    iam.on(CreateRoleCommand).callsFake((input: { RoleName: string }) => ({ Role: { RoleName: input.RoleName, Arn: `arn:aws:iam::123456789012:role/${input.RoleName}` } }));
    iam.on(CreateInstanceProfileCommand).resolves({ InstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/shop-ecs-instance' } as never });

    // WHEN the IAM steps are created
    const r = await runCreate([instanceRoleStep, instanceProfileStep, executionRoleStep], { env: t.env, state: t.state });

    // THEN each role trusts exactly its one service and is tagged
    expect(r.ok).toBe(true);
    const created = Object.fromEntries(iam.commandCalls(CreateRoleCommand).map((c) => [c.args[0].input.RoleName, c.args[0].input]));
    expect(JSON.parse(created['shop-ecs-instance']!.AssumeRolePolicyDocument!)).toEqual(EC2_TRUST);
    expect(JSON.parse(created['shop-ecs-task-execution']!.AssumeRolePolicyDocument!)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(created['shop-ecs-instance']!.Tags).toContainEqual({ Key: 'ecs-wizard:stack', Value: 'shop' });

    // AND the only permissions granted are the two AWS-managed policies — no inline policy, nothing broader
    const attachments = iam.commandCalls(AttachRolePolicyCommand).map((c) => [c.args[0].input.RoleName, c.args[0].input.PolicyArn]);
    expect(attachments.sort()).toEqual(
      [
        ['shop-ecs-instance', 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role'],
        ['shop-ecs-task-execution', 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'],
      ].sort(),
    );
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);

    // AND the profile is tagged and holds the instance role
    expect(iam.commandCalls(CreateInstanceProfileCommand)[0]!.args[0].input.Tags).toContainEqual({ Key: 'ecs-wizard:stack', Value: 'shop' });
    expect(iam.commandCalls(AddRoleToInstanceProfileCommand)[0]!.args[0].input).toEqual({ InstanceProfileName: 'shop-ecs-instance', RoleName: 'shop-ecs-instance' });
    expect(t.state.get('instance-profile')!.outputs).toEqual({
      instanceProfileName: 'shop-ecs-instance',
      instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/shop-ecs-instance',
    });
  });

  it('a role and profile that are already right cause no mutating call', async () => {
    // GIVEN a tagged role with the exact trust policy and its policy, and a profile holding it
    const t = testStack({ stack: 'shop' });
    iam.on(GetRoleCommand).resolves({
      Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:role', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(EC2_TRUST)), Tags: OURS } as never,
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: INSTANCE_ROLE_POLICY_ARN }] });
    iam.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: { InstanceProfileName: 'shop-ecs-instance', Arn: 'arn:profile', Roles: [{ RoleName: 'shop-ecs-instance' }], Tags: OURS } as never,
    });
    // WHEN create runs
    const r = await runCreate([instanceRoleStep, instanceProfileStep], { env: t.env, state: t.state });
    // THEN both are found and nothing is changed
    expect(r.results.map((x) => x.outcome)).toEqual(['exists', 'exists']);
    expect(mutations()).toEqual([]);
  });

  it('converges a missing policy, a changed trust policy and an empty profile on rerun', async () => {
    // GIVEN an interrupted create: role without its policy and with a stale trust policy, empty profile
    const t = testStack({ stack: 'shop' });
    iam.on(GetRoleCommand).resolves({
      Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:role', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicy('ecs.amazonaws.com'))), Tags: OURS } as never,
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(GetInstanceProfileCommand).resolves({ InstanceProfile: { InstanceProfileName: 'shop-ecs-instance', Arn: 'arn:profile', Roles: [], Tags: OURS } as never });
    // WHEN create runs
    const r = await runCreate([instanceRoleStep, instanceProfileStep], { env: t.env, state: t.state });
    // THEN it repairs exactly those three things and creates nothing
    expect(r.ok).toBe(true);
    expect(mutations().sort()).toEqual(['AddRoleToInstanceProfile', 'AttachRolePolicy', 'UpdateAssumeRolePolicy']);
    expect(JSON.parse(iam.commandCalls(UpdateAssumeRolePolicyCommand)[0]!.args[0].input.PolicyDocument!)).toEqual(EC2_TRUST);
    expect(iam.commandCalls(AttachRolePolicyCommand)[0]!.args[0].input.PolicyArn).toBe(INSTANCE_ROLE_POLICY_ARN);
  });

  it('refuses to adopt a role of the same name that ecs-wizard did not make', async () => {
    const t = testStack({ stack: 'shop' });
    // GIVEN someone else's role with our name
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'shop-ecs-task-execution', Arn: 'arn:role', Tags: [] } as never });
    // WHEN create runs
    const r = await runCreate([executionRoleStep], { env: t.env, state: t.state });
    // THEN it fails with DRIFT and touches nothing
    expect(r.results[0]!.error).toMatchObject({ code: 'DRIFT' });
    expect(mutations()).toEqual([]);
  });

  it('destroy detaches policies, unlinks profiles, and retries DeleteConflict until it clears', async () => {
    // GIVEN a recorded role with its policy, still briefly in conflict
    const t = testStack({ stack: 'shop' });
    await t.state.put({ stepId: 'execution-role', status: 'created', outputs: { roleName: 'shop-ecs-task-execution', roleArn: 'arn:role' }, updatedAt: 'x' });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: EXECUTION_ROLE_POLICY_ARN }] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    iam.on(DetachRolePolicyCommand).resolves({});
    const conflict = await deleteConflict(DeleteRoleCommand);
    iam.on(DeleteRoleCommand).rejectsOnce(conflict).rejectsOnce(conflict).resolves({});
    // WHEN destroy runs
    const r = await runDestroy([executionRoleStep], { env: t.env, state: t.state });
    // THEN the policy is detached first and the role deleted on the third try
    expect(r.ok).toBe(true);
    expect(iam.commandCalls(DetachRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: 'shop-ecs-task-execution', PolicyArn: EXECUTION_ROLE_POLICY_ARN });
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(3);
  });

  it('destroy of a role or profile already deleted is success', async () => {
    // GIVEN recorded IAM resources that no longer exist
    const t = testStack({ stack: 'shop' });
    await t.state.put({ stepId: 'instance-role', status: 'created', outputs: { roleName: 'shop-ecs-instance', roleArn: 'arn:role' }, updatedAt: 'x' });
    await t.state.put({ stepId: 'instance-profile', status: 'created', outputs: { instanceProfileName: 'shop-ecs-instance', instanceProfileArn: 'arn:p' }, updatedAt: 'x' });
    iam.on(ListAttachedRolePoliciesCommand).rejects(await noSuchEntity(ListAttachedRolePoliciesCommand));
    iam.on(GetInstanceProfileCommand).rejects(await noSuchEntity(GetInstanceProfileCommand));
    // WHEN destroy runs
    const r = await runDestroy([instanceRoleStep, instanceProfileStep], { env: t.env, state: t.state });
    // THEN both count as destroyed and no delete was attempted on something absent
    expect(r.ok).toBe(true);
    expect(r.results.map((x) => x.outcome)).toEqual(['destroyed', 'destroyed']);
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeleteInstanceProfileCommand)).toHaveLength(0);
  });

  it('destroy removes the role from the profile before deleting the profile', async () => {
    const t = testStack({ stack: 'shop' });
    await t.state.put({ stepId: 'instance-profile', status: 'created', outputs: { instanceProfileName: 'shop-ecs-instance', instanceProfileArn: 'arn:p' }, updatedAt: 'x' });
    iam.on(GetInstanceProfileCommand).resolves({ InstanceProfile: { InstanceProfileName: 'shop-ecs-instance', Roles: [{ RoleName: 'shop-ecs-instance' }] } as never });
    iam.on(RemoveRoleFromInstanceProfileCommand).resolves({});
    iam.on(DeleteInstanceProfileCommand).rejectsOnce(await deleteConflict(DeleteInstanceProfileCommand)).resolves({});
    const plan: Step<StackEnv>[] = [{ ...instanceProfileStep, dependsOn: [] }];
    const r = await runDestroy(plan, { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(mutations()).toEqual(['RemoveRoleFromInstanceProfile', 'DeleteInstanceProfile', 'DeleteInstanceProfile']);
  });
});

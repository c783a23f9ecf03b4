import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { runCreate, runDestroy } from '../../../src/engine/engine.js';
import type { Step } from '../../../src/engine/types.js';
import type { StackEnv } from '../../../src/steps/env.js';
import {
  executionRoleStep,
  instanceProfileStep,
  instanceRoleStep,
  trustPolicy,
} from '../../../src/steps/stack/iam.js';
import { taskRoleStep as taskRoleStepFor } from '../../../src/steps/service/task-role.js';
import { onPrimary } from '../../support/service-steps.js';

const taskRoleStep = onPrimary(taskRoleStepFor);
import { prepareBoundary } from '../../../src/steps/boundary.js';
import { boundaryDocument } from '../../../src/aws/boundary.js';
import { stepContext } from '../../support/step-context.js';
import { testStack } from '../../support/stack.js';
import { sdkError } from '../../support/aws-wire.js';
import { mutationsOf } from '../../support/mocked-calls.js';

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
  return mutationsOf(iam);
}

const OURS = [{ Key: 'ecs-wizard:stack', Value: 'shop' }];
/** The account's boundary, as IAM names it in the aws partition (testStack's account is 123456789012). */
const BOUNDARY_ARN = 'arn:aws:iam::123456789012:policy/ecs-wizard-boundary';
const BOUNDED = { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: BOUNDARY_ARN };

/** IAM has the boundary (its default version the tool's document), or has none (NoSuchEntity). */
async function accountBoundary(exists: boolean, arn = BOUNDARY_ARN): Promise<void> {
  if (exists) {
    iam.on(GetPolicyCommand, { PolicyArn: arn }).resolves({ Policy: { Arn: arn, PolicyName: 'ecs-wizard-boundary', DefaultVersionId: 'v1' } });
    iam.on(GetPolicyVersionCommand, { PolicyArn: arn }).resolves({ PolicyVersion: { VersionId: 'v1', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(boundaryDocument())) } });
  } else {
    iam.on(GetPolicyCommand).rejects(await sdkError(IAMClient, GetPolicyCommand, 'NoSuchEntity', `Policy ${arn} was not found.`, { status: 404 }));
  }
}

/** IAM's answer to an operator's CreatePolicy: AccessDenied (403) in the query protocol's format. */
const createPolicyDenied = () =>
  sdkError(IAMClient, CreatePolicyCommand, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/operator is not authorized to perform: iam:CreatePolicy on resource: policy ecs-wizard-boundary because no identity-based policy allows the iam:CreatePolicy action', { status: 403 });
const EC2_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

describe('IAM steps (scripted AWS)', () => {
  it('creates both roles with exact trust policies, the boundary, and only the two AWS-managed policies', async () => {
    // GIVEN no role or profile exists, and the account has no boundary yet (an administrator's first create)
    const t = testStack({ stack: 'shop' });
    await accountBoundary(false);
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

    // AND both carry the boundary, made once for the run from the tool's own document
    expect([created['shop-ecs-instance']!.PermissionsBoundary, created['shop-ecs-task-execution']!.PermissionsBoundary]).toEqual([BOUNDARY_ARN, BOUNDARY_ARN]);
    expect(iam.commandCalls(CreatePolicyCommand).map((c) => [c.args[0].input.PolicyName, JSON.parse(c.args[0].input.PolicyDocument!)])).toEqual([['ecs-wizard-boundary', boundaryDocument()]]);

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
    // GIVEN a tagged, bounded role with the exact trust policy and its policy, and a profile holding it
    const t = testStack({ stack: 'shop' });
    await accountBoundary(true);
    iam.on(GetRoleCommand).resolves({
      Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:role', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(EC2_TRUST)), Tags: OURS, PermissionsBoundary: BOUNDED } as never,
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

  it('converges a missing policy, a changed trust policy and an empty profile on rerun — the boundary first', async () => {
    // GIVEN an interrupted create by an earlier release: role without boundary and policy, a stale trust policy, an empty profile
    const t = testStack({ stack: 'shop' });
    await accountBoundary(true);
    iam.on(GetRoleCommand).resolves({
      Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:role', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicy('ecs.amazonaws.com'))), Tags: OURS } as never,
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(GetInstanceProfileCommand).resolves({ InstanceProfile: { InstanceProfileName: 'shop-ecs-instance', Arn: 'arn:profile', Roles: [], Tags: OURS } as never });
    // WHEN create runs
    const r = await runCreate([instanceRoleStep, instanceProfileStep], { env: t.env, state: t.state });
    // THEN it repairs exactly those four things and creates nothing — the boundary before the policy
    // (the operator policy lets a policy be attached only to a role that carries it)
    expect(r.ok).toBe(true);
    expect(mutations()).toEqual(['PutRolePermissionsBoundary', 'UpdateAssumeRolePolicy', 'AttachRolePolicy', 'AddRoleToInstanceProfile']);
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]!.args[0].input).toEqual({ RoleName: 'shop-ecs-instance', PermissionsBoundary: BOUNDARY_ARN });
    expect(JSON.parse(iam.commandCalls(UpdateAssumeRolePolicyCommand)[0]!.args[0].input.PolicyDocument!)).toEqual(EC2_TRUST);
    expect(iam.commandCalls(AttachRolePolicyCommand)[0]!.args[0].input.PolicyArn).toBe(INSTANCE_ROLE_POLICY_ARN);
  });

  it('a stack an earlier release made, in an account without the boundary: a warning, and not one mutating call', async () => {
    // GIVEN both roles exist, right but unbounded, and the account has no boundary policy
    const t = testStack({ stack: 'shop' });
    await accountBoundary(false);
    iam.on(GetRoleCommand, { RoleName: 'shop-ecs-instance' }).resolves({ Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:i', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(EC2_TRUST)), Tags: OURS } as never });
    iam.on(GetRoleCommand, { RoleName: 'shop-ecs-task-execution' }).resolves({
      Role: { RoleName: 'shop-ecs-task-execution', Arn: 'arn:e', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicy('ecs-tasks.amazonaws.com'))), Tags: OURS } as never,
    });
    iam.on(ListAttachedRolePoliciesCommand, { RoleName: 'shop-ecs-instance' }).resolves({ AttachedPolicies: [{ PolicyArn: INSTANCE_ROLE_POLICY_ARN }] });
    iam.on(ListAttachedRolePoliciesCommand, { RoleName: 'shop-ecs-task-execution' }).resolves({ AttachedPolicies: [{ PolicyArn: EXECUTION_ROLE_POLICY_ARN }] });
    // WHEN create's preflight and the role steps run
    const warnings = await prepareBoundary(t.env, { dryRun: false });
    const r = await runCreate([instanceRoleStep, executionRoleStep], { env: t.env, state: t.state });
    // THEN the boundary is not made (no role needs creating), the roles are found as they are, and one warning says what to do
    expect(r.results.map((x) => x.outcome)).toEqual(['exists', 'exists']);
    expect(mutations()).toEqual([]);
    expect(warnings).toEqual(['The IAM roles of stack shop carry no permissions boundary: run `ecs-wizard iam bootstrap` (an administrator, once per account), then create again.']);
  });

  it('an operator not allowed to make the missing boundary: create stops before any role exists, saying who runs bootstrap', async () => {
    // GIVEN a new stack, no boundary, and credentials IAM refuses CreatePolicy (the operator policy)
    const t = testStack({ stack: 'shop' });
    await accountBoundary(false);
    iam.on(GetRoleCommand).rejects(await noSuchEntity(GetRoleCommand));
    iam.on(CreatePolicyCommand).rejects(await createPolicyDenied());
    // WHEN create's preflight runs
    const err = await prepareBoundary(t.env, { dryRun: false }).catch((e: unknown) => e);
    // THEN it fails as an AWS refusal (exit 1) with the bootstrap hint, and the one call it made was the refused one
    expect(err).toMatchObject({ code: 'AWS', hint: expect.stringContaining('`ecs-wizard iam bootstrap`') });
    expect((err as Error).message).toContain('arn:aws:iam::123456789012:policy/ecs-wizard-boundary');
    expect(mutations()).toEqual(['CreatePolicy']);
    // AND a role step of the same run does not try again, nor create a role without the boundary
    const step = await runCreate([instanceRoleStep], { env: t.env, state: t.state });
    expect(step.results[0]!.error).toMatchObject({ code: 'AWS' });
    expect(iam.commandCalls(CreateRoleCommand)).toHaveLength(0);
    expect(iam.commandCalls(CreatePolicyCommand)).toHaveLength(1);
  });

  it('a changed trust policy the caller may not put back is DRIFT, with the administrator\'s command', async () => {
    // GIVEN a bounded role whose trust someone changed, and credentials without iam:UpdateAssumeRolePolicy
    const t = testStack({ stack: 'shop' });
    await accountBoundary(true);
    iam.on(GetRoleCommand).resolves({
      Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:role', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicy('lambda.amazonaws.com'))), Tags: OURS, PermissionsBoundary: BOUNDED } as never,
    });
    iam.on(UpdateAssumeRolePolicyCommand).rejects(await sdkError(IAMClient, UpdateAssumeRolePolicyCommand, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/operator is not authorized to perform: iam:UpdateAssumeRolePolicy', { status: 403 }));
    // WHEN create runs
    const r = await runCreate([instanceRoleStep], { env: t.env, state: t.state });
    // THEN the step fails with DRIFT naming the role, and the hint is the exact command that restores it
    expect(r.results[0]!.error).toMatchObject({ code: 'DRIFT', message: expect.stringContaining('shop-ecs-instance') });
    expect((r.results[0]!.error as { hint: string }).hint).toContain(`aws iam update-assume-role-policy --role-name shop-ecs-instance --policy-document '${JSON.stringify(EC2_TRUST)}'`);
  });

  it('the task role: made bounded with exactly the answers\' policies; a rerun attaches what was added and detaches what was dropped', async () => {
    const s3Read = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    const sqs = 'arn:aws:iam::123456789012:policy/shop-queue';
    // GIVEN answers naming two policies, and no task role yet
    const t = testStack({ stack: 'shop', service: { taskRolePolicies: [s3Read, sqs] } });
    await accountBoundary(true);
    iam.on(GetRoleCommand).rejects(await noSuchEntity(GetRoleCommand));
    iam.on(CreateRoleCommand).resolves({ Role: { Arn: 'arn:aws:iam::123456789012:role/shop-ecs-task' } as never });
    // WHEN the task role is created
    const r = await runCreate([taskRoleStep], { env: t.env, state: t.state });
    // THEN it trusts ECS tasks, carries the boundary and the two policies
    expect(r.ok).toBe(true);
    const input = iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ RoleName: 'shop-ecs-task', PermissionsBoundary: BOUNDARY_ARN });
    expect(JSON.parse(input.AssumeRolePolicyDocument!)).toEqual(trustPolicy('ecs-tasks.amazonaws.com'));
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).toEqual([s3Read, sqs]);
    expect(t.state.get('task-role')!.outputs).toEqual({ roleName: 'shop-ecs-task', roleArn: 'arn:aws:iam::123456789012:role/shop-ecs-task' });

    // GIVEN the answers now list another policy instead of the queue's, and the role is there as made
    iam.reset();
    const u = testStack({ stack: 'shop', service: { taskRolePolicies: [s3Read, 'arn:aws:iam::aws:policy/AmazonSNSFullAccess'] } });
    await accountBoundary(true);
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'shop-ecs-task', Arn: 'arn:task', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicy('ecs-tasks.amazonaws.com'))), Tags: OURS, PermissionsBoundary: BOUNDED } as never });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: s3Read }, { PolicyArn: sqs }] });
    // WHEN create runs again
    await runCreate([taskRoleStep], { env: u.env, state: u.state });
    // THEN exactly the added one is attached and the dropped one detached
    expect(mutations()).toEqual(['AttachRolePolicy', 'DetachRolePolicy']);
    expect(iam.commandCalls(AttachRolePolicyCommand)[0]!.args[0].input.PolicyArn).toBe('arn:aws:iam::aws:policy/AmazonSNSFullAccess');
    expect(iam.commandCalls(DetachRolePolicyCommand)[0]!.args[0].input.PolicyArn).toBe(sqs);
  });

  it('refuses to adopt a role of the same name that ecs-wizard did not make', async () => {
    const t = testStack({ stack: 'shop' });
    await accountBoundary(true);
    // GIVEN someone else's role with our name
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'shop-ecs-task-execution', Arn: 'arn:role', Tags: [] } as never });
    // WHEN create runs
    const r = await runCreate([executionRoleStep], { env: t.env, state: t.state });
    // THEN it fails with DRIFT and touches nothing
    expect(r.results[0]!.error).toMatchObject({ code: 'DRIFT' });
    expect(mutations()).toEqual([]);
  });

  it('destroy detaches policies, unlinks profiles, and retries DeleteConflict until it clears', async () => {
    // GIVEN a recorded, bounded role with its policy, still briefly in conflict
    const t = testStack({ stack: 'shop' });
    await t.state.put({ stepId: 'execution-role', status: 'created', outputs: { roleName: 'shop-ecs-task-execution', roleArn: 'arn:role' }, updatedAt: 'x' });
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'shop-ecs-task-execution', Arn: 'arn:role', Tags: OURS, PermissionsBoundary: BOUNDED } as never });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: EXECUTION_ROLE_POLICY_ARN }] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    iam.on(DetachRolePolicyCommand).resolves({});
    const conflict = await deleteConflict(DeleteRoleCommand);
    iam.on(DeleteRoleCommand).rejectsOnce(conflict).rejectsOnce(conflict).resolves({});
    // WHEN destroy runs
    const r = await runDestroy([executionRoleStep], { env: t.env, state: t.state });
    // THEN the policy is detached first and the role deleted on the third try; the boundary is left as it was
    expect(r.ok).toBe(true);
    expect(iam.commandCalls(DetachRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: 'shop-ecs-task-execution', PolicyArn: EXECUTION_ROLE_POLICY_ARN });
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(3);
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)).toHaveLength(0);
  });

  it('destroy bounds a role an earlier release made before clearing it (the operator policy detaches only from bounded roles)', async () => {
    // GIVEN an unbounded role of an earlier release, with its policy and an inline one, in an account that has the boundary
    const t = testStack({ stack: 'shop' });
    await accountBoundary(true);
    await t.state.put({ stepId: 'execution-role', status: 'created', outputs: { roleName: 'shop-ecs-task-execution', roleArn: 'arn:role' }, updatedAt: 'x' });
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'shop-ecs-task-execution', Arn: 'arn:role', Tags: OURS } as never });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: EXECUTION_ROLE_POLICY_ARN }] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['shop-secrets'] });
    iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    // WHEN destroy runs
    const r = await runDestroy([executionRoleStep], { env: t.env, state: t.state });
    // THEN the boundary goes on first, then the policies come off and the role goes
    expect(r.ok).toBe(true);
    expect(mutations()).toEqual(['PutRolePermissionsBoundary', 'DetachRolePolicy', 'DeleteRolePolicy', 'DeleteRole']);
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]!.args[0].input.PermissionsBoundary).toBe(BOUNDARY_ARN);
  });

  it('destroy of a role or profile already deleted is success', async () => {
    // GIVEN recorded IAM resources that no longer exist
    const t = testStack({ stack: 'shop' });
    await t.state.put({ stepId: 'instance-role', status: 'created', outputs: { roleName: 'shop-ecs-instance', roleArn: 'arn:role' }, updatedAt: 'x' });
    await t.state.put({ stepId: 'instance-profile', status: 'created', outputs: { instanceProfileName: 'shop-ecs-instance', instanceProfileArn: 'arn:p' }, updatedAt: 'x' });
    iam.on(GetRoleCommand).rejects(await noSuchEntity(GetRoleCommand));
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

describe.each([
  ['cn-north-1', 'aws-cn'],
  ['us-gov-west-1', 'aws-us-gov'],
])('IAM steps in %s: every ARN in the %s partition', (region, partition) => {
  const boundary = `arn:${partition}:iam::123456789012:policy/ecs-wizard-boundary`;
  const managed = (name: string) => `arn:${partition}:iam::aws:policy/service-role/${name}`;

  it('a new role: the boundary is looked up, made and set in the partition, the managed policy attached in it', async () => {
    // GIVEN no boundary and no role, in a region of that partition
    const t = testStack({ stack: 'shop', region });
    iam.on(GetPolicyCommand).rejects(await sdkError(IAMClient, GetPolicyCommand, 'NoSuchEntity', `Policy ${boundary} was not found.`, { status: 404 }));
    iam.on(GetRoleCommand).rejects(await noSuchEntity(GetRoleCommand));
    iam.on(CreateRoleCommand).resolves({ Role: { Arn: `arn:${partition}:iam::123456789012:role/shop-ecs-task-execution` } as never });
    // WHEN create's preflight and the execution role run
    await prepareBoundary(t.env, { dryRun: false });
    await runCreate([executionRoleStep], { env: t.env, state: t.state });
    // THEN every ARN sent names the partition
    expect(iam.commandCalls(GetPolicyCommand)[0]!.args[0].input.PolicyArn).toBe(boundary);
    expect(iam.commandCalls(CreateRoleCommand)[0]!.args[0].input.PermissionsBoundary).toBe(boundary);
    expect(iam.commandCalls(AttachRolePolicyCommand)[0]!.args[0].input.PolicyArn).toBe(managed('AmazonECSTaskExecutionRolePolicy'));
  });

  it('repair and rerun: the retrofitted boundary and the re-attached policy are in the partition, and the rerun after it sends nothing', async () => {
    // GIVEN the account has the boundary; the instance role of an earlier release has neither it nor its policy
    const t = testStack({ stack: 'shop', region });
    await accountBoundary(true, boundary);
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:role', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(EC2_TRUST)), Tags: OURS } as never });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    // WHEN create runs
    await runCreate([instanceRoleStep], { env: t.env, state: t.state });
    // THEN the repairs name the partition's ARNs
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]!.args[0].input.PermissionsBoundary).toBe(boundary);
    expect(iam.commandCalls(AttachRolePolicyCommand)[0]!.args[0].input.PolicyArn).toBe(managed('AmazonEC2ContainerServiceforEC2Role'));

    // GIVEN the role now as repaired (IAM reports the partition's ARNs back)
    iam.reset();
    const u = testStack({ stack: 'shop', region });
    await accountBoundary(true, boundary);
    iam.on(GetRoleCommand).resolves({
      Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:role', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(EC2_TRUST)), Tags: OURS, PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: boundary } } as never,
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: managed('AmazonEC2ContainerServiceforEC2Role') }] });
    // WHEN create runs again
    const r = await runCreate([instanceRoleStep], { env: u.env, state: u.state });
    // THEN it finds the role right: the comparisons used the same partition, so not one mutating call
    expect(r.results[0]!.outcome).toBe('exists');
    expect(mutations()).toEqual([]);
    expect(iam.commandCalls(GetPolicyCommand)[0]!.args[0].input.PolicyArn).toBe(boundary);
  });

  it('destroy of an earlier release\'s role bounds it in the partition', async () => {
    const t = testStack({ stack: 'shop', region });
    await accountBoundary(true, boundary);
    await t.state.put({ stepId: 'instance-role', status: 'created', outputs: { roleName: 'shop-ecs-instance', roleArn: 'arn:role' }, updatedAt: 'x' });
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'shop-ecs-instance', Arn: 'arn:role', Tags: OURS } as never });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    await runDestroy([instanceRoleStep], { env: t.env, state: t.state });
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]!.args[0].input.PermissionsBoundary).toBe(boundary);
  });
});

describe('the boundary document', () => {
  it('grants no IAM or STS action, no wildcard, and covers both AWS-managed policies the roles carry', () => {
    const actions = boundaryDocument().Statement.flatMap((s) => s.Action);
    expect(actions.filter((a) => /^(iam|sts):/.test(a) || a.includes('*'))).toEqual([]);
    expect(new Set(actions).size).toBe(actions.length);
    // AmazonEC2ContainerServiceforEC2Role and AmazonECSTaskExecutionRolePolicy as AWS publishes them (ecs:Submit* spelled out)
    const managed = [
      'ec2:DescribeTags', 'ecs:CreateCluster', 'ecs:DeregisterContainerInstance', 'ecs:DiscoverPollEndpoint', 'ecs:Poll', 'ecs:RegisterContainerInstance',
      'ecs:StartTelemetrySession', 'ecs:UpdateContainerInstancesState', 'ecs:SubmitAttachmentStateChanges', 'ecs:SubmitContainerStateChange', 'ecs:SubmitTaskStateChange',
      'ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'logs:CreateLogStream', 'logs:PutLogEvents',
      'ecs:TagResource', 'ecs:ListTagsForResource',
    ];
    expect(managed.filter((a) => !actions.includes(a))).toEqual([]);
    // AND what the secrets policy grants and the ECS Exec channel
    expect(['ssm:GetParameters', 'secretsmanager:GetSecretValue', 'kms:Decrypt', 'ssmmessages:CreateControlChannel', 'ssmmessages:OpenDataChannel'].filter((a) => !actions.includes(a))).toEqual([]);
  });
});

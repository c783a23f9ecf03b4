import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CreateServiceCommand, DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { boundaryDocument } from '../../../src/aws/boundary.js';
import { runCreate } from '../../../src/engine/engine.js';
import { buildPlan } from '../../../src/steps/index.js';
import { EXEC_POLICY_NAME, execPolicyDocument } from '../../../src/steps/service/exec.js';
import { serviceStep as serviceStepFor } from '../../../src/steps/service/service.js';
import { taskRoleStep as taskRoleStepFor } from '../../../src/steps/service/task-role.js';
import { trustPolicy } from '../../../src/steps/stack/iam.js';
import { buildReviewPlan } from '../../../src/wizard/plan.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { sdkError } from '../../support/aws-wire.js';
import { mutationsOf } from '../../support/mocked-calls.js';
import { onPrimary } from '../../support/service-steps.js';
import { stepContext } from '../../support/step-context.js';
import { testStack } from '../../support/stack.js';

/**
 * ECS Exec as steps (issue 24): `exec: true` puts `enableExecuteCommand` on the service with a new
 * deployment, and the ssmmessages channels on the service's task role — made for it when the
 * answers list no policies, within the boundary. A stack without exec gains nothing: 0 mutating calls.
 */
const ecs = mockClient(ECSClient);
const iam = mockClient(IAMClient);
afterEach(() => {
  ecs.reset();
  iam.reset();
});
const mutations = mutationsOf;

const taskRoleStep = onPrimary(taskRoleStepFor);
const serviceStep = onPrimary(serviceStepFor);
const BOUNDARY_ARN = 'arn:aws:iam::123456789012:policy/ecs-wizard-boundary';
const OURS = [{ Key: 'ecs-wizard:stack', Value: 'shop' }];
const ROLE = { RoleName: 'shop-ecs-task', Arn: 'arn:aws:iam::123456789012:role/shop-ecs-task', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicy('ecs-tasks.amazonaws.com'))), Tags: OURS, PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: BOUNDARY_ARN } };

async function accountHasBoundary(): Promise<void> {
  iam.on(GetPolicyCommand).resolves({ Policy: { Arn: BOUNDARY_ARN, DefaultVersionId: 'v1' } });
  iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: encodeURIComponent(JSON.stringify(boundaryDocument())) } });
}
const noInline = async () => iam.on(GetRolePolicyCommand).rejects(await sdkError(IAMClient, GetRolePolicyCommand, 'NoSuchEntity', 'The role policy with name ecs-exec cannot be found.', { status: 404 }));

describe('ECS Exec: the task role', () => {
  it('exec alone makes a task role (bounded) carrying only the channels: the inline policy ecs-exec, no managed policy', async () => {
    const t = testStack({ stack: 'shop', service: { exec: true } });
    await accountHasBoundary();
    iam.on(GetRoleCommand).rejects(await sdkError(IAMClient, GetRoleCommand, 'NoSuchEntity', 'The role with name shop-ecs-task cannot be found.', { status: 404 }));
    iam.on(CreateRoleCommand).resolves({ Role: { Arn: ROLE.Arn } as never });
    const r = await runCreate([taskRoleStep], { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(mutations(iam)).toEqual(['CreateRole', 'PutRolePolicy']);
    expect(iam.commandCalls(CreateRoleCommand)[0]!.args[0].input).toMatchObject({ RoleName: 'shop-ecs-task', PermissionsBoundary: BOUNDARY_ARN });
    const put = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ RoleName: 'shop-ecs-task', PolicyName: EXEC_POLICY_NAME });
    expect(JSON.parse(put.PolicyDocument!)).toEqual(execPolicyDocument());
    expect(JSON.parse(put.PolicyDocument!).Statement[0].Action).toEqual(['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']);
    expect(iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(0);
  });

  it('a rerun with the channels in place changes nothing; exec turned off removes them and keeps the managed policies', async () => {
    const s3 = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    await accountHasBoundary();
    iam.on(GetRoleCommand).resolves({ Role: ROLE as never });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: s3 }] });
    iam.on(GetRolePolicyCommand).resolves({ RoleName: 'shop-ecs-task', PolicyName: EXEC_POLICY_NAME, PolicyDocument: encodeURIComponent(JSON.stringify(execPolicyDocument())) });
    const on = testStack({ stack: 'shop', service: { exec: true, taskRolePolicies: [s3] } });
    await taskRoleStep.find(stepContext(on.env).ctx);
    expect(mutations(iam)).toEqual([]);
    const off = testStack({ stack: 'shop', service: { taskRolePolicies: [s3] } });
    await taskRoleStep.find(stepContext(off.env).ctx);
    expect(mutations(iam)).toEqual(['DeleteRolePolicy']);
    expect(iam.commandCalls(DeleteRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: 'shop-ecs-task', PolicyName: EXEC_POLICY_NAME });
  });

  it('a task role of a stack without exec (an earlier release\'s) gains nothing: one read, 0 mutating calls', async () => {
    await accountHasBoundary();
    iam.on(GetRoleCommand).resolves({ Role: ROLE as never });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    await noInline();
    await taskRoleStep.find(stepContext(testStack({ stack: 'shop', service: { taskRolePolicies: [] } }).env).ctx);
    expect(mutations(iam)).toEqual([]);
    expect(iam.commandCalls(GetRolePolicyCommand)).toHaveLength(1);
  });

  it('the plan: a task role for exec without policies; none for a role the user brings, nor without exec', () => {
    const ids = (service: object) => buildPlan(validateAnswers({ stack: 'shop', service })).map((s) => s.id);
    expect(ids({ exec: true })).toContain('task-role');
    expect(ids({})).not.toContain('task-role');
    expect(ids({ exec: true, taskRoleArn: 'arn:aws:iam::123456789012:role/ecs-wizard/shop-app' })).not.toContain('task-role');
  });
});

describe('ECS Exec: the ECS service', () => {
  const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop:2';
  const DEPS = {
    cluster: { clusterName: 'shop', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop' },
    'target-group': { targetGroupArn: 'arn:tg', targetGroupName: 'shop-tg' },
    'task-definition': { taskDefinitionArn: TD, family: 'shop', revision: 2 },
  };
  const active = (extra: Partial<Service> = {}): Service => ({ serviceName: 'shop', serviceArn: 'arn:s', status: 'ACTIVE', taskDefinition: TD, desiredCount: 2, ...extra });

  it('a service of a stack without exec (ECS reports false, or nothing at all) is left as it is', async () => {
    for (const reported of [{ enableExecuteCommand: false }, {}]) {
      ecs.on(DescribeServicesCommand).resolves({ services: [active(reported)] });
      await serviceStep.find(stepContext(testStack({ stack: 'shop' }).env, { outputs: DEPS }).ctx);
    }
    expect(mutations(ecs)).toEqual([]);
  });

  it('exec turned on: one UpdateService allowing it, with a new deployment (only new tasks can be reached); off again the same way', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [active({ enableExecuteCommand: false })] });
    ecs.on(UpdateServiceCommand).resolves({ service: active({ enableExecuteCommand: true }) });
    const { ctx, progress } = stepContext(testStack({ stack: 'shop', service: { exec: true } }).env, { outputs: DEPS });
    await serviceStep.find(ctx);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'shop', service: 'shop', forceNewDeployment: true, enableExecuteCommand: true }]);
    expect(progress).toContain('turning ECS Exec on: new tasks start');
    ecs.resetHistory();
    ecs.on(DescribeServicesCommand).resolves({ services: [active({ enableExecuteCommand: true })] });
    await serviceStep.find(stepContext(testStack({ stack: 'shop' }).env, { outputs: DEPS }).ctx);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'shop', service: 'shop', forceNewDeployment: true, enableExecuteCommand: false }]);
    // (only looking never changes it)
    ecs.resetHistory();
    await serviceStep.find(stepContext(testStack({ stack: 'shop', service: { exec: true } }).env, { outputs: DEPS, repair: false }).ctx);
    expect(mutations(ecs)).toEqual([]);
  });

  it('a new service with exec allows it from the start; without, the request does not name it', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    ecs.on(CreateServiceCommand).resolves({ service: active() });
    await serviceStep.create(stepContext(testStack({ stack: 'shop', service: { exec: true } }).env, { outputs: DEPS }).ctx);
    await serviceStep.create(stepContext(testStack({ stack: 'shop' }).env, { outputs: DEPS }).ctx);
    const [withExec, without] = ecs.commandCalls(CreateServiceCommand).map((c) => c.args[0].input);
    expect(withExec!.enableExecuteCommand).toBe(true);
    expect(without!.enableExecuteCommand).toBeUndefined();
  });
});

describe('ECS Exec in the review', () => {
  it('says who can open a shell, what the task role carries, and warns that a brought role gets nothing added', () => {
    const plan = buildReviewPlan(validateAnswers({ stack: 'shop', service: { exec: true } }), { region: 'us-east-1' });
    expect(plan.access).toContain("shop's containers: a shell (ECS Exec, `ecs-wizard exec`) for anyone allowed ecs:ExecuteCommand on cluster shop");
    expect(plan.service.taskRole).toBe('shop-ecs-task (the ECS Exec channels (ssmmessages); within the permissions boundary)');
    expect(buildReviewPlan(validateAnswers({ stack: 'shop' }), { region: 'us-east-1' }).access.join('\n')).not.toContain('ECS Exec');
    const brought = buildReviewPlan(validateAnswers({ stack: 'shop', service: { exec: true, taskRoleArn: 'arn:aws:iam::123456789012:role/ecs-wizard/shop-app' } }), { region: 'us-east-1' });
    expect(brought.warnings).toContainEqual(expect.stringContaining('service.exec with service.taskRoleArn: that role is yours, and ecs-wizard adds nothing to it — give it ssmmessages:CreateControlChannel'));
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateClusterCommand, DescribeClustersCommand, ECSClient, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, UpdateClusterSettingsCommand } from '@aws-sdk/client-ecs';
import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { clusterStep } from '../../../src/steps/stack/cluster.js';
import { buildPlan } from '../../../src/steps/index.js';
import { logGroupStep } from '../../../src/steps/stack/log-group.js';
import { checkSecretsExist, secretPlace, secretResource, secretsPolicy, secretsPolicyStep as secretsPolicyStepFor } from '../../../src/steps/service/secrets-policy.js';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsClients } from '../../../src/aws/clients.js';
import { WizardError, isWizardError } from '../../../src/errors.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { taskDefinitionStep as taskDefinitionStepFor } from '../../../src/steps/service/task-definition.js';
import { buildReviewPlan } from '../../../src/wizard/plan.js';
import { redactAnswers, secretLookingNames } from '../../../src/wizard/redact.js';
import { renderPlan } from '../../../src/wizard/review.js';
import { testStack } from '../../support/stack.js';
import { stepContext } from '../../support/step-context.js';
import { sdkError } from '../../support/aws-wire.js';
import { onPrimary } from '../../support/service-steps.js';
const secretsPolicyStep = onPrimary(secretsPolicyStepFor);
const taskDefinitionStep = onPrimary(taskDefinitionStepFor);

const logs = mockClient(CloudWatchLogsClient);
const ecs = mockClient(ECSClient);
const iam = mockClient(IAMClient);
afterEach(() => {
  logs.reset();
  ecs.reset();
  iam.reset();
});

const GROUP_ARN = 'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/shop';
const SSM_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-password';
const SM_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/api-key-AbCdEf';
const ROLE = { roleName: 'shop-ecs-task-execution', roleArn: 'arn:aws:iam::123456789012:role/shop-ecs-task-execution' };

describe('CloudWatch Logs group step', () => {
  it('finds the exact name only (the prefix also lists /ecs/shop-web) and creates a tagged group with retention', async () => {
    // GIVEN only a group of another stack sharing the prefix
    const t = testStack({ stack: 'shop', service: { logRetentionDays: 30 } });
    logs.on(DescribeLogGroupsCommand).resolvesOnce({ logGroups: [{ logGroupName: '/ecs/shop-web', arn: `${GROUP_ARN}-web:*` }] }).resolves({ logGroups: [{ logGroupName: '/ecs/shop', arn: `${GROUP_ARN}:*`, retentionInDays: 30 }] });
    logs.on(CreateLogGroupCommand).resolves({});
    logs.on(PutRetentionPolicyCommand).resolves({});
    const { ctx, notes } = stepContext(t.env);
    // WHEN found, then created
    expect(await logGroupStep.find(ctx)).toBeUndefined();
    const out = await logGroupStep.create(ctx);
    // THEN the group is /ecs/<stack>, tagged, kept 30 days, its name noted before the retention call
    expect(out).toEqual({ logGroupName: '/ecs/shop', logGroupArn: GROUP_ARN, retentionInDays: 30 });
    const input = logs.commandCalls(CreateLogGroupCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ logGroupName: '/ecs/shop', tags: expect.objectContaining({ 'ecs-wizard:stack': 'shop' }) });
    expect(logs.commandCalls(PutRetentionPolicyCommand)[0]!.args[0].input).toEqual({ logGroupName: '/ecs/shop', retentionInDays: 30 });
    expect(notes).toContainEqual({ logGroupName: '/ecs/shop' });
  });

  it('repairs a changed retention only in a real create', async () => {
    const t = testStack({ stack: 'shop', service: { logRetentionDays: 7 } });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/ecs/shop', arn: `${GROUP_ARN}:*`, retentionInDays: 14 }] });
    logs.on(PutRetentionPolicyCommand).resolves({});
    // WHEN found without repair (status, dry run) THEN nothing is changed
    expect(await logGroupStep.find(stepContext(t.env, { repair: false }).ctx)).toMatchObject({ retentionInDays: 14 });
    expect(logs.commandCalls(PutRetentionPolicyCommand)).toHaveLength(0);
    // WHEN found in a create THEN the retention is set to the answer
    expect(await logGroupStep.find(stepContext(t.env).ctx)).toMatchObject({ retentionInDays: 7 });
    expect(logs.commandCalls(PutRetentionPolicyCommand)[0]!.args[0].input.retentionInDays).toBe(7);
  });

  it('a group that already exists at create (a lost answer) is converged, not an error', async () => {
    const t = testStack({ stack: 'shop' });
    logs.on(CreateLogGroupCommand).rejects(await sdkError(CloudWatchLogsClient, CreateLogGroupCommand, 'ResourceAlreadyExistsException', 'The specified log group already exists'));
    logs.on(PutRetentionPolicyCommand).resolves({});
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/ecs/shop', arn: `${GROUP_ARN}:*` }] });
    expect(await logGroupStep.create(stepContext(t.env).ctx)).toMatchObject({ logGroupName: '/ecs/shop', retentionInDays: 14 });
  });

  it('destroy deletes the group and treats ResourceNotFoundException as done', async () => {
    const t = testStack({ stack: 'shop' });
    const gone = await sdkError(CloudWatchLogsClient, DeleteLogGroupCommand, 'ResourceNotFoundException', 'The specified log group does not exist.');
    const denied = await sdkError(CloudWatchLogsClient, DeleteLogGroupCommand, 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: logs:DeleteLogGroup');
    logs.on(DeleteLogGroupCommand).rejectsOnce(gone).rejects(denied);
    await logGroupStep.destroy!(stepContext(t.env).ctx, { logGroupName: '/ecs/shop' });
    await expect(logGroupStep.destroy!(stepContext(t.env).ctx, { logGroupName: '/ecs/shop' })).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('is planned only with logs on, and the task definition depends on it only then', () => {
    const on = buildPlan(testStack({ stack: 'shop' }).answers);
    expect(on.find((s) => s.id === 'task-definition')!.dependsOn).toContain('log-group');
    const off = buildPlan(testStack({ stack: 'shop', service: { logs: false } }).answers);
    expect(off.map((s) => s.id)).not.toContain('log-group');
    expect(off.find((s) => s.id === 'task-definition')!.dependsOn).not.toContain('log-group');
  });
});

describe('task definition: awslogs and secrets', () => {
  it('registers logConfiguration awslogs and secrets by ARN (no value), and a rerun with the same answers finds it', async () => {
    const t = testStack({ stack: 'shop', service: { secrets: { DB_PASSWORD: SSM_ARN } } });
    const outputs = { 'execution-role': ROLE, 'log-group': { logGroupName: '/ecs/shop', logGroupArn: GROUP_ARN, retentionInDays: 14 } };
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input) => ({ taskDefinition: { ...input, taskDefinitionArn: 'arn:td:1', revision: 1 } }));
    const { ctx } = stepContext(t.env, { outputs });
    await taskDefinitionStep.create(ctx);
    const c = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.containerDefinitions![0]!;
    expect(c.logConfiguration).toEqual({ logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/shop', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' } });
    expect(c.secrets).toEqual([{ name: 'DB_PASSWORD', valueFrom: SSM_ARN }]);
  });

  it('a revision without logConfiguration does not match answers with logs on (a new revision is registered)', async () => {
    const t = testStack({ stack: 'shop' });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: ['arn:aws:ecs:us-east-1:1:task-definition/shop:1'] });
    const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: 'arn:td', family: 'shop', revision: 1, networkMode: 'bridge', executionRoleArn: ROLE.roleArn, containerDefinitions: [{ name: 'app', image: 'nginx:latest', cpu: 256, memory: 512, essential: true, portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp' }], environment: [] }] },
    });
    const outputs = { 'execution-role': ROLE, 'log-group': { logGroupName: '/ecs/shop', logGroupArn: GROUP_ARN, retentionInDays: 14 } };
    expect(await taskDefinitionStep.find(stepContext(t.env, { outputs }).ctx)).toBeUndefined();
    const noLogs = testStack({ stack: 'shop', service: { logs: false } });
    expect(await taskDefinitionStep.find(stepContext(noLogs.env, { outputs: { 'execution-role': ROLE } }).ctx)).toMatchObject({ revision: 1 });
  });
});

describe('secrets policy on the execution role', () => {
  it('grants ssm:GetParameters and secretsmanager:GetSecretValue on exactly the named ARNs', () => {
    expect(secretsPolicy([SM_ARN, SSM_ARN].sort())).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [SSM_ARN] },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [SM_ARN] },
      ],
    });
  });

  it('grants a Secrets Manager secret by its own ARN, whatever key, stage or version valueFrom names', () => {
    const where = { region: 'us-east-1', accountId: '123456789012' };
    // a full ARN with a JSON key (and empty stage and version): IAM matches the secret, never the key
    expect(secretResource('arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::', where)).toBe('arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf');
    expect(secretResource('arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf::AWSPREVIOUS:', where)).toBe('arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf');
    // a partial ARN (no random suffix), with and without a key: the suffix becomes six wildcards
    expect(secretResource('arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db', where)).toBe('arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-??????');
    expect(secretResource('arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db:password::', where)).toBe('arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-??????');
    // SSM: an ARN stays, a name in the stack's region becomes the ARN of that region and partition
    expect(secretResource(SSM_ARN, where)).toBe(SSM_ARN);
    expect(secretResource('/shop/db-password', where)).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-password');
    expect(secretResource('db-password', { region: 'cn-north-1', accountId: '123456789012' })).toBe('arn:aws-cn:ssm:cn-north-1:123456789012:parameter/db-password');
  });

  it('accepts an SSM parameter name and keyed or partial secret ARNs in the answers, and passes valueFrom to ECS unchanged', async () => {
    const secrets = { A: '/shop/db-password', B: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::', C: 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:api' };
    expect(validateAnswers({ stack: 'shop', service: { secrets } }).service!.secrets).toEqual(secrets);
    const t = testStack({ stack: 'shop', service: { secrets } });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:td', family: 'shop', revision: 1 } });
    await taskDefinitionStep.create(stepContext(t.env, { outputs: { 'execution-role': ROLE } }).ctx);
    const c = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.containerDefinitions![0]!;
    expect(c.secrets).toEqual(Object.entries(secrets).map(([name, valueFrom]) => ({ name, valueFrom })));
  });

  it('puts a policy naming each secret by its IAM resource: suffix wildcard, no JSON key, SSM names as ARNs of the region', async () => {
    // GIVEN secrets given in every form ECS accepts, in a China region
    const t = testStack({
      stack: 'shop',
      region: 'cn-north-1',
      service: {
        secrets: {
          DB: 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf:password::',
          API: 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:api',
          TOKEN: '/shop/token',
        },
      },
    });
    iam.on(GetRolePolicyCommand).rejects(await sdkError(IAMClient, GetRolePolicyCommand, 'NoSuchEntity', 'The role policy with name shop-secrets cannot be found.', { status: 404 }));
    iam.on(PutRolePolicyCommand).resolves({});
    const { ctx } = stepContext(t.env, { outputs: { 'execution-role': ROLE } });
    // WHEN the step creates the policy
    expect(await secretsPolicyStep.find(ctx)).toBeUndefined();
    await secretsPolicyStep.create(ctx);
    // THEN IAM gets resources it can match
    const doc = JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!) as { Statement: { Action: string; Resource: string[] }[] };
    expect(doc.Statement).toEqual([
      { Effect: 'Allow', Action: 'ssm:GetParameters', Resource: ['arn:aws-cn:ssm:cn-north-1:123456789012:parameter/shop/token'] },
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: ['arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:api-??????', 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf'],
      },
    ]);
  });

  it('puts the inline policy <stack>-secrets when missing, and finds it unchanged on a rerun', async () => {
    const t = testStack({ stack: 'shop', service: { secrets: { DB_PASSWORD: SSM_ARN, API_KEY: SM_ARN } } });
    const outputs = { 'execution-role': ROLE };
    iam.on(GetRolePolicyCommand).rejectsOnce(await sdkError(IAMClient, GetRolePolicyCommand, 'NoSuchEntity', 'The role policy with name shop-secrets cannot be found.', { status: 404 }));
    iam.on(PutRolePolicyCommand).resolves({});
    const { ctx } = stepContext(t.env, { outputs });
    expect(await secretsPolicyStep.find(ctx)).toBeUndefined();
    await secretsPolicyStep.create(ctx);
    const put = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
    expect(put.RoleName).toBe(ROLE.roleName);
    expect(put.PolicyName).toBe('shop-secrets');
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(put.PolicyDocument!) });
    expect(await secretsPolicyStep.find(ctx)).toEqual({ roleName: ROLE.roleName, policyName: 'shop-secrets', secretArns: [SM_ARN, SSM_ARN].sort() });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
  });

  it('removes a stale policy when the answers no longer name secrets (only in a real create)', async () => {
    const t = testStack({ stack: 'shop' });
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(secretsPolicy([SSM_ARN]))) });
    iam.on(DeleteRolePolicyCommand).resolves({});
    expect(await secretsPolicyStep.find(stepContext(t.env, { outputs: { 'execution-role': ROLE }, repair: false }).ctx)).toBeUndefined();
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    expect(await secretsPolicyStep.find(stepContext(t.env, { outputs: { 'execution-role': ROLE } }).ctx)).toMatchObject({ secretArns: [] });
    expect(iam.commandCalls(DeleteRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: ROLE.roleName, PolicyName: 'shop-secrets' });
  });

  it('with no secrets and no policy, a find is a no-op (zero mutating calls)', async () => {
    const t = testStack({ stack: 'shop' });
    iam.on(GetRolePolicyCommand).rejects(await sdkError(IAMClient, GetRolePolicyCommand, 'NoSuchEntity', 'The role policy with name shop-secrets cannot be found.', { status: 404 }));
    expect(await secretsPolicyStep.find(stepContext(t.env, { outputs: { 'execution-role': ROLE } }).ctx)).toMatchObject({ secretArns: [] });
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });
});

describe('Container Insights', () => {
  it('creates the cluster with the setting the answers ask for', async () => {
    const t = testStack({ stack: 'shop', cluster: { containerInsights: true } });
    ecs.on(CreateClusterCommand).resolves({ cluster: { clusterName: 'shop', clusterArn: 'arn:c' } });
    await clusterStep.create(stepContext(t.env).ctx);
    expect(ecs.commandCalls(CreateClusterCommand)[0]!.args[0].input.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
  });

  it('repairs the setting on a found cluster only in a real create, and leaves "enhanced" alone', async () => {
    const t = testStack({ stack: 'shop', cluster: { containerInsights: true } });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop', clusterArn: 'arn:c', status: 'ACTIVE', settings: [{ name: 'containerInsights', value: 'disabled' }] }] });
    ecs.on(UpdateClusterSettingsCommand).resolves({});
    await clusterStep.find(stepContext(t.env, { repair: false }).ctx);
    expect(ecs.commandCalls(UpdateClusterSettingsCommand)).toHaveLength(0);
    await clusterStep.find(stepContext(t.env).ctx);
    expect(ecs.commandCalls(UpdateClusterSettingsCommand)[0]!.args[0].input).toEqual({ cluster: 'shop', settings: [{ name: 'containerInsights', value: 'enabled' }] });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop', clusterArn: 'arn:c', status: 'ACTIVE', settings: [{ name: 'containerInsights', value: 'enhanced' }] }] });
    await clusterStep.find(stepContext(t.env).ctx);
    expect(ecs.commandCalls(UpdateClusterSettingsCommand)).toHaveLength(1);
  });
});

describe('redaction of secret-looking environment values', () => {
  const answers = testStack({ stack: 'shop', service: { environment: { DB_PASSWORD: 'hunter2', GITHUB_TOKEN: 'ghp_x', LOG_LEVEL: 'debug' }, secrets: { API_KEY: SM_ARN } } }).answers;

  it('replaces the values, keeps the rest and does not touch the answers it was given', () => {
    expect(secretLookingNames(answers)).toEqual(['DB_PASSWORD', 'GITHUB_TOKEN']);
    const r = redactAnswers(answers);
    expect(r.service!.environment).toEqual({ DB_PASSWORD: '***', GITHUB_TOKEN: '***', LOG_LEVEL: 'debug' });
    expect(answers.service!.environment.DB_PASSWORD).toBe('hunter2');
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  it('the review text and plan JSON never show environment values, and show secret names, logs and Container Insights', () => {
    const plan = buildReviewPlan(answers, { region: 'us-east-1', amiId: 'ami-12345678' });
    const text = renderPlan(plan);
    for (const out of [text, JSON.stringify(plan)]) {
      expect(out).not.toContain('hunter2');
      expect(out).not.toContain('ghp_x');
    }
    expect(text).toContain('secrets API_KEY');
    expect(text).toContain('logs CloudWatch Logs /ecs/shop, kept 14 days');
    expect(text).toContain('Container Insights off');
    expect(plan.resources.map((r) => r.stepId)).toEqual(expect.arrayContaining(['log-group', 'secrets-policy']));
  });
});

describe('answers schema', () => {
  it.each([
    [{ service: { secrets: { DB: 'arn:aws:s3:::bucket/key' } } }, 'service.secrets.DB'],
    [{ service: { secrets: { DB: 'arn:aws:ssm:us-east-1:parameter/db' } } }, 'service.secrets.DB'],
    [{ service: { logRetentionDays: 10 } }, 'service.logRetentionDays'],
    [{ cluster: { containerInsights: 'yes' } }, 'cluster.containerInsights'],
    [{ service: { environment: { DB: 'x' }, secrets: { DB: SSM_ARN } } }, 'service.secrets.DB'],
  ])('refuses %j naming %s', (input, path) => {
    expect(() => testStack({ stack: 'shop', ...(input as object) })).toThrow(expect.objectContaining({ problems: expect.arrayContaining([expect.objectContaining({ path })]) }));
  });

  it('defaults: logs on for 14 days, no secrets, Container Insights off', () => {
    const a = testStack({ stack: 'shop' }).answers;
    expect(a.service).toMatchObject({ logs: true, logRetentionDays: 14, secrets: {} });
    expect(a.cluster).toEqual({ containerInsights: false });
  });
});

describe('service.secrets must exist before anything is made (looked up, never read)', () => {
  const ssm = mockClient(SSMClient);
  const sts = mockClient(STSClient);
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => {
    ssm.reset();
    sts.reset();
    sm.reset();
  });
  const aws = () => new AwsClients({ region: 'us-east-1' });
  const failure = async (p: Promise<unknown>): Promise<WizardError> => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    if (!(err instanceof WizardError)) throw new Error(`expected a WizardError, got ${String(err)}`);
    return err;
  };

  it('reads where ECS looks: a name in the stack\'s region, an ARN in its own region and account, a secret', () => {
    expect(secretPlace('/shop/db', 'eu-west-1')).toEqual({ kind: 'ssm', region: 'eu-west-1', parameter: '/shop/db', byArn: false });
    expect(secretPlace('arn:aws-cn:ssm:cn-north-1:123456789012:parameter/shop/db', 'us-east-1')).toEqual({ kind: 'ssm', region: 'cn-north-1', account: '123456789012', parameter: 'shop/db', byArn: true });
    expect(secretPlace(SM_ARN, 'us-east-1')).toEqual({ kind: 'secretsmanager', region: 'us-east-1', account: '123456789012', secretId: SM_ARN });
    // (the secret itself: a JSON key, stage and version ECS reads from it are not part of its id)
    expect(secretPlace(`${SM_ARN}:password:AWSCURRENT:`, 'us-east-1')).toMatchObject({ kind: 'secretsmanager', secretId: SM_ARN });
  });

  it('asks DescribeParameters by name, 50 names a request, every page, and names each missing one without its text', async () => {
    // GIVEN 30 secrets by name (each asked with and without its leading slash: 60 names), of which the odd ones exist
    const secrets = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`S${i}`, `value-${i}`]));
    const existing = Object.values(secrets).filter((_, i) => i % 2 === 1);
    ssm.on(DescribeParametersCommand).callsFake((input: { ParameterFilters: { Values: string[] }[]; NextToken?: string }) => {
      const hits = existing.filter((n) => input.ParameterFilters[0]!.Values.includes(n));
      // Two pages per request: what a page holds, and the rest behind a token.
      return input.NextToken ? { Parameters: hits.slice(2).map((Name) => ({ Name })) } : { Parameters: hits.slice(0, 2).map((Name) => ({ Name })), NextToken: 'more' };
    });
    // WHEN checked
    const err = await failure(checkSecretsExist(aws(), 'shop', secrets, 'us-east-1'));
    // THEN two requests of at most 50 names (each followed to its last page), no value read, no account asked
    const filters = ssm.commandCalls(DescribeParametersCommand).map((c) => c.args[0].input);
    expect(filters.map((f) => [f.ParameterFilters![0]!.Values!.length, f.NextToken])).toEqual([[50, undefined], [50, 'more'], [10, undefined], [10, 'more']]);
    expect(filters.every((f) => f.ParameterFilters![0]!.Key === 'Name' && f.ParameterFilters![0]!.Option === 'Equals')).toBe(true);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    // AND each missing one is named, with the region and a parameter name to use — never the text it was given
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.problems.map((p) => p.path)).toEqual(Object.keys(secrets).sort().filter((k) => Number(k.slice(1)) % 2 === 0).map((k) => `service.secrets.${k}`));
    expect(err.problems[0]!.message).toBe(
      "names no SSM parameter in us-east-1 — a secret's value where its parameter's name belongs? (the text is not shown). Store the value with `aws ssm put-parameter --region us-east-1 --name /shop/s0 --type SecureString --value '…'` and give that name (or the parameter's ARN) here",
    );
    expect(err.message).not.toMatch(/value-\d/);
  });

  it('a Secrets Manager secret: DescribeSecret by its own ARN in its region; ResourceNotFoundException names the field, AccessDenied warns', async () => {
    sm.on(DescribeSecretCommand).callsFake(async (input: { SecretId: string }) => {
      if (input.SecretId.includes('gone')) throw await sdkError(SecretsManagerClient, DescribeSecretCommand, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      if (input.SecretId.includes('theirs')) throw await sdkError(SecretsManagerClient, DescribeSecretCommand, 'AccessDeniedException', 'not authorized to perform: secretsmanager:DescribeSecret');
      return { ARN: input.SecretId };
    });
    const gone = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf';
    const theirs = 'arn:aws:secretsmanager:us-east-1:210987654321:secret:theirs-AbCdEf';
    const err = await failure(checkSecretsExist(aws(), 'shop', { A: `${SM_ARN}:password::`, B: `${gone}::AWSPREVIOUS:`, C: theirs }, 'us-east-1'));
    expect(sm.commandCalls(DescribeSecretCommand).map((c) => c.args[0].input.SecretId).sort()).toEqual([SM_ARN, gone, theirs].sort());
    expect(err.problems).toEqual([
      { path: 'service.secrets.B', message: "names a Secrets Manager secret that does not exist in eu-west-1: create it (aws secretsmanager create-secret --region eu-west-1 --name <the name in the ARN> --secret-string '…'), or fix the ARN" },
    ]);
    // (no SSM lookup, and never a value read)
    expect(ssm.commandCalls(DescribeParametersCommand)).toHaveLength(0);
  });

  it('an ARN of this account is looked up in its region; of another account, or where the lookup is refused, a warning', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
    sm.on(DescribeSecretCommand, { SecretId: SM_ARN }).resolves({ ARN: SM_ARN, Name: 'shop/api-key' });
    ssm.on(DescribeParametersCommand).callsFake(async (_input: unknown, client: () => SSMClient) => {
      if ((await client().config.region()) === 'us-east-1') throw await sdkError(SSMClient, DescribeParametersCommand, 'AccessDeniedException', 'not authorized to perform: ssm:DescribeParameters');
      return { Parameters: [{ Name: '/shop/api-key' }] };
    });
    const { warnings } = await checkSecretsExist(aws(), 'shop', { API_KEY: 'arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key', DB: '/shop/db', OTHER: 'arn:aws:ssm:us-east-1:210987654321:parameter/team/token', TOKEN: SM_ARN }, 'us-east-1');
    expect(warnings).toEqual([
      "service.secrets.OTHER could not be checked: it is a parameter of account 210987654321, and DescribeParameters lists only this account's. ECS can read it only if that account shares it.",
      'service.secrets.DB could not be checked in us-east-1: ssm:DescribeParameters was refused (AccessDeniedException). Make sure the parameter exists, or ECS cannot start the tasks.',
    ]);
    // (one request per region, the eu-west-1 one with both forms of the ARN's name; the account asked once)
    const asked = await Promise.all(ssm.commandCalls(DescribeParametersCommand).map(async (c) => [await (c.thisValue as SSMClient).config.region(), c.args[0].input.ParameterFilters![0]!.Values]));
    expect(asked.sort()).toEqual([['eu-west-1', ['shop/api-key', '/shop/api-key']], ['us-east-1', ['shop/db', '/shop/db']]]);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
  });

  it('any other failure is an AWS error naming the code only (its message may quote the names asked, which may be secrets)', async () => {
    ssm.on(DescribeParametersCommand).rejects(await sdkError(SSMClient, DescribeParametersCommand, 'ValidationException', "Value 'hunter2' at 'parameterFilters' failed to satisfy constraint"));
    const err = await failure(checkSecretsExist(aws(), 'shop', { DB: 'hunter2' }, 'us-east-1'));
    expect(isWizardError(err, 'AWS')).toBe(true);
    expect(err.message).toBe('Could not check that the parameters service.secrets names exist in us-east-1: ssm:DescribeParameters answered ValidationException.');
    expect(err.cause).toBeUndefined();
  });

  it('no secrets, no call', async () => {
    expect(await checkSecretsExist(aws(), 'shop', {}, 'us-east-1')).toEqual({ warnings: [] });
    expect(ssm.commandCalls(DescribeParametersCommand)).toHaveLength(0);
  });
});

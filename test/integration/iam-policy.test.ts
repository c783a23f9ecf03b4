import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type AwsRequest, type StrictAws } from '../support/strict-aws.js';
import { PROTOCOL_BY_SIGNING_NAME } from '../support/aws-wire.js';
import { tempDir } from '../support/stack.js';
import { cliEnv, runCli } from '../e2e/cli.js';

/**
 * docs/iam-policy.json against the calls the tool really makes: the built CLI runs a stack's whole
 * life — create, a rerun, status, scale, destroy, a discover — through the strict-AWS proxy, whose
 * log sees every request on the wire, paginators and waiters included. Each request becomes the
 * IAM action it needs (signing name → IAM prefix, operation → action), and the policy must allow
 * it — on the resource it touched, where the request names one. New commands and calls are
 * checked as soon as they run here.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
const policy = JSON.parse(readFileSync(path.join(root, 'docs/iam-policy.json'), 'utf8')) as { Statement: Statement[] };
const list = (x: string | string[]): string[] => (Array.isArray(x) ? x : [x]);

/** The IAM prefix of each SigV4 signing name, where the two differ. */
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };
/** API operations whose IAM action has another name. */
const IAM_ACTION: Record<string, string> = {
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadBucket': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:DeleteObjects': 's3:DeleteObject',
};

function iamAction(req: Pick<AwsRequest, 'service' | 'operation'>): string {
  const action = `${IAM_PREFIX[req.service] ?? req.service}:${req.operation}`;
  return IAM_ACTION[action] ?? action;
}

/** The ARN (partition as a wildcard) of what a request acts on, where the policy scopes that service. */
function resourceOf(req: AwsRequest): string | undefined {
  if (req.service === 'iam') {
    const role = req.params.get('RoleName');
    const profile = req.params.get('InstanceProfileName');
    if (profile) return `arn:*:iam::*:instance-profile/${profile}`;
    if (role) return `arn:*:iam::*:role/${role}`;
  }
  if (req.service === 'logs' && typeof req.json?.logGroupName === 'string') return `arn:*:logs:*:*:log-group:${req.json.logGroupName}`;
  return undefined;
}

/** IAM's glob: `*` any run of characters, `?` one. Policy ARNs name the `aws` partition; any partition matches. */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value.replace(/^arn:\*:/, 'arn:aws:'));
}

/** The policy's conditions this tool relies on, checked against the request where it carries the key. */
function conditionHolds(s: Statement, req: AwsRequest): boolean {
  const arns = s.Condition?.ArnEquals?.['iam:PolicyARN'];
  if (arns && req.params.has('PolicyArn')) return list(arns).includes(req.params.get('PolicyArn')!.replace(/^arn:[^:]+:/, 'arn:aws:'));
  return true;
}

/** Why the policy does not allow `req`, or undefined when it does. */
function denial(req: AwsRequest): string | undefined {
  const action = iamAction(req);
  const resource = resourceOf(req);
  const granting = policy.Statement.filter((s) => list(s.Action).some((a) => globMatch(a, action)));
  if (!granting.length) return `${action}: no statement allows it`;
  const onResource = granting.filter((s) => resource === undefined || list(s.Resource).some((r) => globMatch(r, resource)));
  if (!onResource.length) return `${action} on ${resource}: allowed only on ${granting.flatMap((s) => list(s.Resource)).join(', ')}`;
  if (!onResource.some((s) => conditionHolds(s, req))) return `${action} with ${req.params.get('PolicyArn')}: the policy's condition does not allow it`;
  return undefined;
}

let moto: Moto;
let aws: StrictAws;
const seen: AwsRequest[] = [];

beforeAll(async () => {
  moto = await startMoto();
  aws = await startStrictAws(moto.endpoint);
  // A pass-through rule per protocol family records each request with its parameters (it answers nothing).
  aws.rules(
    Object.keys(PROTOCOL_BY_SIGNING_NAME).map((service) => ({
      name: `record-${service}`,
      service,
      operation: /.*/,
      respond: async (req: AwsRequest) => void seen.push(req),
    })),
  );
});
afterAll(async () => {
  await aws?.stop();
  await moto?.stop();
});

describe('docs/iam-policy.json covers every call of a stack\'s life', () => {
  it('allows each action the CLI sent, on the resources it touched', { timeout: 240_000 }, async () => {
    // GIVEN two stacks between them switching on every optional kind: ECR, logs, a secret, service
    // scaling on every metric; and the other way of launching and scaling instances
    const dir = tempDir('ecs-wizard-iam-');
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' }, dir);
    const stacks = {
      'iam-full': {
        service: { ecrRepository: 'iam-full-app', secrets: { DB_PASSWORD: 'arn:aws:ssm:us-east-1:123456789012:parameter/iam-full/db' } },
        scaling: { service: { targetCpuPercent: 60, targetMemoryPercent: 70, requestsPerTarget: 500 } },
      },
      'iam-legacy': { instances: { launch: 'configuration' }, scaling: { service: { enabled: false }, instances: { managed: false, targetCpuPercent: 60 } } },
    };
    const ran: string[] = [];
    const cli = async (...args: string[]): Promise<number | null> => {
      const r = await runCli([...args, '--endpoint-url', aws.endpoint, '--state-dir', path.join(dir, 'state')], { env, cwd: dir });
      ran.push(`${args.slice(0, 2).join(' ')} → ${r.code}`);
      if (r.code !== 0 && args[0] !== 'status') console.log(r.stderr);
      return r.code;
    };

    // WHEN each lives its whole life through the CLI (the two side by side)
    await Promise.all(
      Object.entries(stacks).map(async ([stack, answers]) => {
        const file = path.join(dir, `${stack}.json`);
        writeFileSync(file, JSON.stringify({ stack, region: 'us-east-1', ...answers }));
        expect(await cli('create', '--answers', file, '--yes', '--no-wait')).toBe(0);
        expect(await cli('create', '--answers', file, '--yes', '--no-wait')).toBe(0);
        await cli('status', stack); // unhealthy on moto (no tasks run): its calls are what count
        expect(await cli('scale', stack, ...(stack === 'iam-full' ? ['--max-count', '8'] : []), '--max-size', '5')).toBe(0);
        expect(await cli('destroy', stack, '--yes')).toBe(0);
        expect(await cli('destroy', stack, '--yes', '--discover')).toBe(0);
      }),
    );

    // THEN every request was sent, and the policy allows each on what it touched
    const actions = [...new Set(seen.map(iamAction))].sort();
    console.log(`iam-policy: ${ran.join('; ')}; ${seen.length} requests, ${actions.length} actions`);
    expect(seen.length).toBe(aws.requests.length);
    // (the runs reached every service the tool uses, so no family of calls went unchecked)
    expect(new Set(seen.map((r) => iamAction(r).split(':')[0]))).toEqual(
      new Set(['ec2', 'elasticloadbalancing', 'autoscaling', 'ecs', 'ecr', 'iam', 'logs', 'application-autoscaling', 'cloudwatch', 'ssm']),
    );
    const denied = [...new Set(seen.map(denial).filter((d): d is string => d !== undefined))].sort();
    expect(denied).toEqual([]);
  });
});

describe('the policy checker itself', () => {
  const req = (service: string, operation: string, params: Record<string, string> = {}, json?: Record<string, unknown>): AwsRequest => ({
    service,
    operation,
    method: 'POST',
    path: '/',
    headers: {},
    body: '',
    params: new URLSearchParams(params),
    json,
    read: false,
  });

  it('names the IAM action of a request, where it differs from the operation', () => {
    expect(iamAction({ service: 'monitoring', operation: 'DescribeAlarms' })).toBe('cloudwatch:DescribeAlarms');
    expect(iamAction({ service: 's3', operation: 'ListObjectsV2' })).toBe('s3:ListBucket');
    expect(iamAction({ service: 'ecs', operation: 'CreateCluster' })).toBe('ecs:CreateCluster');
  });

  it('refuses what the policy does not grant: another action, another role, another log group, another managed policy', () => {
    expect(denial(req('ec2', 'CreateVpc'))).toBeUndefined();
    expect(denial(req('ec2', 'CreateNatGateway'))).toMatch(/no statement allows it/);
    expect(denial(req('iam', 'CreateRole', { RoleName: 'shop-ecs-instance' }))).toBeUndefined();
    expect(denial(req('iam', 'CreateRole', { RoleName: 'admin' }))).toMatch(/allowed only on/);
    expect(denial(req('iam', 'AddRoleToInstanceProfile', { InstanceProfileName: 'shop-ecs-instance', RoleName: 'shop-ecs-instance' }))).toBeUndefined();
    expect(denial(req('logs', 'CreateLogGroup', {}, { logGroupName: '/ecs/shop' }))).toBeUndefined();
    expect(denial(req('logs', 'CreateLogGroup', {}, { logGroupName: '/other/shop' }))).toMatch(/allowed only on/);
    expect(denial(req('iam', 'AttachRolePolicy', { RoleName: 'shop-ecs-instance', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role' }))).toBeUndefined();
    expect(denial(req('iam', 'AttachRolePolicy', { RoleName: 'shop-ecs-instance', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }))).toMatch(/condition/);
  });
});

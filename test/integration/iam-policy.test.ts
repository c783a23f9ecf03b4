import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACMClient, ListTagsForCertificateCommand } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeAddressesCommand, DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand, DescribeNatGatewaysCommand, EC2Client, type Tag } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, GetPolicyCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { ListNamespacesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { isNotFound } from '../../src/aws/errors.js';
import { buildProgram } from '../../src/cli/main.js';
import { stackNames } from '../../src/steps/names.js';
import { simulatedRollout, ROLLOUT_RULE, type SimulatedRollout } from '../support/ecs-rollout.js';
import { TASK_RULE, tasksProfile, type TaskProfile } from '../support/ecs-tasks.js';
import { registerFakeAgents, runFakeAgents } from '../support/fake-agent.js';
import { startMoto, TEST_AWS_ENV, type Moto } from '../support/moto.js';
import { startStrictAws, type AwsRequest, type StrictAws } from '../support/strict-aws.js';
import { PROTOCOL_BY_SIGNING_NAME } from '../support/aws-wire.js';
import { RULE_PRICES, RULE_SERVICE_CONNECT, priceListRule, serviceConnectProfile, type StrictProfile } from '../support/strict-rules.js';
import { tempDir } from '../support/stack.js';
import { cliEnv, runCli } from '../e2e/cli.js';
import { oneServiceNames } from '../support/service-steps.js';

/**
 * docs/iam-policy.json against the calls the tool really makes: the built CLI runs every command
 * through the strict-AWS proxy, whose log sees every request on the wire, paginators and waiters
 * included — three stacks' whole lives (create, a rerun, status, scale, destroy, a discover), one
 * of them with day 2 (deploy, a rollout ECS rolls back, rollback, releases, logs, hosts, hosts
 * refresh), one kept in S3 (state init, state migrate, list, unlock), one in the production shape
 * (HTTPS on a domain, private subnets behind NAT gateways, Spot). Each request becomes the IAM
 * action it needs (signing name → IAM prefix, operation → action), and the policy must allow it —
 * on the resource it touched and under the statement's conditions, where the request shows them.
 * New commands and calls are checked as soon as they run here.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
/** The S3 statements name the state bucket and prefix by placeholder, the optional KMS one its key, the boundary the account: this run's go in their place. */
const BUCKET = 'iam-team-state';
const PREFIX = 'teams';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ACCOUNT = '123456789012';
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/ecs-wizard-boundary`;
const policy = JSON.parse(
  readFileSync(path.join(root, 'docs/iam-policy.json'), 'utf8').replaceAll('STATE_BUCKET', BUCKET).replaceAll('STATE_PREFIX', PREFIX).replaceAll('KMS_KEY_ARN', KMS_KEY).replaceAll('ACCOUNT_ID', ACCOUNT).replaceAll('${aws:username}', 'moto'),
) as { Statement: Statement[] };
const list = (x: string | string[]): string[] => (Array.isArray(x) ? x : [x]);

/** The IAM prefix of each SigV4 signing name, where the two differ. */
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };
/** API operations whose IAM action has another name. */
const IAM_ACTION: Record<string, string> = {
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadBucket': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:DeleteObjects': 's3:DeleteObject',
  's3:GetBucketEncryption': 's3:GetEncryptionConfiguration',
  's3:PutBucketEncryption': 's3:PutEncryptionConfiguration',
  's3:GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
  's3:PutPublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3:GetBucketLifecycleConfiguration': 's3:GetLifecycleConfiguration',
  's3:PutBucketLifecycleConfiguration': 's3:PutLifecycleConfiguration',
};

function iamAction(req: Pick<AwsRequest, 'service' | 'operation'>): string {
  const action = `${IAM_PREFIX[req.service] ?? req.service}:${req.operation}`;
  return IAM_ACTION[action] ?? action;
}

/** The ARN (partition as a wildcard) of what a request acts on, where the policy scopes that service. */
function resourceOf(req: AwsRequest): string | undefined {
  switch (req.service) {
    case 'iam': {
      const role = req.params.get('RoleName');
      const profile = req.params.get('InstanceProfileName');
      const policyArn = req.params.get('PolicyArn');
      const policyName = req.params.get('PolicyName');
      // A simulation (exec's checks) is authorized on the principal it simulates.
      const source = req.params.get('PolicySourceArn');
      if (source) return source.replace(/^arn:[^:]+:/, 'arn:*:');
      if (profile) return `arn:*:iam::*:instance-profile/${profile}`;
      if (role) return `arn:*:iam::*:role/${role}`;
      // A managed policy: named by ARN (GetPolicy, CreatePolicyVersion, …), or by name when it is made.
      if (policyArn) return policyArn.replace(/^arn:[^:]+:/, 'arn:*:');
      if (req.operation === 'CreatePolicy' && policyName) return `arn:*:iam::${ACCOUNT}:policy/${policyName}`;
      return undefined;
    }
    case 'logs':
      return typeof req.json?.logGroupName === 'string' ? `arn:*:logs:*:*:log-group:${req.json.logGroupName}` : undefined;
    case 's3': {
      // Path-style, as the tool addresses S3 behind an endpoint: /BUCKET is the bucket, /BUCKET/KEY an object.
      const [bucket, ...key] = req.path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
      if (!bucket) return undefined;
      return key.length ? `arn:*:s3:::${bucket}/${key.join('/')}` : `arn:*:s3:::${bucket}`;
    }
    case 'route53': {
      const zone = /\/hostedzone\/([^/?]+)/.exec(req.path)?.[1];
      return zone ? `arn:*:route53:::hostedzone/${zone}` : undefined;
    }
    case 'ec2': {
      // The policy deletes only NAT gateways and releases only addresses; a call naming one acts on it.
      const nat = req.params.get('NatGatewayId');
      const address = req.params.get('AllocationId');
      if (nat) return `arn:*:ec2:*:*:natgateway/${nat}`;
      if (address) return `arn:*:ec2:*:*:elastic-ip/${address}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** IAM's glob: `*` any run of characters, `?` one. Policy ARNs name the `aws` partition; any partition matches. */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value.replace(/^arn:\*:/, 'arn:aws:'));
}

/** The tags on what a request acts on, as they were when it arrived; 'gone' when it no longer existed. */
type ResourceTags = Record<string, string> | 'gone';

const xmlValues = (body: string, element: string): string[] => [...body.matchAll(new RegExp(`<${element}>([^<]*)</${element}>`, 'g'))].map((m) => m[1]!);

/** A condition key's values in `req` (or in `context`), or undefined where the request does not carry the key. */
function conditionValues(key: string, req: AwsRequest, tags: ResourceTags | undefined, context: Record<string, string[]>): string[] | undefined {
  if (key in context) return context[key];
  switch (key) {
    case 'iam:PolicyARN': {
      const arn = req.params.get('PolicyArn');
      return arn ? [arn.replace(/^arn:[^:]+:/, 'arn:aws:')] : undefined;
    }
    case 'iam:PermissionsBoundary': {
      // CreateRole and PutRolePermissionsBoundary name the boundary they set; for the other role
      // writes it is the role's own, read from moto before the request (`boundaryBefore`, in context).
      if (!['CreateRole', 'PutRolePermissionsBoundary'].includes(req.operation)) return undefined;
      const arn = req.params.get('PermissionsBoundary');
      return arn ? [arn.replace(/^arn:[^:]+:/, 'arn:aws:')] : [];
    }
    case 'iam:AWSServiceName': {
      const name = req.params.get('AWSServiceName');
      return name ? [name] : undefined;
    }
    case 'route53:ChangeResourceRecordSetsActions':
      return req.operation === 'ChangeResourceRecordSets' ? xmlValues(req.body, 'Action') : undefined;
    case 'route53:ChangeResourceRecordSetsRecordTypes':
      return req.operation === 'ChangeResourceRecordSets' ? xmlValues(req.body, 'Type') : undefined;
  }
  const tag = /^aws:ResourceTag\/(.+)$/.exec(key)?.[1];
  if (tag && tags && tags !== 'gone') return tag in tags ? [tags[tag]!] : [];
  return undefined;
}

/** Why the statement's conditions refuse `req`, or undefined when they hold (or the request cannot show them). */
function conditionFailure(s: Statement, req: AwsRequest, tags: ResourceTags | undefined, context: Record<string, string[]>): string | undefined {
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    for (const [key, allowed] of Object.entries(keys)) {
      if (key.startsWith('aws:ResourceTag/') && tags === undefined) return `${key} is a condition, and the tags of what it acts on were not looked up (see tagsBefore)`;
      if (key === 'iam:PermissionsBoundary' && !(key in context) && !['CreateRole', 'PutRolePermissionsBoundary'].includes(req.operation)) {
        return `${key} is a condition, and the boundary of the role it acts on was not looked up (see boundaryBefore)`;
      }
      const values = conditionValues(key, req, tags, context);
      if (values === undefined) continue;
      if (operator === 'Null') {
        // "false": the key must be there (a tag on the resource).
        if ((values.length === 0) !== (String(allowed) === 'true')) return `the condition ${key} is ${String(allowed)}, and it is ${values.length ? values.join(', ') : 'absent'}`;
      } else if (['StringEquals', 'ArnEquals', 'ForAllValues:StringEquals'].includes(operator)) {
        // Without the key in the request StringEquals does not hold (ForAllValues holds on an empty set).
        if (values.length === 0 && !operator.startsWith('ForAllValues:')) return `the condition ${key} must be ${list(allowed).join(' or ')}, and the request has none`;
        const outside = values.filter((v) => !list(allowed).includes(v));
        if (outside.length) return `the condition ${key} allows ${list(allowed).join(', ')}, not ${outside.join(', ')}`;
      } else {
        return `the condition operator ${operator} is not understood by this check`;
      }
    }
  }
  return undefined;
}

/** Why the policy does not allow `action` on `resource` for `req`, or undefined when it does. */
function judge(action: string, resource: string | undefined, req: AwsRequest, tags: ResourceTags | undefined, context: Record<string, string[]> = {}): string | undefined {
  const granting = policy.Statement.filter((s) => list(s.Action).some((a) => globMatch(a, action)));
  if (!granting.length) return `${action}: no statement allows it`;
  const onResource = granting.filter((s) => resource === undefined || list(s.Resource).some((r) => globMatch(r, resource)));
  if (!onResource.length) return `${action} on ${resource}: allowed only on ${granting.flatMap((s) => list(s.Resource)).join(', ')}`;
  const failures = onResource.map((s) => conditionFailure(s, req, tags, context));
  if (failures.some((f) => f === undefined)) return undefined;
  return `${action}${resource ? ` on ${resource}` : ''}: ${failures[0]}`;
}

/** Why the policy does not allow `req`, or undefined when it does. */
function denial(req: AwsRequest, tags?: ResourceTags, context: Record<string, string[]> = {}): string | undefined {
  return judge(iamAction(req), resourceOf(req), req, tags, context);
}

/** The tagging action of each service, which AWS also authorizes when a create carries tags. */
const TAG_ON_CREATE: Record<string, string> = {
  ec2: 'ec2:CreateTags',
  elasticloadbalancing: 'elasticloadbalancing:AddTags',
  autoscaling: 'autoscaling:CreateOrUpdateTags',
  ecs: 'ecs:TagResource',
  ecr: 'ecr:TagResource',
  logs: 'logs:TagResource',
  acm: 'acm:AddTagsToCertificate',
  'application-autoscaling': 'application-autoscaling:TagResource',
  servicediscovery: 'servicediscovery:TagResource',
};

interface Implied {
  action: string;
  resource?: string;
  context?: Record<string, string[]>;
}

/**
 * What AWS authorizes for `req` besides its own action, unseen on the wire: tagging when a create
 * carries tags, iam:PassRole for the roles a task definition names or the instances of a launch
 * configuration or template will get (`passedToEc2`, looked up), ec2:RunInstances for a group
 * given a launch template.
 */
function impliedBy(req: AwsRequest, passedToEc2: string[] = []): Implied[] {
  const out: Implied[] = [];
  const nonEmpty = (t: unknown): boolean => (Array.isArray(t) ? t.length > 0 : typeof t === 'object' && t !== null && Object.keys(t).length > 0);
  const tagged = [...req.params.keys()].some((k) => /^(TagSpecification\.\d+\.|Tags\.member\.\d+\.)/.test(k)) || nonEmpty(req.json?.tags) || nonEmpty(req.json?.Tags);
  if (tagged && /^(Create|Register|Request|Allocate|Run)/.test(req.operation)) {
    const action = req.service === 'iam' ? (req.operation === 'CreateInstanceProfile' ? 'iam:TagInstanceProfile' : 'iam:TagRole') : TAG_ON_CREATE[req.service];
    out.push(action ? { action, resource: resourceOf(req) } : { action: `${req.service}:(the tagging action of ${req.operation})` });
  }
  const role = (arn: string, service: string): Implied => ({ action: 'iam:PassRole', resource: arn.replace(/^arn:[^:]+:/, 'arn:*:'), context: { 'iam:PassedToService': [service] } });
  if (req.service === 'ecs' && req.operation === 'RegisterTaskDefinition') {
    for (const key of ['executionRoleArn', 'taskRoleArn']) if (typeof req.json?.[key] === 'string') out.push(role(req.json[key], 'ecs-tasks.amazonaws.com'));
  }
  for (const arn of passedToEc2) out.push(role(arn, 'ec2.amazonaws.com'));
  if (req.service === 'autoscaling' && launchTemplateOf(req)) out.push({ action: 'ec2:RunInstances' });
  return out;
}

/** The launch template a group request names (plainly or in a mixed instances policy). */
function launchTemplateOf(req: AwsRequest): { id: string; version: string } | undefined {
  for (const at of ['LaunchTemplate.', 'MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.']) {
    const id = req.params.get(`${at}LaunchTemplateId`);
    if (id) return { id, version: req.params.get(`${at}Version`) ?? '$Default' };
  }
  return undefined;
}

/** Why the policy does not allow what `req` needs besides its own action. */
function impliedDenials(req: AwsRequest, passedToEc2: string[] = []): string[] {
  return impliedBy(req, passedToEc2)
    .map((i) => judge(i.action, i.resource, req, undefined, i.context))
    .filter((d): d is string => d !== undefined)
    .map((d) => `${iamAction(req)} needs ${d}`);
}

let moto: Moto;
let aws: StrictAws;
let connect: StrictProfile;
let sdk: { ec2: EC2Client; iam: IAMClient; acm: ACMClient; route53: Route53Client; s3: S3Client; ssm: SSMClient; logs: CloudWatchLogsClient; ecs: ECSClient; sd: ServiceDiscoveryClient };
/** The Cloud Map namespaces of a name, as moto has them. */
const namespaces = async (name: string): Promise<number> => ((await sdk.sd.send(new ListNamespacesCommand({}))).Namespaces ?? []).filter((n) => n.Name === name).length;
const seen: AwsRequest[] = [];
const tagsSeen = new Map<AwsRequest, ResourceTags>();
const rolesSeen = new Map<AwsRequest, string[]>();
const boundariesSeen = new Map<AwsRequest, Record<string, string[]>>();
/** What an administrator's `iam bootstrap` sent: judged apart (the operator policy must refuse its writes). */
const adminSeen: AwsRequest[] = [];
let asAdministrator = false;
/** IAM refusing an operator's CreatePolicy, as the operator policy has it (AccessDenied, the query protocol's format). */
let operatorWithoutBoundary = false;
const CREATE_POLICY_DENIED = 'iam-operator-create-policy-denied';
/** The stack that lives through day 2, and how the ECS of the proxy answers its next rollout. */
const DAY2 = oneServiceNames('iam-day2');
let outcome: 'succeed' | 'fail' = 'succeed';
const rollouts: Partial<Record<'succeed' | 'fail', SimulatedRollout>> = {};
let tasks: TaskProfile | undefined;

/**
 * The tags of what a request acts on, read from moto before it goes through, for the calls the
 * policy allows only on resources tagged by the tool (a delete must come before the thing is gone).
 */
async function tagsBefore(req: AwsRequest): Promise<ResourceTags | undefined> {
  const of = (tags: Tag[] | undefined): Record<string, string> => Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
  const gone = (e: unknown): 'gone' => {
    if (isNotFound(e)) return 'gone';
    throw e;
  };
  if (req.service === 'ec2' && req.operation === 'DeleteNatGateway') {
    const r = await sdk.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [req.params.get('NatGatewayId')!] })).catch(gone);
    return r === 'gone' ? r : r.NatGateways?.[0] ? of(r.NatGateways[0].Tags) : 'gone';
  }
  if (req.service === 'ec2' && req.operation === 'ReleaseAddress') {
    const r = await sdk.ec2.send(new DescribeAddressesCommand({ AllocationIds: [req.params.get('AllocationId')!] })).catch(gone);
    return r === 'gone' ? r : r.Addresses?.[0] ? of(r.Addresses[0].Tags) : 'gone';
  }
  if (req.service === 'acm' && req.operation === 'DeleteCertificate') {
    const r = await sdk.acm.send(new ListTagsForCertificateCommand({ CertificateArn: String(req.json?.CertificateArn) })).catch(gone);
    return r === 'gone' ? r : of(r.Tags);
  }
  return undefined;
}

/** Role writes the policy allows only on roles carrying the boundary: IAM judges them on the role's boundary as it is. */
const ON_THE_ROLES_BOUNDARY = ['PutRolePolicy', 'AttachRolePolicy', 'DetachRolePolicy', 'DeleteRolePolicy'];

/** The boundary of the role a request writes, read from moto before it goes through, as the condition's context. */
async function boundaryBefore(req: AwsRequest): Promise<Record<string, string[]> | undefined> {
  if (req.service !== 'iam' || !ON_THE_ROLES_BOUNDARY.includes(req.operation)) return undefined;
  const role = await sdk.iam.send(new GetRoleCommand({ RoleName: req.params.get('RoleName')! })).catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  const arn = role?.Role?.PermissionsBoundary?.PermissionsBoundaryArn;
  return { 'iam:PermissionsBoundary': arn ? [arn] : [] };
}

/** The roles a launch configuration's or a group's launch template's instances get, read from moto. */
async function rolesPassedToEc2(req: AwsRequest): Promise<string[] | undefined> {
  if (req.service !== 'autoscaling') return undefined;
  let profile = req.operation === 'CreateLaunchConfiguration' ? req.params.get('IamInstanceProfile') : null;
  const template = launchTemplateOf(req);
  if (template) {
    const v = await sdk.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.id, Versions: [template.version] }));
    const p = v.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.IamInstanceProfile;
    profile = p?.Arn ?? p?.Name ?? null;
  }
  if (!profile) return undefined;
  const r = await sdk.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profile.split('/').pop() }));
  return (r.InstanceProfile?.Roles ?? []).map((x) => x.Arn!);
}

beforeAll(async () => {
  // Every service reports 2 tasks running; a DNS-validated certificate is issued after 2 s.
  moto = await startMoto({ serviceRunning: 2, acmValidationWait: 2 });
  const cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  sdk = { ec2: new EC2Client(cfg), iam: new IAMClient(cfg), acm: new ACMClient(cfg), route53: new Route53Client(cfg), s3: new S3Client({ ...cfg, forcePathStyle: true }), ssm: new SSMClient(cfg), logs: new CloudWatchLogsClient(cfg), ecs: new ECSClient(cfg), sd: new ServiceDiscoveryClient(cfg) };
  aws = await startStrictAws(moto.endpoint);
  // A pass-through rule per protocol family records each request with its parameters (it answers nothing).
  aws.rules(
    Object.keys(PROTOCOL_BY_SIGNING_NAME).map((service) => ({
      name: `record-${service}`,
      service,
      operation: /.*/,
      respond: async (req: AwsRequest) => {
        (asAdministrator ? adminSeen : seen).push(req);
        const tags = await tagsBefore(req);
        if (tags) tagsSeen.set(req, tags);
        const roles = await rolesPassedToEc2(req);
        if (roles) rolesSeen.set(req, roles);
        const boundary = await boundaryBefore(req);
        if (boundary) boundariesSeen.set(req, boundary);
        return undefined;
      },
    })),
  );
  // One-off tasks, ExecuteCommand and IAM's simulation as AWS answers them (moto: tasks never stop, HTTP 500, no simulation).
  tasks = tasksProfile(aws, { logGroup: DAY2.logGroup });
  aws.rules(tasks.rules);
  aws.rule({
    name: CREATE_POLICY_DENIED,
    service: 'iam',
    operation: 'CreatePolicy',
    when: () => operatorWithoutBoundary,
    error: {
      code: 'AccessDenied',
      message: `User: arn:aws:iam::${ACCOUNT}:user/operator is not authorized to perform: iam:CreatePolicy on resource: policy ecs-wizard-boundary because no identity-based policy allows the iam:CreatePolicy action`,
      status: 403,
    },
  });
  // The day-2 stack's rollouts as ECS reports them (moto's deployments never move): a healthy one, or a broken image ECS rolls back.
  for (const o of ['succeed', 'fail'] as const) {
    const sim = simulatedRollout(aws, { cluster: DAY2.cluster, service: DAY2.service, outcome: o });
    rollouts[o] = sim;
    aws.rules(sim.rules.map((r) => ({ ...r, name: `${r.name}-${o}`, when: () => outcome === o })));
  }
  // The Price List API as AWS answers it (moto: HTTP 500), so the estimates' calls go through as they would.
  aws.rule(priceListRule());
  // ECS shows the Service Connect configuration a service runs (moto forgets it), so turning discovery off is seen and undone
  connect = serviceConnectProfile(aws);
  aws.rules(connect.only(RULE_SERVICE_CONNECT.ecsShowsConfiguration));
}, 60_000);
afterAll(async () => {
  connect?.close();
  await tasks?.close();
  for (const r of Object.values(rollouts)) r.close();
  for (const c of Object.values(sdk ?? {})) c.destroy();
  await aws?.stop();
  await moto?.stop();
});

/** An x86_64 ECS image other than the latest the SSM parameter names: hosts on it are out of date. */
async function olderAmi(): Promise<string> {
  const latest = (await sdk.ssm.send(new GetParameterCommand({ Name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id' }))).Parameter!.Value!;
  const images = (await sdk.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }))).Images ?? [];
  return images.map((i) => i.ImageId!).find((id) => id !== latest)!;
}

/**
 * Every command of the CLI's command table, subcommands as `hosts refresh`. A command with
 * subcommands runs by itself only if it takes arguments (`hosts [stack]`; `state` does not).
 */
function commands(): string[] {
  const program = buildProgram(async () => undefined, () => {
    throw new Error('not run');
  });
  return program.commands.flatMap((c) => [...(c.commands.length === 0 || c.registeredArguments.length ? [c.name()] : []), ...c.commands.map((sub) => `${c.name()} ${sub.name()}`)]);
}

describe('docs/iam-policy.json covers every call the CLI makes', () => {
  it('allows each action every command sent, on the resources it touched', { timeout: 240_000 }, async () => {
    const dir = tempDir('ecs-wizard-iam-');
    const env = cliEnv(TEST_AWS_ENV, dir);
    // (exec hands its session to session-manager-plugin: a stand-in that records nothing and exits 0)
    writeFileSync(path.join(dir, 'session-manager-plugin'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    env.PATH = `${dir}:${env.PATH}`;
    const localState = path.join(dir, 'state');
    const s3State = `s3://${BUCKET}/${PREFIX}`;
    const ran: string[] = [];
    const subcommand = new RegExp(`^(${commands().flatMap((c) => c.split(' ').slice(1)).join('|')})$`);
    const cli = async (args: string[], state = localState) => {
      // (`iam bootstrap` is about an account, not a stack: it takes no state directory)
      // (right after the command's words: what follows `--` in run and exec is the container's command)
      const words = subcommand.test(args[1] ?? '') ? 2 : 1;
      const r = await runCli([...args.slice(0, words), '--endpoint-url', aws.endpoint, ...(args[0] === 'iam' ? [] : ['--state-dir', state]), ...args.slice(words)], { env, cwd: dir });
      ran.push(`${args.slice(0, words).join(' ')} → ${r.code}`);
      return r;
    };
    const ok = async (args: string[], state?: string) => {
      const r = await cli(args, state);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r;
    };
    const answers = (stack: string, doc: object): string => {
      const file = path.join(dir, `${stack}-${ran.length}.json`);
      writeFileSync(file, JSON.stringify({ stack, region: 'us-east-1', ...doc }));
      return file;
    };

    // GIVEN an account without the permissions boundary: an operator's first create is refused
    // (IAM denies their CreatePolicy) before anything is made, and says who runs what
    operatorWithoutBoundary = true;
    const from = seen.length;
    const refused = await cli(['create', '--answers', answers('iam-first', {}), '--yes', '--no-wait', '--output', 'json']);
    operatorWithoutBoundary = false;
    expect(refused.code, refused.stderr).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'AWS', hint: expect.stringContaining('`ecs-wizard iam bootstrap`') });
    expect(aws.fired(CREATE_POLICY_DENIED)).toBe(1);
    expect(seen.slice(from).filter((r) => !r.read).map(iamAction)).toEqual(['iam:CreatePolicy']);
    // WHEN an administrator runs `iam bootstrap`, and again
    asAdministrator = true;
    const boot = JSON.parse((await ok(['iam', 'bootstrap', '--output', 'json'])).stdout);
    const rerun = JSON.parse((await ok(['iam', 'bootstrap', '--output', 'json'])).stdout);
    asAdministrator = false;
    // THEN the boundary is made once, the rerun only reads, and the operator policy printed is docs/iam-policy.json for this account
    expect(boot.boundary).toEqual({ name: 'ecs-wizard-boundary', arn: BOUNDARY, status: 'created' });
    expect(rerun).toMatchObject({ boundary: { status: 'unchanged' }, calls: { mutating: 0 } });
    expect(boot.operatorPolicy).toEqual(JSON.parse(readFileSync(path.join(root, 'docs/iam-policy.json'), 'utf8').replaceAll('ACCOUNT_ID', ACCOUNT)));
    // AND the operator policy refuses every write bootstrap made (it is an administrator's command), and allows its reads
    expect(adminSeen.filter((r) => !r.read).map((r) => [iamAction(r), denial(r)])).toEqual([['iam:CreatePolicy', 'iam:CreatePolicy: no statement allows it']]);
    expect(adminSeen.filter((r) => r.read).map((r) => denial(r)).filter(Boolean)).toEqual([]);

    // GIVEN three stacks that between them switch on every optional kind:
    // ECR, logs, secrets (one by ARN, one by name: the account is asked), service scaling on every
    // metric, a task role the stack makes — and a life on day 2, on hosts of an older AMI
    const day2 = {
      service: {
        ecrRepository: 'iam-day2-app',
        secrets: { DB_PASSWORD: 'arn:aws:ssm:us-east-1:123456789012:parameter/iam-day2/db', API_KEY: '/iam-day2/api-key' },
        taskRolePolicies: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
        // ECS Exec: the service allows it, the task role carries the channels (an inline policy, under the boundary)
        exec: true,
      },
      scaling: { service: { targetCpuPercent: 60, targetMemoryPercent: 70, requestsPerTarget: 500 } },
    };
    // (the parameters its secrets name exist: create and deploy look them up, never read them)
    for (const Name of ['/iam-day2/db', '/iam-day2/api-key']) await sdk.ssm.send(new PutParameterCommand({ Name, Type: 'SecureString', Value: 'not-read' }));
    const older = await olderAmi();
    // the other way of launching and scaling instances, its state kept in S3
    const legacy = { instances: { launch: 'configuration' }, scaling: { service: { enabled: false }, instances: { managed: false, targetCpuPercent: 60 } } };
    // the production shape: HTTPS on a domain of a zone the user has, private instances behind NAT gateways, Spot
    await sdk.route53.send(new CreateHostedZoneCommand({ Name: 'iam.example.com', CallerReference: `iam-${Date.now()}` }));
    const production = {
      loadBalancer: { domain: 'app.iam.example.com' },
      network: { instanceSubnets: 'private', natGateways: 2 },
      instances: { spot: { instanceTypes: ['t3.small', 't3a.small'], onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 0 } },
    };

    // WHEN each lives its whole life through the CLI (the three side by side)
    const lives = {
      async day2() {
        const stack = 'iam-day2';
        await ok(['create', '--answers', answers(stack, { ...day2, instances: { amiId: older } }), '--yes', '--no-wait']);
        expect(await registerFakeAgents(moto.endpoint, DAY2.cluster, DAY2.autoScalingGroup)).toBeGreaterThan(0);
        // (the rerun without the pin changes nothing: the hosts are now behind the latest ECS AMI)
        await ok(['create', '--answers', answers(stack, day2), '--yes', '--no-wait']);
        // one-off tasks, and a shell in one (the answers turned ECS Exec on)
        expect((await sdk.ecs.send(new DescribeServicesCommand({ cluster: DAY2.cluster, services: [DAY2.service] }))).services![0]!.enableExecuteCommand).toBe(true);
        expect(JSON.parse((await ok(['run', stack, '--output', 'json', '--', 'sh', '-c', 'echo migrated'])).stdout)).toMatchObject({ exitCode: 0 });
        const oneOff = (await ok(['run', stack, '--image', 'httpd:2.4.61', '--detach', '--', 'true'])).stdout.trim();
        const task = (await ok(['run', stack, '--detach', '--', 'sleep', '600'])).stdout.trim().split('/').pop()!;
        const viaProxy = new ECSClient({ region: 'us-east-1', endpoint: aws.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
        for (let i = 0; i < 2; i++) await viaProxy.send(new DescribeTasksCommand({ cluster: DAY2.cluster, tasks: [task] }));
        viaProxy.destroy();
        await ok(['exec', stack, '--task', task]);
        expect(aws.fired(TASK_RULE.executeCommand)).toBe(1);
        // (moto never stops the task by itself: the hosts' roll below would wait for it to drain)
        for (const t of [oneOff, task]) await sdk.ecs.send(new StopTaskCommand({ cluster: DAY2.cluster, task: t }));
        await cli(['status', stack]);
        await ok(['deploy', stack, '--image', 'httpd:2.4.62']);
        await ok(['deploy', stack, '--env', 'GREETING=hello', '--no-wait']);
        await ok(['releases', stack, '--output', 'json']);
        // a broken image: the circuit breaker rolls it back, and the stopped tasks' last log lines are read
        for (const id of rollouts.fail!.stoppedTaskIds) {
          const stream = { logGroupName: DAY2.logGroup, logStreamName: `ecs/app/${id}` };
          await sdk.logs.send(new CreateLogStreamCommand(stream));
          await sdk.logs.send(new PutLogEventsCommand({ ...stream, logEvents: [{ timestamp: Date.now() - 1000, message: `${id} exiting` }] }));
        }
        outcome = 'fail';
        expect((await cli(['deploy', stack, '--image', 'httpd:9-broken'])).code).toBe(1);
        outcome = 'succeed';
        await ok(['rollback', stack]);
        // (every revision deploy and rollback made kept the stack's task role)
        const running = (await sdk.ecs.send(new DescribeServicesCommand({ cluster: DAY2.cluster, services: [DAY2.service] }))).services![0]!.taskDefinition!;
        expect((await sdk.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: running }))).taskDefinition?.taskRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/${DAY2.taskRole}`);
        expect((await ok(['logs', stack, '--since', '1h'])).stdout).toContain('exiting');
        await ok(['hosts', stack]);
        const agents = runFakeAgents(moto.endpoint, DAY2.cluster, DAY2.autoScalingGroup);
        try {
          const refresh = await ok(['hosts', 'refresh', stack, '--yes', '--output', 'json']);
          expect(JSON.parse(refresh.stdout).steps.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(['launch-version', 'spare-host', 'restore']));
        } finally {
          await agents.stop();
        }
        await ok(['scale', stack, '--max-count', '8', '--max-size', '5']);
        await ok(['destroy', stack, '--yes']);
        await ok(['destroy', stack, '--yes', '--discover']);
      },
      async legacy() {
        const stack = 'iam-legacy';
        const file = answers(stack, legacy);
        await ok(['state', 'init', `s3://${BUCKET}`]);
        await ok(['create', '--answers', file, '--yes', '--no-wait']);
        await ok(['state', 'migrate', stack, '--to', s3State]);
        await ok(['create', '--answers', file, '--yes', '--no-wait'], s3State);
        expect((await ok(['list'], s3State)).stdout).toContain(stack);
        await cli(['status', stack], s3State);
        await ok(['scale', stack, '--max-size', '5'], s3State);
        // (a lock a killed run left behind)
        const lock = { host: 'ci-runner-7', pid: 4242, user: 'ci', command: 'ecs-wizard create', since: new Date().toISOString() };
        await sdk.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${stack}.lock`, Body: JSON.stringify(lock) }));
        expect((await ok(['unlock', stack, '--yes'], s3State)).stdout).toContain('Removed the lock');
        await ok(['destroy', stack, '--yes'], s3State);
        await ok(['destroy', stack, '--yes', '--discover'], s3State);
      },
      async production() {
        const stack = 'iam-production';
        // … with several services (issue 23): the stack's own, api on /api/* (a rule on the HTTPS listener) found by
        // Service Connect as http://api:8080 (the namespace, every service its client), a worker
        const services = { [stack]: {}, api: { containerPort: 8080, path: '/api/*', discovery: true }, worker: { loadBalanced: false, command: ['sleep', '60'] } };
        const file = answers(stack, { ...production, services });
        await ok(['create', '--answers', file, '--yes', '--no-wait']);
        await ok(['create', '--answers', file, '--yes', '--no-wait']);
        // (api's route and priority changed in place: ModifyRule, SetRulePriorities; then api removed: its rule and the rest deleted alone)
        await ok(['create', '--answers', answers(stack, { ...production, services: { ...services, api: { containerPort: 8080, path: '/v2/*', priority: 200, discovery: true } } }), '--yes', '--no-wait']);
        expect(await namespaces(`${stack}.internal`)).toBe(1);
        const { api: _api, ...withoutApi } = services;
        // (no service asks to be found any more: Service Connect off on the others, and the namespace deleted)
        await ok(['create', '--answers', answers(stack, { ...production, services: withoutApi }), '--yes', '--no-wait']);
        expect(await namespaces(`${stack}.internal`)).toBe(0);
        await cli(['status', stack]); // unhealthy on moto (no targets): its calls are what count
        await ok(['scale', stack, '--max-size', '5']);
        await ok(['destroy', stack, '--yes']);
        await ok(['destroy', stack, '--yes', '--discover']);
      },
    };
    await Promise.all(Object.values(lives).map((life) => life()));
    // AND export writes the production stack as a template from its answers alone: not one request
    const requestsBefore = aws.requests.length;
    await ok(['export', '--answers', answers('iam-production', production), '--format', 'cloudformation', '--out', path.join(dir, 'iam-production.cfn.yaml')]);
    expect(aws.requests.length).toBe(requestsBefore);

    // THEN every command ran, every request was recorded, and the ECS of the proxy played both rollouts
    const actions = [...new Set(seen.map(iamAction))].sort();
    console.log(`iam-policy: ${ran.join('; ')}; ${seen.length} requests, ${actions.length} actions`);
    expect(new Set(ran.map((r) => r.replace(/ → .*/, '')))).toEqual(new Set(commands()));
    expect(seen.length + adminSeen.length).toBe(aws.requests.length);
    for (const o of ['succeed', 'fail']) expect(aws.fired(`${ROLLOUT_RULE.update}-${o}`), o).toBeGreaterThan(0);
    // (the runs reached every service the tool uses, so no family of calls went unchecked)
    expect(new Set(seen.map((r) => iamAction(r).split(':')[0]))).toEqual(
      new Set(['ec2', 'elasticloadbalancing', 'autoscaling', 'ecs', 'ecr', 'iam', 'logs', 'application-autoscaling', 'cloudwatch', 'ssm', 'sts', 's3', 'acm', 'route53', 'pricing', 'servicediscovery']),
    );
    // (the estimates' optional calls: the Price List API answered, the Spot history of the production stack read)
    expect(aws.fired(RULE_PRICES.getProducts)).toBeGreaterThan(0);
    expect(seen.some((r) => iamAction(r) === 'ec2:DescribeSpotPriceHistory')).toBe(true);
    // (the secrets were looked up before the day-2 stack's create and deploys: by name, never read)
    expect(actions).toContain('ssm:DescribeParameters');
    expect(actions.filter((a) => /^(ssm:GetParameters|secretsmanager:GetSecretValue)$/.test(a))).toEqual([]);
    // (each delete the policy allows only on tagged resources was judged on the tags it met)
    const tagged = seen.filter((r) => ['ec2:DeleteNatGateway', 'ec2:ReleaseAddress', 'acm:DeleteCertificate'].includes(iamAction(r)));
    expect(tagged.filter((r) => tagsSeen.get(r) !== 'gone').length).toBeGreaterThan(0);
    // AND the policy allows each on what it touched
    // (and what they needed besides: tagging on create, handing the stack's roles to ECS tasks and instances)
    const implied = new Set(seen.flatMap((r) => impliedBy(r, rolesSeen.get(r)).map((i) => `${i.action} ${i.context?.['iam:PassedToService'] ?? ''}`.trim())));
    console.log(`iam-policy: besides, ${implied.size} implied actions: ${[...implied].sort().join(', ')}`);
    expect([...implied].filter((a) => /PassRole|RunInstances/.test(a)).sort()).toEqual(['ec2:RunInstances', 'iam:PassRole ec2.amazonaws.com', 'iam:PassRole ecs-tasks.amazonaws.com']);
    // (the boundary is the account's: every stack destroyed, it is still there)
    expect((await sdk.iam.send(new GetPolicyCommand({ PolicyArn: BOUNDARY }))).Policy?.Arn).toBe(BOUNDARY);
    // (each role write was judged on the boundary it carried, and the task role went to ECS with every revision)
    expect(seen.filter((r) => r.service === 'iam' && ON_THE_ROLES_BOUNDARY.includes(r.operation)).every((r) => boundariesSeen.has(r))).toBe(true);
    expect(seen.filter((r) => r.operation === 'CreateRole').map((r) => r.params.get('PermissionsBoundary'))).toEqual(Array(7).fill(BOUNDARY));
    expect(seen.filter((r) => r.operation === 'RegisterTaskDefinition' && String(r.json?.taskRoleArn).endsWith(`:role/${DAY2.taskRole}`)).length).toBeGreaterThanOrEqual(4);
    // AND the one request the policy refuses is the operator's CreatePolicy, which IAM refused too
    const operatorDenied = (r: AwsRequest) => r.service === 'iam' && r.operation === 'CreatePolicy';
    expect(seen.filter(operatorDenied).map((r) => denial(r))).toEqual(['iam:CreatePolicy: no statement allows it']);
    const denied = [
      ...new Set(
        seen
          .filter((r) => !operatorDenied(r))
          .flatMap((r) => [denial(r, tagsSeen.get(r), boundariesSeen.get(r)), ...impliedDenials(r, rolesSeen.get(r))])
          .filter((d): d is string => d !== undefined),
      ),
    ].sort();
    expect(denied).toEqual([]);
    // (Service Connect's namespace was made, waited for, found and deleted under the policy; every ECS service told of it)
    expect(actions).toEqual(expect.arrayContaining(['servicediscovery:CreateHttpNamespace', 'servicediscovery:GetOperation', 'servicediscovery:ListNamespaces', 'servicediscovery:DeleteNamespace']));
    expect(seen.filter((r) => r.operation === 'UpdateService' && (r.json?.serviceConnectConfiguration as { enabled?: boolean } | undefined)?.enabled === false).length).toBeGreaterThan(0);
    // (the listener rules of several services were made, changed, found and deleted under the policy)
    expect(actions).toEqual(expect.arrayContaining(['elasticloadbalancing:CreateRule', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:SetRulePriorities', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DeleteRule']));
  });
});

describe('the policy checker itself', () => {
  const req = (service: string, operation: string, at: { params?: Record<string, string>; json?: Record<string, unknown>; path?: string; body?: string } = {}): AwsRequest => ({
    service,
    operation,
    method: 'POST',
    path: at.path ?? '/',
    headers: {},
    body: at.body ?? '',
    params: new URLSearchParams(at.params ?? {}),
    json: at.json,
    read: false,
  });
  const changeBatch = (...changes: [string, string][]) =>
    `<ChangeResourceRecordSetsRequest><ChangeBatch><Changes>${changes.map(([a, t]) => `<Change><Action>${a}</Action><ResourceRecordSet><Name>app.shop.example.com</Name><Type>${t}</Type></ResourceRecordSet></Change>`).join('')}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;

  it('names the IAM action of a request, where it differs from the operation', () => {
    expect(iamAction({ service: 'monitoring', operation: 'DescribeAlarms' })).toBe('cloudwatch:DescribeAlarms');
    expect(iamAction({ service: 's3', operation: 'ListObjectsV2' })).toBe('s3:ListBucket');
    expect(iamAction({ service: 's3', operation: 'PutPublicAccessBlock' })).toBe('s3:PutBucketPublicAccessBlock');
    expect(iamAction({ service: 'ecs', operation: 'CreateCluster' })).toBe('ecs:CreateCluster');
  });

  it('refuses what the policy does not grant: another action, another role, another log group, another managed policy', () => {
    expect(denial(req('ec2', 'CreateVpc'))).toBeUndefined();
    expect(denial(req('ec2', 'DeleteVpcEndpoints'))).toMatch(/no statement allows it/);
    expect(denial(req('iam', 'CreateUser', { params: { UserName: 'shop-ecs-instance' } }))).toMatch(/no statement allows it/);
    expect(denial(req('iam', 'CreateRole', { params: { RoleName: 'admin', PermissionsBoundary: BOUNDARY } }))).toMatch(/allowed only on/);
    expect(denial(req('iam', 'AddRoleToInstanceProfile', { params: { InstanceProfileName: 'shop-ecs-instance', RoleName: 'shop-ecs-instance' } }))).toBeUndefined();
    expect(denial(req('logs', 'CreateLogGroup', { json: { logGroupName: '/ecs/shop' } }))).toBeUndefined();
    expect(denial(req('logs', 'CreateLogGroup', { json: { logGroupName: '/other/shop' } }))).toMatch(/allowed only on/);
    expect(denial(req('iam', 'CreateServiceLinkedRole', { params: { AWSServiceName: 'ecs.amazonaws.com' } }))).toBeUndefined();
    expect(denial(req('iam', 'CreateServiceLinkedRole', { params: { AWSServiceName: 'rds.amazonaws.com' } }))).toMatch(/condition iam:AWSServiceName/);
  });

  it('IAM: a role is made and changed only with the boundary on it; the boundary is only read; trust policies are not rewritten', () => {
    const bounded = { 'iam:PermissionsBoundary': [BOUNDARY] };
    // CreateRole and PutRolePermissionsBoundary: the boundary the request sets (in any partition)
    expect(denial(req('iam', 'CreateRole', { params: { RoleName: 'shop-ecs-task', PermissionsBoundary: BOUNDARY } }))).toBeUndefined();
    expect(denial(req('iam', 'CreateRole', { params: { RoleName: 'shop-ecs-task', PermissionsBoundary: BOUNDARY.replace('arn:aws:', 'arn:aws-cn:') } }))).toBeUndefined();
    expect(denial(req('iam', 'CreateRole', { params: { RoleName: 'evil-ecs-instance' } }))).toMatch(/iam:PermissionsBoundary must be .*ecs-wizard-boundary, and the request has none/);
    expect(denial(req('iam', 'CreateRole', { params: { RoleName: 'evil-ecs-instance', PermissionsBoundary: 'arn:aws:iam::aws:policy/AdministratorAccess' } }))).toMatch(/not arn:aws:iam::aws:policy\/AdministratorAccess/);
    expect(denial(req('iam', 'PutRolePermissionsBoundary', { params: { RoleName: 'shop-ecs-instance', PermissionsBoundary: BOUNDARY } }))).toBeUndefined();
    // the other role writes: the boundary the role carries (looked up before the request)
    const admin = req('iam', 'AttachRolePolicy', { params: { RoleName: 'shop-ecs-instance', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
    expect(denial(admin, undefined, bounded)).toBeUndefined();
    expect(denial(admin, undefined, { 'iam:PermissionsBoundary': [] })).toMatch(/and the request has none/);
    expect(denial(admin)).toMatch(/boundary of the role it acts on was not looked up/);
    expect(denial(req('iam', 'PutRolePolicy', { params: { RoleName: 'shop-ecs-task-execution', PolicyName: 'x' } }), undefined, bounded)).toBeUndefined();
    expect(denial(req('iam', 'DeleteRolePolicy', { params: { RoleName: 'shop-ecs-task-execution', PolicyName: 'x' } }), undefined, { 'iam:PermissionsBoundary': ['arn:aws:iam::123456789012:policy/other'] })).toMatch(/not arn:aws:iam::123456789012:policy\/other/);
    // never: removing a boundary, rewriting a trust policy, making or rewriting a policy; reading the boundary is allowed
    expect(denial(req('iam', 'DeleteRolePermissionsBoundary', { params: { RoleName: 'shop-ecs-instance' } }))).toMatch(/no statement allows it/);
    expect(denial(req('iam', 'UpdateAssumeRolePolicy', { params: { RoleName: 'shop-ecs-instance' } }))).toMatch(/no statement allows it/);
    expect(denial(req('iam', 'CreatePolicy', { params: { PolicyName: 'ecs-wizard-boundary' } }))).toMatch(/no statement allows it/);
    expect(denial(req('iam', 'CreatePolicyVersion', { params: { PolicyArn: BOUNDARY } }))).toMatch(/no statement allows it/);
    expect(denial(req('iam', 'GetPolicy', { params: { PolicyArn: BOUNDARY } }))).toBeUndefined();
    expect(denial(req('iam', 'GetPolicyVersion', { params: { PolicyArn: 'arn:aws:iam::123456789012:policy/other', VersionId: 'v1' } }))).toMatch(/allowed only on/);
  });

  it('PassRole: the instance role to EC2; the execution role, the stack\'s task role and a brought role under /ecs-wizard/ to ECS tasks', () => {
    const td = (role: string) => req('ecs', 'RegisterTaskDefinition', { json: { family: 'shop', executionRoleArn: 'arn:aws:iam::123456789012:role/shop-ecs-task-execution', taskRoleArn: role } });
    expect(impliedDenials(td('arn:aws:iam::123456789012:role/shop-ecs-task'))).toEqual([]);
    expect(impliedDenials(td('arn:aws:iam::123456789012:role/ecs-wizard/shop-app'))).toEqual([]);
    expect(impliedDenials(td('arn:aws:iam::123456789012:role/teams/shop-app'))).toEqual([expect.stringMatching(/needs iam:PassRole on .*role\/teams\/shop-app: allowed only on/)]);
    const group = req('autoscaling', 'CreateAutoScalingGroup', { params: { AutoScalingGroupName: 'shop', 'LaunchTemplate.LaunchTemplateId': 'lt-0abc', 'LaunchTemplate.Version': '$Latest' } });
    // (a task role handed to EC2 instead is refused)
    expect(impliedDenials(group, ['arn:aws:iam::123456789012:role/shop-ecs-task'])).toEqual([expect.stringMatching(/PassedToService allows ecs-tasks\.amazonaws\.com, not ec2\.amazonaws\.com/)]);
  });

  it('S3: the state bucket and the objects under its prefix only', () => {
    expect(denial(req('s3', 'GetObject', { path: `/${BUCKET}/${PREFIX}/shop.json?x-id=GetObject` }))).toBeUndefined();
    expect(denial(req('s3', 'PutObject', { path: `/${BUCKET}/${PREFIX}/shop.lock` }))).toBeUndefined();
    expect(denial(req('s3', 'ListObjectsV2', { path: `/${BUCKET}?list-type=2&prefix=${PREFIX}%2F` }))).toBeUndefined();
    expect(denial(req('s3', 'PutObject', { path: `/${BUCKET}/elsewhere/shop.json` }))).toMatch(/on arn:\*:s3:::iam-team-state\/elsewhere\/shop\.json: allowed only on/);
    expect(denial(req('s3', 'GetObject', { path: `/someone-elses-bucket/${PREFIX}/shop.json` }))).toMatch(/allowed only on/);
    expect(denial(req('s3', 'ListObjectsV2', { path: '/someone-elses-bucket?list-type=2' }))).toMatch(/allowed only on/);
    expect(denial(req('s3', 'CreateBucket', { path: '/someone-elses-bucket' }))).toMatch(/allowed only on/);
    // (an object action on the bucket itself is another resource)
    expect(denial(req('s3', 'DeleteObject', { path: `/${BUCKET}` }))).toMatch(/allowed only on/);
    expect(denial(req('s3', 'DeleteBucket', { path: `/${BUCKET}` }))).toMatch(/no statement allows it/);
  });

  it('Route 53: finds zones anywhere, changes only A and CNAME records of a hosted zone by UPSERT and DELETE', () => {
    expect(denial(req('route53', 'ListHostedZonesByName', { path: '/2013-04-01/hostedzonesbyname?dnsname=shop.example.com' }))).toBeUndefined();
    const rrset = '/2013-04-01/hostedzone/Z0123456789/rrset';
    expect(denial(req('route53', 'ChangeResourceRecordSets', { path: rrset, body: changeBatch(['UPSERT', 'A'], ['UPSERT', 'CNAME']) }))).toBeUndefined();
    expect(denial(req('route53', 'ChangeResourceRecordSets', { path: rrset, body: changeBatch(['DELETE', 'A']) }))).toBeUndefined();
    expect(denial(req('route53', 'ChangeResourceRecordSets', { path: rrset, body: changeBatch(['UPSERT', 'A'], ['UPSERT', 'TXT']) }))).toMatch(/RecordTypes allows A, CNAME, not TXT/);
    expect(denial(req('route53', 'ChangeResourceRecordSets', { path: rrset, body: changeBatch(['CREATE', 'A']) }))).toMatch(/Actions allows UPSERT, DELETE, not CREATE/);
    expect(denial(req('route53', 'ChangeResourceRecordSets', { path: '/2013-04-01/healthcheck/abc', body: changeBatch(['UPSERT', 'A']) }))).toBeUndefined();
    expect(denial(req('route53', 'DeleteHostedZone', { path: '/2013-04-01/hostedzone/Z0123456789' }))).toMatch(/no statement allows it/);
  });

  it('ACM and NAT: requests certificates, and deletes only certificates, NAT gateways and addresses tagged as a stack\'s', () => {
    const certificate = { json: { CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/1' } };
    expect(denial(req('acm', 'RequestCertificate', { json: { DomainName: 'app.shop.example.com' } }))).toBeUndefined();
    expect(denial(req('acm', 'DeleteCertificate', certificate), { 'ecs-wizard:stack': 'shop' })).toBeUndefined();
    expect(denial(req('acm', 'DeleteCertificate', certificate), { Name: 'the team\'s wildcard' })).toMatch(/aws:ResourceTag\/ecs-wizard:stack is false, and it is absent/);
    expect(denial(req('acm', 'DeleteCertificate', certificate))).toMatch(/tags .* were not looked up/);
    expect(denial(req('acm', 'ImportCertificate'))).toMatch(/no statement allows it/);
    expect(denial(req('ec2', 'DeleteNatGateway', { params: { NatGatewayId: 'nat-0abc' } }), { 'ecs-wizard:stack': 'shop' })).toBeUndefined();
    expect(denial(req('ec2', 'DeleteNatGateway', { params: { NatGatewayId: 'nat-0abc' } }), {})).toMatch(/natgateway\/nat-0abc: the condition/);
    expect(denial(req('ec2', 'ReleaseAddress', { params: { AllocationId: 'eipalloc-0abc' } }), { 'ecs-wizard:stack': 'shop' })).toBeUndefined();
    expect(denial(req('ec2', 'ReleaseAddress', { params: { AllocationId: 'eipalloc-0abc' } }), {})).toMatch(/elastic-ip\/eipalloc-0abc: the condition/);
  });

  it('what a request needs besides its own action: tagging on create, handing over a role, launching from a template', () => {
    const tags = [{ key: 'ecs-wizard:stack', value: 'shop' }];
    expect(impliedBy(req('ecs', 'CreateCluster', { json: { clusterName: 'shop', tags } })).map((i) => i.action)).toEqual(['ecs:TagResource']);
    expect(impliedBy(req('ecs', 'CreateCluster', { json: { clusterName: 'shop' } }))).toEqual([]);
    expect(impliedBy(req('ec2', 'CreateVpc', { params: { 'TagSpecification.1.ResourceType': 'vpc', 'TagSpecification.1.Tag.1.Key': 'Name' } })).map((i) => i.action)).toEqual(['ec2:CreateTags']);
    expect(impliedBy(req('iam', 'CreateInstanceProfile', { params: { InstanceProfileName: 'shop-ecs-instance', 'Tags.member.1.Key': 'Name' } }))).toEqual([{ action: 'iam:TagInstanceProfile', resource: 'arn:*:iam::*:instance-profile/shop-ecs-instance' }]);
    // (a service this check knows no tagging action for is named, and no statement allows it)
    expect(impliedDenials(req('sqs', 'CreateQueue', { json: { tags: { a: 'b' } } }))).toEqual(['sqs:CreateQueue needs sqs:(the tagging action of CreateQueue): no statement allows it']);
    expect(impliedDenials(req('logs', 'CreateLogGroup', { json: { logGroupName: '/ecs/shop', tags: { Name: 'shop' } } }))).toEqual([]);
    expect(impliedDenials(req('logs', 'CreateLogGroup', { json: { logGroupName: '/other/shop', tags: { Name: 'shop' } } }))).toEqual([expect.stringMatching(/^logs:CreateLogGroup needs logs:TagResource on .*\/other\/shop: allowed only on/)]);
    const td = (role: string) => req('ecs', 'RegisterTaskDefinition', { json: { family: 'shop', executionRoleArn: `arn:aws-cn:iam::123456789012:role/${role}` } });
    expect(impliedDenials(td('shop-ecs-task-execution'))).toEqual([]);
    expect(impliedDenials(td('admin'))).toEqual([expect.stringMatching(/needs iam:PassRole on arn:\*:iam::123456789012:role\/admin: allowed only on/)]);
    const group = req('autoscaling', 'CreateAutoScalingGroup', { params: { AutoScalingGroupName: 'shop', 'LaunchTemplate.LaunchTemplateId': 'lt-0abc', 'LaunchTemplate.Version': '$Latest' } });
    expect(impliedDenials(group, ['arn:aws:iam::123456789012:role/shop-ecs-instance'])).toEqual([]);
    expect(impliedBy(group, []).map((i) => i.action)).toEqual(['ec2:RunInstances']);
    expect(impliedDenials(group, ['arn:aws:iam::123456789012:role/admin'])).toEqual([expect.stringMatching(/needs iam:PassRole on .*role\/admin/)]);
    // (PassRole to a service the policy does not name)
    expect(judge('iam:PassRole', 'arn:*:iam::123456789012:role/shop-ecs-instance', group, undefined, { 'iam:PassedToService': ['lambda.amazonaws.com'] })).toMatch(/iam:PassedToService allows ec2\.amazonaws\.com, not lambda/);
  });
});

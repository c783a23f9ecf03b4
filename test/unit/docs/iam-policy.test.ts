import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PREFIX: Record<string, string> = {
  ec2: 'ec2',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  'auto-scaling': 'autoscaling',
  ecs: 'ecs',
  ecr: 'ecr',
  iam: 'iam',
  ssm: 'ssm',
  'secrets-manager': 'secretsmanager',
  sts: 'sts',
  'application-auto-scaling': 'application-autoscaling',
  cloudwatch: 'cloudwatch',
  'cloudwatch-logs': 'logs',
  s3: 's3',
  acm: 'acm',
  'route-53': 'route53',
  pricing: 'pricing',
  servicediscovery: 'servicediscovery',
};

/** S3 calls whose IAM action is not named like the call. */
const S3_ACTION: Record<string, string> = {
  HeadBucket: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  GetBucketEncryption: 'GetEncryptionConfiguration',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  GetBucketLifecycleConfiguration: 'GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 'PutLifecycleConfiguration',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Every `XCommand` (and `paginateX`) a source file imports from an SDK client, as `prefix:X`: a quick check that also
 * sees code paths no run takes. The calls a real run sends on the wire (paginators, waiters
 * included) are checked against the policy in test/integration/iam-policy.test.ts.
 */
function actionsUsed(): Set<string> {
  const used = new Set<string>();
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      const prefix = PREFIX[m[2]!];
      if (!prefix) throw new Error(`no IAM prefix known for @aws-sdk/client-${m[2]}`);
      for (const name of m[1]!.split(',').map((s) => s.trim().replace(/^type\s+/, ''))) {
        const cmd = /^([A-Z][A-Za-z0-9]+)Command$/.exec(name) ?? /^paginate([A-Z][A-Za-z0-9]+)$/.exec(name);
        if (cmd) used.add(`${prefix}:${(prefix === 's3' && S3_ACTION[cmd[1]!]) || cmd[1]}`);
      }
    }
  }
  return used;
}

/**
 * Actions AWS authorizes along with a call, never called by name: tagging when a create carries
 * tags, handing the stack's roles to ECS tasks and instances, launching from a template (the
 * integration run checks each on the request that needs it).
 */
const ALONG_WITH_A_CALL = new Set([
  'acm:AddTagsToCertificate',
  'application-autoscaling:TagResource',
  'autoscaling:CreateOrUpdateTags',
  'ec2:CreateTags',
  'ec2:RunInstances',
  'ecr:TagResource',
  'ecs:TagResource',
  'elasticloadbalancing:AddTags',
  'iam:PassRole',
  'iam:TagInstanceProfile',
  'iam:TagRole',
  // As for the other services, the tags a CreateHttpNamespace carries may be authorized as TagResource.
  'servicediscovery:TagResource',
  // S3 asks KMS on the caller's behalf when the state bucket's default encryption is a KMS key.
  'kms:Decrypt',
  'kms:GenerateDataKey',
  'logs:TagLogGroup',
  'logs:TagResource',
]);

/**
 * Calls the code makes that the operator policy must NOT allow, and who makes them: an
 * administrator's `iam bootstrap` (the boundary and its versions) — or create, when the account has
 * no boundary yet and the caller may make it — and putting back a trust policy someone changed.
 */
const ADMINISTRATORS_ONLY: Record<string, string> = {
  'iam:CreatePolicy': 'iam bootstrap makes the boundary; an operator allowed it could make any policy',
  'iam:CreatePolicyVersion': 'iam bootstrap updates the boundary; an operator allowed it could widen the boundary',
  'iam:DeletePolicyVersion': 'iam bootstrap keeps within IAM\'s five versions',
  'iam:ListPolicyVersions': 'iam bootstrap finds the oldest version to delete',
  'iam:UpdateAssumeRolePolicy': 'rewriting whom a role trusts is how a role becomes anyone\'s: an administrator restores a trust policy',
};

/** IAM actions that change what a role may do or who it is: an operator may send them only for roles carrying the boundary. */
const ROLE_WRITING = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:UpdateAssumeRolePolicy'];
/** Actions that would remove the boundary from a role, or rewrite or replace the boundary itself. */
const NEVER = ['iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:UpdateAssumeRolePolicy'];
const BOUNDARY = 'arn:aws:iam::ACCOUNT_ID:policy/ecs-wizard-boundary';

type PolicyStatement = { Effect?: string; Action?: string | string[]; NotAction?: unknown; NotResource?: unknown; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> };
const asList = (x: string | string[] | undefined): string[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
/** IAM's action glob, case-insensitive as IAM matches actions. */
const grants = (pattern: string, action: string): boolean => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(action);

/**
 * Why the policy could let `action` be sent for a role without the boundary, or undefined: every
 * Allow statement granting it must pin iam:PermissionsBoundary to the boundary with StringEquals
 * (or ArnEquals) and that value only — no IfExists, which holds when the key is absent.
 */
function unbounded(statements: PolicyStatement[], action: string): string | undefined {
  for (const [i, s] of statements.entries()) {
    if (s.Effect !== 'Allow' || !asList(s.Action as string | string[]).some((a) => grants(a, action))) continue;
    const pinned = ['StringEquals', 'ArnEquals'].some((op) => {
      const v = s.Condition?.[op]?.['iam:PermissionsBoundary'];
      return v === BOUNDARY || (Array.isArray(v) && v.length === 1 && v[0] === BOUNDARY);
    });
    if (!pinned) return `statement ${i} (${(s as { Sid?: string }).Sid ?? 'no Sid'}) allows ${action} without iam:PermissionsBoundary = ${BOUNDARY}`;
  }
  return undefined;
}

describe('docs/iam-policy.json (the permissions the tool needs)', () => {
  const policy = JSON.parse(readFileSync(path.join(root, 'docs/iam-policy.json'), 'utf8')) as { Statement: PolicyStatement[] };
  const allowed = new Set(policy.Statement.flatMap((s) => asList(s.Action as string | string[])));

  it('allows every AWS action the code calls, but for what only an administrator does', () => {
    const missing = [...actionsUsed()].filter((a) => !allowed.has(a) && !(a in ADMINISTRATORS_ONLY));
    expect(missing).toEqual([]);
    // (each administrators' action is one the code really calls: the list stays true)
    expect(Object.keys(ADMINISTRATORS_ONLY).filter((a) => !actionsUsed().has(a))).toEqual([]);
  });

  it('grants nothing the code does not call, besides what AWS authorizes along with a call (least privilege)', () => {
    const used = actionsUsed();
    expect([...allowed].filter((a) => !used.has(a) && !ALONG_WITH_A_CALL.has(a)).sort()).toEqual([]);
  });

  it('allows no role-writing IAM action without the permissions boundary condition', () => {
    expect(ROLE_WRITING.map((a) => unbounded(policy.Statement, a)).filter(Boolean)).toEqual([]);
    // (and no statement escapes the check by granting everything but a list, or everywhere but a list)
    expect(policy.Statement.filter((s) => s.NotAction !== undefined || s.NotResource !== undefined)).toEqual([]);
  });

  it('never allows removing the boundary from a role, nor making, rewriting or deleting a policy, nor rewriting a trust policy', () => {
    const granting = (action: string) => policy.Statement.filter((s) => s.Effect === 'Allow' && asList(s.Action as string | string[]).some((a) => grants(a, action)));
    expect(Object.fromEntries(NEVER.map((a) => [a, granting(a).length]))).toEqual(Object.fromEntries(NEVER.map((a) => [a, 0])));
    // (the boundary is only ever read)
    const onBoundary = policy.Statement.filter((s) => asList(s.Resource).some((r) => r.includes('ecs-wizard-boundary')));
    expect(onBoundary.flatMap((s) => asList(s.Action as string | string[])).sort()).toEqual(['iam:GetPolicy', 'iam:GetPolicyVersion']);
  });

  it('the checks bite: a policy like the one before the boundary fails them', () => {
    // GIVEN the role statements as they were (CreateRole, PutRolePolicy, UpdateAssumeRolePolicy on role/*-ecs-instance, no condition)
    const before: PolicyStatement[] = [
      { Effect: 'Allow', Action: ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy'], Resource: ['arn:aws:iam::*:role/*-ecs-instance'] },
      { Effect: 'Allow', Action: ['iam:AttachRolePolicy'], Resource: ['arn:aws:iam::*:role/*-ecs-instance'], Condition: { ArnEquals: { 'iam:PolicyARN': ['arn:aws:iam::aws:policy/x'] } } },
    ];
    expect(unbounded(before, 'iam:CreateRole')).toMatch(/allows iam:CreateRole without/);
    expect(unbounded(before, 'iam:AttachRolePolicy')).toMatch(/allows iam:AttachRolePolicy without/);
    // AND a wildcard, or a condition that holds when the key is absent, is no boundary either
    expect(unbounded([{ Effect: 'Allow', Action: 'iam:*', Resource: '*', Condition: { StringEqualsIfExists: { 'iam:PermissionsBoundary': BOUNDARY } } }], 'iam:PutRolePolicy')).toMatch(/without/);
    expect(unbounded([{ Effect: 'Allow', Action: 'iam:Put*', Resource: '*', Condition: { StringEquals: { 'iam:PermissionsBoundary': [BOUNDARY, 'arn:aws:iam::aws:policy/AdministratorAccess'] } } }], 'iam:PutRolePolicy')).toMatch(/without/);
    expect(unbounded([{ Effect: 'Allow', Action: 'iam:Put*', Resource: '*', Condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY } } }], 'iam:PutRolePolicy')).toBeUndefined();
  });

  it('grants S3 actions only on the state bucket and prefix placeholders, never on every bucket', () => {
    const s3 = policy.Statement.filter((s) => asList(s.Action as string | string[]).some((a) => a.startsWith('s3:')));
    expect(s3.length).toBeGreaterThan(0);
    for (const s of s3) {
      for (const r of Array.isArray(s.Resource) ? s.Resource : [s.Resource]) expect(r).toMatch(/^arn:aws:s3:::STATE_BUCKET(\/STATE_PREFIX\/\*)?$/);
    }
    const objects = s3.filter((s) => (s.Action as string[]).includes('s3:PutObject'));
    expect(objects.map((s) => s.Resource)).toEqual(['arn:aws:s3:::STATE_BUCKET/STATE_PREFIX/*']);
  });

  it('grants KMS only for a state bucket encrypted with a KMS key: data keys and decryption, on that key alone (an optional statement)', () => {
    const kms = policy.Statement.filter((s) => asList(s.Action as string | string[]).some((a) => a.startsWith('kms:')));
    expect(kms).toEqual([{ Sid: 'StateBucketKmsKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: 'KMS_KEY_ARN' }]);
  });

  it('grants the prices in one optional statement: the two read-only price calls, nothing else (without it, the bundled table)', () => {
    const prices = policy.Statement.filter((s) => asList(s.Action as string | string[]).some((a) => a.startsWith('pricing:') || a === 'ec2:DescribeSpotPriceHistory'));
    expect(prices).toEqual([{ Sid: 'PricesOptional', Effect: 'Allow', Action: ['ec2:DescribeSpotPriceHistory', 'pricing:GetProducts'], Resource: '*' }]);
  });

  it('grants IAM actions only on the stack roles and the boundary, never on every resource', () => {
    for (const s of policy.Statement) {
      const actions = asList(s.Action as string | string[]);
      if (!actions.some((a) => a.startsWith('iam:')) || actions.includes('iam:CreateServiceLinkedRole')) continue;
      // (exec's optional checks also simulate the caller: an IAM user, itself only)
      const self = (r: string) => r === 'arn:aws:iam::ACCOUNT_ID:user/${aws:username}' && actions.every((a) => a === 'iam:SimulatePrincipalPolicy');
      expect(asList(s.Resource).filter((r) => !self(r) && (!/^arn:aws:iam::(\*|ACCOUNT_ID):(role|instance-profile|policy)\/.+$/.test(r) || r.endsWith(':role/*')))).toEqual([]);
    }
  });
});

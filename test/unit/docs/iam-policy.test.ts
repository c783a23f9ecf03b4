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
};

/** S3 calls whose IAM action is not named like the call. */
const S3_ACTION: Record<string, string> = {
  HeadBucket: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  GetBucketEncryption: 'GetEncryptionConfiguration',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
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
  'logs:TagLogGroup',
  'logs:TagResource',
]);

describe('docs/iam-policy.json (the permissions the tool needs)', () => {
  const policy = JSON.parse(readFileSync(path.join(root, 'docs/iam-policy.json'), 'utf8')) as {
    Statement: { Action: string | string[]; Resource: string | string[]; Condition?: unknown }[];
  };
  const allowed = new Set(policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

  it('allows every AWS action the code calls', () => {
    const missing = [...actionsUsed()].filter((a) => !allowed.has(a));
    expect(missing).toEqual([]);
  });

  it('grants nothing the code does not call, besides what AWS authorizes along with a call (least privilege)', () => {
    const used = actionsUsed();
    expect([...allowed].filter((a) => !used.has(a) && !ALONG_WITH_A_CALL.has(a)).sort()).toEqual([]);
  });

  it('grants S3 actions only on the state bucket and prefix placeholders, never on every bucket', () => {
    const s3 = policy.Statement.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('s3:')));
    expect(s3.length).toBeGreaterThan(0);
    for (const s of s3) {
      for (const r of Array.isArray(s.Resource) ? s.Resource : [s.Resource]) expect(r).toMatch(/^arn:aws:s3:::STATE_BUCKET(\/STATE_PREFIX\/\*)?$/);
    }
    const objects = s3.filter((s) => (s.Action as string[]).includes('s3:PutObject'));
    expect(objects.map((s) => s.Resource)).toEqual(['arn:aws:s3:::STATE_BUCKET/STATE_PREFIX/*']);
  });

  it('grants the prices in one optional statement: the two read-only price calls, nothing else (without it, the bundled table)', () => {
    const prices = policy.Statement.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('pricing:') || a === 'ec2:DescribeSpotPriceHistory'));
    expect(prices).toEqual([{ Sid: 'PricesOptional', Effect: 'Allow', Action: ['ec2:DescribeSpotPriceHistory', 'pricing:GetProducts'], Resource: '*' }]);
  });

  it('grants IAM actions only on the stack roles, and attaching only the two AWS-managed policies', () => {
    for (const s of policy.Statement) {
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (!actions.some((a) => a.startsWith('iam:')) || actions.includes('iam:CreateServiceLinkedRole')) continue;
      expect(s.Resource).not.toBe('*');
      if (actions.includes('iam:AttachRolePolicy')) {
        expect(JSON.stringify(s.Condition)).toContain('AmazonEC2ContainerServiceforEC2Role');
        expect(JSON.stringify(s.Condition)).toContain('AmazonECSTaskExecutionRolePolicy');
      }
    }
  });
});

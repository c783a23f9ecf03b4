import { describe, expect, it } from 'vitest';
import { answersSchema, cidrString, defaultSubnetCidrs, imageReferenceProblem, parseCidr, stackNameSchema } from '../../../src/wizard/schema.js';

/**
 * The answers schema's cross-field rules and CIDR arithmetic, each at its edge: every problem at
 * its exact path with its exact message, and the values just inside the rule accepted. (The
 * bad-input corpus checks one broken field per answers file through the CLI.)
 */

type Problem = { path: string; message: string };
const problems = (input: unknown): Problem[] => {
  const r = answersSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};
const withNetwork = (network: object) => ({ stack: 'shop', network });

describe('cross-field rules', () => {
  it('an existing VPC needs its subnets and the other way round, at least 2 of them, each once', () => {
    expect(problems(withNetwork({ vpcId: 'vpc-0abc1234' }))).toEqual([
      { path: 'network.subnetIds', message: 'vpcId and subnetIds go together: give both to reuse an existing VPC, or neither to create one' },
    ]);
    expect(problems(withNetwork({ subnetIds: ['subnet-0abc1234', 'subnet-0abc5678'] }))).toEqual([
      { path: 'network.vpcId', message: 'vpcId and subnetIds go together: give both to reuse an existing VPC, or neither to create one' },
    ]);
    expect(problems(withNetwork({ vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234'] }))).toEqual([{ path: 'network.subnetIds', message: 'needs at least 2 subnets in different availability zones' }]);
    expect(problems(withNetwork({ vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0abc1234'] }))).toEqual([{ path: 'network.subnetIds', message: 'lists the same subnet twice' }]);
    expect(problems(withNetwork({ vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0abc5678'] }))).toEqual([]);
  });

  it('instance and task counts keep min ≤ desired ≤ max, and at least one instance', () => {
    expect(problems({ stack: 'shop', instances: { minSize: 0, desiredCapacity: 0, maxSize: 0 }, service: { desiredCount: 0 }, scaling: { service: { minCount: 0 } } })).toEqual([
      { path: 'instances.maxSize', message: 'must be at least 1 so the service has instances to run on' },
    ]);
    expect(problems({ stack: 'shop', service: { desiredCount: 2 }, scaling: { service: { minCount: 3, maxCount: 2 } } })).toEqual([
      { path: 'scaling.service.minCount', message: 'must be ≤ service.desiredCount (2)' },
      { path: 'scaling.service.maxCount', message: 'must be ≥ scaling.service.minCount (3)' },
    ]);
    expect(problems({ stack: 'shop', service: { desiredCount: 2 }, scaling: { service: { minCount: 2, maxCount: 2 } } })).toEqual([]);
    // Without service scaling its bounds are not checked.
    expect(problems({ stack: 'shop', service: { desiredCount: 2 }, scaling: { service: { enabled: false, minCount: 3, maxCount: 1 } } })).toEqual([]);
  });

  it('a secret may not also be a plain environment variable', () => {
    const arn = 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/db';
    expect(problems({ stack: 'shop', service: { environment: { DB_PASSWORD: 'x' }, secrets: { DB_PASSWORD: arn } } })).toEqual([
      { path: 'service.secrets.DB_PASSWORD', message: 'is also set in service.environment: give it in one place only' },
    ]);
    expect(problems({ stack: 'shop', service: { environment: { DB_USER: 'x' }, secrets: { DB_PASSWORD: arn } } })).toEqual([]);
  });

  it('a task role: one the user brings or one the stack makes, not both; its policies managed policy ARNs, each once', () => {
    const role = 'arn:aws-us-gov:iam::123456789012:role/ecs-wizard/shop-app';
    const s3 = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    expect(problems({ stack: 'shop', service: { taskRoleArn: role, taskRolePolicies: [s3] } })).toEqual([
      { path: 'service.taskRoleArn', message: 'and service.taskRolePolicies exclude each other: give taskRoleArn to use a role of your own, or taskRolePolicies for a role the stack makes — not both' },
    ]);
    expect(problems({ stack: 'shop', service: { taskRolePolicies: [s3, 'arn:aws-cn:iam::123456789012:policy/team/queue', s3] } })).toEqual([
      { path: 'service.taskRolePolicies.2', message: `lists ${s3} twice` },
    ]);
    expect(problems({ stack: 'shop', service: { taskRoleArn: 'arn:aws:iam::123456789012:user/app' } }).map((p) => p.path)).toEqual(['service.taskRoleArn']);
    expect(problems({ stack: 'shop', service: { taskRolePolicies: ['AmazonS3ReadOnlyAccess'] } }).map((p) => p.path)).toEqual(['service.taskRolePolicies.0']);
    // (any partition and path; a role under another path is valid — the review warns about it)
    expect(problems({ stack: 'shop', service: { taskRoleArn: role } })).toEqual([]);
    expect(problems({ stack: 'shop', service: { taskRoleArn: 'arn:aws:iam::123456789012:role/app' } })).toEqual([]);
    expect(problems({ stack: 'shop', service: { taskRolePolicies: [] } })).toEqual([]);
  });

  it('at most 45 tags of the user\'s own', () => {
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(problems({ stack: 'shop', tags: tags(45) })).toEqual([]);
    expect(problems({ stack: 'shop', tags: tags(46) })).toEqual([{ path: 'tags', message: 'has 46 tags; at most 45 (AWS allows 50 per resource, ecs-wizard adds its own)' }]);
  });

  it('tag keys may not be AWS\'s or ours, in any case', () => {
    expect(problems({ stack: 'shop', tags: { 'AWS:x': 'v' } }).map((p) => p.message)).toEqual(['tag keys must not start with "aws:" (reserved by AWS)']);
    expect(problems({ stack: 'shop', tags: { 'ecs-wizard:stack': 'v' } }).map((p) => p.message)).toEqual(['"ecs-wizard:stack" is set by ecs-wizard itself']);
    expect(problems({ stack: 'shop', tags: { 'awsome:x': 'v', 'ecs-wizard:other': 'v' } })).toEqual([]);
  });

  it('a stack name may not end with a hyphen or hold two in a row', () => {
    expect(stackNameSchema.safeParse('shop-web').success).toBe(true);
    for (const bad of ['shop-', 'shop--web']) {
      const r = stackNameSchema.safeParse(bad);
      expect(r.success ? [] : r.error.issues.map((i) => i.message), bad).toEqual(['must not end with a hyphen or contain two hyphens in a row']);
    }
  });
});

describe('a new VPC\'s network', () => {
  it('accepts octets up to 255 and three-digit octets anywhere', () => {
    expect(problems(withNetwork({ vpcCidr: '10.255.0.0/16', subnetCidrs: ['10.255.128.0/25', '10.255.200.128/25'], availabilityZones: ['us-east-1a', 'us-east-1b'] }))).toEqual([]);
    expect(problems(withNetwork({ vpcCidr: '10.256.0.0/16' })).map((p) => [p.path, p.message])).toContainEqual(['network.vpcCidr', 'must be an IPv4 CIDR block like 10.0.0.0/16']);
    expect(problems(withNetwork({ vpcCidr: '10.0.0.0/33' })).map((p) => p.path)).toContain('network.vpcCidr');
    for (const junk of ['x10.0.0.0/16', '10.0.0.0/16x']) expect(problems(withNetwork({ vpcCidr: junk })).map((p) => p.message), junk).toContain('must be an IPv4 CIDR block like 10.0.0.0/16');
  });

  it('the VPC is a network address with a prefix from /16 to /28', () => {
    expect(problems(withNetwork({ vpcCidr: '10.0.0.1/16', subnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'] }))).toEqual([{ path: 'network.vpcCidr', message: 'must be a network address (10.0.0.0/16), not a host inside it' }]);
    expect(problems(withNetwork({ vpcCidr: '10.0.0.0/15', subnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'] }))).toEqual([{ path: 'network.vpcCidr', message: 'must have a prefix from /16 to /28 (AWS VPC limits)' }]);
    expect(problems(withNetwork({ vpcCidr: '10.0.0.0/29', subnetCidrs: ['10.0.0.0/28', '10.0.0.16/28'] })).map((p) => p.message)).toContain('must have a prefix from /16 to /28 (AWS VPC limits)');
    expect(problems(withNetwork({ vpcCidr: '10.0.0.0/28', subnetCidrs: ['10.0.0.0/28', '10.0.1.0/28'] })).filter((p) => p.path === 'network.vpcCidr')).toEqual([]);
  });

  it('each subnet is a network address, /16 to /28, inside the VPC, overlapping none before it', () => {
    const net = (subnetCidrs: string[], vpcCidr = '10.0.0.0/16') => problems(withNetwork({ vpcCidr, subnetCidrs }));
    expect(net(['10.0.0.5/24', '10.0.1.0/24'])).toEqual([{ path: 'network.subnetCidrs.0', message: 'must be a network address (10.0.0.0/24), not a host inside it' }]);
    expect(net(['10.0.0.0/29', '10.0.1.0/24'])).toEqual([{ path: 'network.subnetCidrs.0', message: 'must have a prefix from /16 to /28 (AWS subnet limits)' }]);
    expect(net(['10.0.0.0/15', '10.2.1.0/24'], '10.0.0.0/16').map((p) => p.message)).toEqual(['must have a prefix from /16 to /28 (AWS subnet limits)', 'must be inside the VPC CIDR 10.0.0.0/16', 'must be inside the VPC CIDR 10.0.0.0/16']);
    // Wider than the VPC though starting at its base; before it; running past its end.
    expect(net(['10.0.0.0/23', '10.0.2.0/25'], '10.0.0.0/24').map((p) => [p.path, p.message])).toEqual([
      ['network.subnetCidrs.0', 'must be inside the VPC CIDR 10.0.0.0/24'],
      ['network.subnetCidrs.1', 'must be inside the VPC CIDR 10.0.0.0/24'],
    ]);
    expect(net(['9.255.255.0/24', '10.0.1.0/24']).map((p) => p.path)).toEqual(['network.subnetCidrs.0']);
    expect(net(['10.0.255.0/24', '10.1.0.0/24']).map((p) => p.path)).toEqual(['network.subnetCidrs.1']);
    // The last subnet that fits exactly is inside; subnets that only touch do not overlap, in either order.
    expect(net(['10.0.0.0/24', '10.0.255.0/24'])).toEqual([]);
    expect(net(['10.0.1.0/24', '10.0.0.0/24'])).toEqual([]);
    // /16 (the whole VPC) and /28 are the widest and narrowest a subnet may be.
    expect(net(['10.0.0.0/16', '10.1.0.0/24']).filter((p) => p.message.startsWith('must have a prefix'))).toEqual([]);
    expect(net(['10.0.0.0/28', '10.0.0.16/28'])).toEqual([]);
    expect(net(['10.0.0.0/23', '10.0.1.0/24'])).toEqual([{ path: 'network.subnetCidrs.1', message: 'overlaps network.subnetCidrs.0 (10.0.0.0/23)' }]);
    expect(net(['10.0.1.0/24', '10.0.0.0/23'])).toEqual([{ path: 'network.subnetCidrs.1', message: 'overlaps network.subnetCidrs.0 (10.0.1.0/24)' }]);
    expect(net(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24'])).toEqual([]);
  });

  it('availability zones: each once, at least 2, one per subnet', () => {
    const zones = (availabilityZones: string[], subnetCidrs = ['10.0.0.0/24', '10.0.1.0/24']) => problems(withNetwork({ subnetCidrs, availabilityZones }));
    expect(zones(['us-east-1a', 'us-east-1a'])).toEqual([{ path: 'network.availabilityZones', message: 'lists the same availability zone twice' }]);
    expect(zones(['us-east-1a'])).toEqual([
      { path: 'network.availabilityZones', message: 'needs at least 2 availability zones (an ALB needs 2)' },
      { path: 'network.availabilityZones', message: 'needs one zone per subnet (2 subnets, 1 zone)' },
    ]);
    expect(zones(['us-east-1a', 'us-east-1b'], ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24'])).toEqual([{ path: 'network.availabilityZones', message: 'needs one zone per subnet (3 subnets, 2 zones)' }]);
    expect(zones(['us-east-1a', 'us-east-1b', 'us-east-1c'])).toEqual([]);
  });

  it('a reused VPC skips the new-network rules', () => {
    expect(problems({ stack: 'shop', network: { vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0abc5678'], vpcCidr: '10.0.0.1/16' } })).toEqual([]);
  });
});

describe('CIDR arithmetic', () => {
  it('parses dotted quads with a prefix, and nothing else', () => {
    expect(parseCidr('10.1.2.3/16')).toEqual({ base: ((10 * 256 + 1) * 256 + 2) * 256 + 3, prefix: 16 });
    expect(parseCidr('255.255.255.255/32')).toEqual({ base: 2 ** 32 - 1, prefix: 32 });
    expect(parseCidr('10.0.0.128/25')).toEqual({ base: 10 * 2 ** 24 + 128, prefix: 25 });
    for (const bad of ['10.0.0.256/24', '10.0.0.0/33', '10.0.0/24', '10.0.0.0', 'x10.0.0.0/24', '10.0.0.0/24x', '1000.0.0.0/8']) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it('writes a CIDR as its network address', () => {
    expect(cidrString({ base: parseCidr('10.1.2.3/16')!.base, prefix: 16 })).toBe('10.1.0.0/16');
    expect(cidrString(parseCidr('192.168.100.200/32')!)).toBe('192.168.100.200/32');
  });

  it('suggests the first subnets of a VPC: /24s in a large VPC, two steps smaller in a small one, none that do not fit', () => {
    expect(defaultSubnetCidrs('10.0.0.0/16')).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    expect(defaultSubnetCidrs('10.0.0.0/16', 3)).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']);
    expect(defaultSubnetCidrs('10.0.0.0/24')).toEqual(['10.0.0.0/26', '10.0.0.64/26']);
    expect(defaultSubnetCidrs('10.0.0.0/27')).toEqual(['10.0.0.0/28', '10.0.0.16/28']);
    expect(defaultSubnetCidrs('10.0.0.0/28')).toEqual(['10.0.0.0/28']);
    expect(defaultSubnetCidrs('10.0.0.0/26', 5)).toEqual(['10.0.0.0/28', '10.0.0.16/28', '10.0.0.32/28', '10.0.0.48/28']);
    expect(defaultSubnetCidrs('not a cidr')).toEqual([]);
  });
});

describe('image references, by Docker\'s grammar', () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`;

  it('accepts a name, a tag, a digest, and a registry host (a dot, a port, localhost, or an uppercase letter makes the first part one)', () => {
    for (const ok of [
      'nginx',
      'nginx:1.27-alpine',
      `nginx@${DIGEST}`,
      `nginx:1.27@${DIGEST}`,
      'library/nginx:latest',
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/app:1.0',
      'localhost:5000/app',
      'localhost/app',
      'Registry/app',
    ]) {
      expect(imageReferenceProblem(ok), ok).toBeUndefined();
    }
  });

  it('names what is wrong: the digest, the registry, the tag, an uppercase or odd repository name', () => {
    expect(imageReferenceProblem('nginx@sha256:xyz')).toMatch(/\(the digest after @ is not valid\)$/);
    expect(imageReferenceProblem(`nginx@${DIGEST.slice(0, 20)}`)).toMatch(/the digest after @ is not valid/);
    expect(imageReferenceProblem('bad_host.example.com/app')).toMatch(/the registry "bad_host.example.com" is not a host name/);
    expect(imageReferenceProblem('nginx:bad/tag')).toMatch(/must be an image reference/);
    expect(imageReferenceProblem('nginx:-tag')).toMatch(/the tag "-tag" may hold only/);
    expect(imageReferenceProblem('shop/App')).toMatch(/^must have a lowercase repository name \("shop\/App"\)/);
    expect(imageReferenceProblem('shop/-app')).toMatch(/the repository "shop\/-app" may hold only/);
    expect(imageReferenceProblem(':1.0')).toBe('must be an image reference like nginx:latest or 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0');
    // Without a registry, an uppercase first part is a bad repository name, not a host.
    expect(imageReferenceProblem('App')).toMatch(/lowercase repository name/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { tempDir } from '../support/stack.js';
import { RULE_PRICES, priceListRule } from '../support/strict-rules.js';
import { cliEnv, runCli } from '../e2e/cli.js';

/**
 * Checks that must stop a create before anything is made (exit 2, the field named), run through
 * the built CLI against moto behind the strict-AWS proxy, which counts every request: an AMI of
 * the wrong architecture for the instance type, and reused subnets that cannot reach the
 * internet, and `service.secrets` naming parameters that do not exist. And the arm64 path: a
 * Graviton type gets the arm64 ECS-optimized AMI. And what a stack will cost, before anything is
 * made: from the bundled table on moto (whose Price List API answers HTTP 500), from the Price
 * List API as AWS answers it through the strict-AWS rule.
 */
let moto: Moto;
let aws: StrictAws;
let home: string;
const cfg = () => ({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

beforeAll(async () => {
  moto = await startMoto();
  aws = await startStrictAws(moto.endpoint);
  home = tempDir('checks-home-');
}, 60_000);
afterAll(async () => {
  await aws?.stop();
  await moto?.stop();
});

async function create(answers: object, ...extra: string[]) {
  return createWith({}, answers, ...extra);
}

/** create, in `dir`, with `prepare` run once the proxy's rules and log are cleared (to add a rule or a listener). */
async function createWith(opts: { dir?: string; prepare?: () => void }, answers: object, ...extra: string[]) {
  const dir = opts.dir ?? tempDir('checks-');
  const file = path.join(dir, 'answers.json');
  writeFileSync(file, JSON.stringify({ region: 'us-east-1', ...answers }));
  aws.clear();
  opts.prepare?.();
  const r = await runCli(['create', '--answers', file, '--yes', '--state-dir', dir, ...extra], { env: cliEnv(moto.env({ AWS_ENDPOINT_URL: aws.endpoint }), home), cwd: dir });
  return { ...r, dir, mutating: aws.mutating().map((q) => `${q.service}:${q.operation}`) };
}

const parameter = async (name: string): Promise<string> => {
  const ssm = new SSMClient(cfg());
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter!.Value!;
  } finally {
    ssm.destroy();
  }
};

describe('the hosts\' image follows the instance type\'s architecture', () => {
  it('plans the arm64 ECS-optimized AMI for a Graviton type (a1 too, whose name says nothing) and shows the architecture', async () => {
    const arm = await parameter('/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id');
    const ec2 = new EC2Client(cfg());
    expect((await ec2.send(new DescribeImagesCommand({ ImageIds: [arm] }))).Images?.[0]?.Architecture).toBe('arm64');
    ec2.destroy();
    // a1: Graviton, though its name has no "g" (t4g, m7g … take the same path)
    for (const instanceType of ['a1.large']) {
      // WHEN a dry run plans a stack of that type
      const r = await create({ stack: 'graviton', instances: { instanceType } }, '--dry-run', '--output', 'json');
      // THEN the plan boots the arm64 AMI and says so, and nothing was changed
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).plan.instances).toMatchObject({ instanceType, architecture: 'arm64', ami: arm });
      expect(r.mutating).toEqual([]);
    }
  });

  it('exits 2 naming instances.amiId when the given AMI is x86_64 and the type arm64, with no request that changes anything', async () => {
    // GIVEN the x86_64 ECS-optimized AMI, given for a t4g (arm64) type
    const x86 = await parameter('/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
    // WHEN create runs for real
    const r = await create({ stack: 'wrong-arch', instances: { instanceType: 't4g.small', amiId: x86 } });
    // THEN it stopped before anything was made
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`instances.amiId: ${x86} is an x86_64 image, but t4g.small runs arm64`);
    expect(r.mutating).toEqual([]);
    expect(aws.requests.some((q) => q.operation === 'DescribeImages')).toBe(true);
  });
});

describe('reused subnets are checked before anything is made', () => {
  it('exits 2 for subnets without an internet route or public IPs, and plans once they have both', async () => {
    // GIVEN a VPC with two subnets in two zones, no internet gateway, no public IPs on launch
    const ec2 = new EC2Client(cfg());
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }))).Vpc!.VpcId!;
    const subnetIds: string[] = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
      subnetIds.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.70.${i}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!);
    }
    const answers = { stack: 'reuse-check', network: { vpcId, subnetIds } };

    // WHEN create runs
    const r = await create(answers);
    // THEN each subnet is named with both reasons, and no request changed anything
    expect(r.code).toBe(2);
    for (const [i, id] of subnetIds.entries()) {
      expect(r.stderr).toContain(`network.subnetIds.${i}: ${id} has no route to an internet gateway`);
      expect(r.stderr).toContain(`network.subnetIds.${i}: ${id} does not give instances public IPs`);
    }
    expect(r.mutating).toEqual([]);

    // AND once the main route table reaches an internet gateway and the subnets map public IPs, the check passes
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const main = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'association.main', Values: ['true'] }] }))).RouteTables![0]!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: main.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    for (const id of subnetIds) await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: true } }));
    ec2.destroy();
    const ok = await create(answers, '--dry-run');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.mutating).toEqual([]);
  });
});

describe('what it costs, before anything is made', () => {
  const today = new Date().toISOString().slice(0, 10);
  /** The defaults' estimate on moto (the first case), for comparing shapes. */
  let defaults: { monthly: number };

  it('on moto (the Price List API answers 500): the bundled table\'s prices, the defaults within cents of the hand-computed figure', async () => {
    // WHEN a dry run plans the defaults in us-east-1
    const r = await create({ stack: 'priced' }, '--dry-run', '--output', 'json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    // THEN the top-level cost is the contract's, from the bundled table, and says why
    expect(out.cost).toMatchObject({ currency: 'USD', source: 'bundled', pricesAsOf: '2026-11-01', fallback: 'HTTP 500' });
    // 2 × 730 × $0.0208 + 2 × 30 GiB × $0.08 + ALB 730 × $0.0225 + 1 LCU 730 × $0.008 + IPv4 (2 instances + 2 ALB zones) × 730 × $0.005
    expect(out.cost.monthly).toBeCloseTo(2 * 730 * 0.0208 + 2 * 30 * 0.08 + 730 * 0.0225 + 730 * 0.008 + 4 * 730 * 0.005, 2);
    expect(out.cost.items[0]).toEqual({ item: 'EC2 t3.small On-Demand', quantity: 1460, unit: 'Hrs', unitPrice: 0.0208, monthly: 30.37 });
    expect(out.plan.cost).toBeUndefined();
    defaults = out.cost;
    // (the API was asked, on the wire, once: a failure is not retried, the table is there; nothing was changed)
    expect(aws.requests.filter((q) => q.service === 'pricing').map((q) => [q.operation, q.status])).toEqual(expect.arrayContaining([['GetProducts', 500]]));
    expect(aws.requests.filter((q) => q.service === 'pricing')).toHaveLength(1);
    expect(r.mutating).toEqual([]);
  });

  it('from the Price List API as AWS answers it: its prices, dated today, cached beside the states; the text review ends with the figure', async () => {
    {
      const r = await createWith({ prepare: () => aws.rule(priceListRule()) }, { stack: 'priced-api' }, '--dry-run', '--output', 'json');
      expect(r.code, r.stderr).toBe(0);
      const cost = JSON.parse(r.stdout).cost;
      expect(aws.fired(RULE_PRICES.getProducts)).toBeGreaterThan(0);
      expect(cost).toMatchObject({ source: 'price-list-api', pricesAsOf: today, monthly: 72.03, monthlyAtMax: 114.5 });
      expect(cost.fallback).toBeUndefined();
      expect(JSON.parse(readFileSync(path.join(r.dir, '.prices', 'us-east-1.json'), 'utf8'))).toMatchObject({ region: 'us-east-1', instanceHour: { 't3.small': 0.0208, 't4g.small': 0.0168 } });
      // AND in text the review's last line is the figure, with where the prices came from
      const text = await createWith({ prepare: () => aws.rule(priceListRule()) }, { stack: 'priced-api' }, '--dry-run');
      const lines = text.stdout.split('\n');
      expect(lines).toContain(`What it costs (estimates in USD, 730 hours a month; prices: AWS Price List API, fetched ${today})`);
      expect(lines).toContain(`≈ $72/month at desired capacity (up to $115 at max), us-east-1 prices as of ${today}`);
    }
  });

  it('private instances with a NAT gateway per zone and Spot: the gateways\' hours on top, Spot at the last hour\'s price moto reports', async () => {
    const open = defaults;
    const r = await create({ stack: 'priced-shut', network: { instanceSubnets: 'private', natGateways: 2 }, instances: { spot: { instanceTypes: ['t3.small'] } } }, '--dry-run', '--output', 'json');
    expect(r.code, r.stderr).toBe(0);
    const shut = JSON.parse(r.stdout).cost;
    expect(shut.items.find((i: { item: string }) => i.item === 'NAT gateways')).toMatchObject({ quantity: 1460, unitPrice: 0.045, monthly: 65.7 });
    // moto prices every Spot hour at $0.00001: the hosts are the Spot line, the saving is the choice
    expect(aws.requests.some((q) => q.operation === 'DescribeSpotPriceHistory')).toBe(true);
    expect(shut.items.find((i: { item: string }) => i.item === 'EC2 Spot (t3.small)')).toMatchObject({ quantity: 1460, unitPrice: 0.00001 });
    expect(shut.choices.find((c: { choice: string }) => c.choice === 'Spot').detail).toContain('t3.small $0.00001/h vs $0.0208 On-Demand (100 % less)');
    // The gateways' hours, less what Spot saves on the instances: still more than the public shape by at least the gateways' hours
    const spotSaving = 2 * 730 * (0.0208 - 0.00001);
    expect(shut.monthly - open.monthly + spotSaving).toBeGreaterThanOrEqual(2 * 730 * 0.045 - 0.01);
  });
});

describe('service.secrets must name parameters that exist', () => {
  const put = async (region: string, name: string) => {
    const ssm = new SSMClient({ ...cfg(), region });
    try {
      await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: 'the-real-value' }));
    } finally {
      ssm.destroy();
    }
  };

  it('a value pasted where a name belongs exits 2 naming service.secrets.DB and the region, never showing the text, with nothing made or saved', async () => {
    // GIVEN answers whose secret is a password, not a parameter's name
    const dir = tempDir('checks-secret-');
    const saved = `${dir}/saved.yaml`;
    // WHEN create runs for real, asked to save the answers
    const r = await createWith({ dir }, { stack: 'pasted', service: { secrets: { DB: 'hunter2' } } }, '--save-answers', saved);
    // THEN it stopped before anything was made, naming the field, the region and how to store the value
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "Invalid answers (1 problem):\n  service.secrets.DB: names no SSM parameter in us-east-1 — a secret's value where its parameter's name belongs? (the text is not shown). Store the value with `aws ssm put-parameter --region us-east-1 --name /pasted/db --type SecureString --value '…'` and give that name (or the parameter's ARN) here",
    );
    expect(r.mutating).toEqual([]);
    expect(aws.requests.filter((q) => q.operation === 'DescribeParameters')).toHaveLength(1);
    // AND the text is nowhere: not printed, not saved, no state written
    expect(`${r.stdout}${r.stderr}`).not.toContain('hunter2');
    expect(existsSync(saved)).toBe(false);
    expect(readdirSync(dir).filter((f) => f !== 'answers.json')).toEqual([]);
  });

  it('finds parameters by name and by ARN, in their own region; another account\'s, or a refused lookup, is a warning, not "missing"', async () => {
    // GIVEN a parameter in the stack's region and one in eu-west-1
    await put('us-east-1', '/found/db-password');
    await put('eu-west-1', '/found/api-key');
    const secrets = {
      DB_PASSWORD: '/found/db-password',
      API_KEY: 'arn:aws:ssm:eu-west-1:123456789012:parameter/found/api-key',
      SHARED: 'arn:aws:ssm:us-east-1:210987654321:parameter/team/shared-token',
    };
    const regions: string[] = [];
    const listen = () =>
      aws.observe((req) => {
        if (req.operation === 'DescribeParameters') regions.push(/Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '?');
      });
    // WHEN a dry run plans the stack
    const ok = await createWith({ prepare: listen }, { stack: 'found', service: { secrets } }, '--dry-run');
    // THEN it passes: each parameter was looked up in its own region, the other account's is named as unchecked
    expect(ok.code, ok.stderr).toBe(0);
    expect(regions.sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(ok.stderr).toContain('service.secrets.SHARED could not be checked: it is a parameter of account 210987654321, and DescribeParameters lists only this account\'s.');
    expect(ok.mutating).toEqual([]);

    // AND when the stack's region refuses the lookup (SSM's own AccessDeniedException on the wire), it says so and goes on
    const deny = () => aws.rule({ name: 'describe-parameters-denied', service: 'ssm', operation: 'DescribeParameters', error: { code: 'AccessDeniedException', message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ssm:DescribeParameters' } });
    const denied = await createWith({ prepare: deny }, { stack: 'found', service: { secrets: { DB_PASSWORD: '/found/db-password' } } }, '--dry-run');
    expect(aws.fired('describe-parameters-denied')).toBeGreaterThan(0);
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.stderr).toContain('service.secrets.DB_PASSWORD could not be checked in us-east-1: ssm:DescribeParameters was refused (AccessDeniedException).');
  });
  it('a Secrets Manager secret is looked up with DescribeSecret (never read): a missing one exits 2 naming the field, a refused lookup is a warning', async () => {
    // GIVEN one secret that exists (with a JSON key and stage in its valueFrom, as ECS accepts) and one that does not
    const sm = new SecretsManagerClient({ ...cfg(), region: 'us-east-1' });
    const made = await sm.send(new CreateSecretCommand({ Name: 'found/db', SecretString: '{"password":"the-real-value"}' }));
    sm.destroy();
    const existing = `${made.ARN!}:password:AWSCURRENT:`;
    const missing = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gone/api-AbCdEf';
    // WHEN a dry run plans a stack naming both
    const asked: unknown[] = [];
    const listen = () => aws.observe((req) => void (req.operation === 'DescribeSecret' && asked.push(req.json?.SecretId)));
    const r = await createWith({ prepare: listen }, { stack: 'sm', service: { secrets: { DB: existing, API: missing } } }, '--dry-run');
    // THEN only the missing one is named, with how to create it; the secret's value was never asked for
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "Invalid answers (1 problem):\n  service.secrets.API: names a Secrets Manager secret that does not exist in us-east-1: create it (aws secretsmanager create-secret --region us-east-1 --name <the name in the ARN> --secret-string '…'), or fix the ARN",
    );
    // (each by the secret's own ARN: the JSON key and stage ECS reads are not part of it)
    expect(asked.sort()).toEqual([made.ARN, missing].sort());
    expect(aws.requests.filter((q) => q.operation === 'GetSecretValue')).toEqual([]);
    expect(r.mutating).toEqual([]);

    // AND a lookup Secrets Manager refuses (its own AccessDeniedException on the wire) is a warning, and the run goes on
    const deny = () => aws.rule({ name: 'describe-secret-denied', service: 'secretsmanager', operation: 'DescribeSecret', error: { code: 'AccessDeniedException', message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:DescribeSecret' } });
    const denied = await createWith({ prepare: deny }, { stack: 'sm', service: { secrets: { DB: existing } } }, '--dry-run');
    expect(aws.fired('describe-secret-denied')).toBeGreaterThan(0);
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.stderr).toContain('service.secrets.DB could not be checked in us-east-1: secretsmanager:DescribeSecret was refused (AccessDeniedException).');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
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
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { tempDir } from '../support/stack.js';
import { cliEnv, runCli } from '../e2e/cli.js';

/**
 * Checks that must stop a create before anything is made (exit 2, the field named), run through
 * the built CLI against moto behind the strict-AWS proxy, which counts every request: an AMI of
 * the wrong architecture for the instance type, and reused subnets that cannot reach the
 * internet. And the arm64 path: a Graviton type gets the arm64 ECS-optimized AMI.
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
  const dir = tempDir('checks-');
  const file = path.join(dir, 'answers.json');
  writeFileSync(file, JSON.stringify({ region: 'us-east-1', ...answers }));
  aws.clear();
  const r = await runCli(['create', '--answers', file, '--yes', '--state-dir', dir, ...extra], { env: cliEnv(moto.env({ AWS_ENDPOINT_URL: aws.endpoint }), home), cwd: dir });
  return { ...r, mutating: aws.mutating().map((q) => `${q.service}:${q.operation}`) };
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

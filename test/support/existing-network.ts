import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeRouteTablesCommand,
  ModifySubnetAttributeCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';

/**
 * A network someone else made, fit for a stack to reuse: a VPC `<prefix>.0.0/16` whose main route
 * table reaches an internet gateway, and one subnet per zone that gives instances public IPs (what
 * the existing-subnets check asks of it). Nothing is tagged with a stack.
 */
export async function existingNetwork(ec2: EC2Client, prefix: string, zones = ['us-east-1a', 'us-east-1b']): Promise<{ vpcId: string; subnetIds: string[] }> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: `${prefix}.0.0/16` }))).Vpc!.VpcId!;
  const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
  const main = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'association.main', Values: ['true'] }] }))).RouteTables![0]!;
  await ec2.send(new CreateRouteCommand({ RouteTableId: main.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
  const subnetIds: string[] = [];
  for (const [i, az] of zones.entries()) {
    const id = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${prefix}.${i}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!;
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: true } }));
    subnetIds.push(id);
  }
  return { vpcId, subnetIds };
}

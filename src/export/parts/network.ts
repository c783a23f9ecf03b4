import { getAtt, getAZs, ref, select, type Fragment, type Value } from '../cfn.js';
import { ID, PARAM, privateInstances, reuseNetwork, tags, vpcId, type ExportEnv, type TemplatePart } from '../env.js';
import { albIngressRules, instanceIngressRules, type IngressRule } from '../../steps/stack/security-groups.js';
import type { Answers } from '../../wizard/schema.js';

/** The zone of subnet i: the answers' own (a parameter), else the region's i-th (the wizard picks zones offering the type; a template cannot ask). */
const zone = (a: Answers, i: number): Value => select(i, a.network.availabilityZones ? ref(PARAM.availabilityZones) : getAZs());

/** An existing VPC, its subnets, a given certificate or hosted zone: parameters of the template, no resource. */
export const external: TemplatePart = { resources: (): Fragment => ({}) };

/** A wait step: CloudFormation waits for each resource it makes, so a wait contributes nothing. */
export const wait: TemplatePart = { resources: (): Fragment => ({}) };

export const vpc: TemplatePart = {
  resources: ({ answers: a }): Fragment =>
    reuseNetwork(a)
      ? {}
      : {
          [ID.vpc]: {
            Type: 'AWS::EC2::VPC',
            // DNS hostnames: the ECS agent and the load balancer's targets need public DNS names.
            Properties: { CidrBlock: a.network.vpcCidr, EnableDnsSupport: true, EnableDnsHostnames: true, Tags: tags(a, 'vpc') },
          },
        },
};

export const subnets: TemplatePart = {
  resources({ answers: a }): Fragment {
    if (reuseNetwork(a)) return {};
    const out: Fragment = {};
    a.network.subnetCidrs.forEach((cidr, i) => {
      out[ID.publicSubnet(i)] = {
        Type: 'AWS::EC2::Subnet',
        Properties: { VpcId: ref(ID.vpc), CidrBlock: cidr, AvailabilityZone: zone(a, i), MapPublicIpOnLaunch: true, Tags: tags(a, `public-${i + 1}`) },
      };
    });
    return out;
  },
};

export const internetGateway: TemplatePart = {
  resources: ({ answers: a }): Fragment => ({
    [ID.internetGateway]: { Type: 'AWS::EC2::InternetGateway', Properties: { Tags: tags(a, 'igw') } },
    [ID.gatewayAttachment]: { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: ref(ID.vpc), InternetGatewayId: ref(ID.internetGateway) } },
  }),
};

export const routeTable: TemplatePart = {
  resources({ answers: a }): Fragment {
    const out: Fragment = {
      [ID.publicRouteTable]: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: ref(ID.vpc), Tags: tags(a, 'public') } },
      [ID.publicDefaultRoute]: {
        Type: 'AWS::EC2::Route',
        Properties: { RouteTableId: ref(ID.publicRouteTable), DestinationCidrBlock: '0.0.0.0/0', GatewayId: ref(ID.internetGateway) },
        // A route to a gateway not yet attached is refused.
        DependsOn: [ID.gatewayAttachment],
      },
    };
    a.network.subnetCidrs.forEach((_, i) => {
      out[ID.publicAssociation(i)] = { Type: 'AWS::EC2::SubnetRouteTableAssociation', Properties: { SubnetId: ref(ID.publicSubnet(i)), RouteTableId: ref(ID.publicRouteTable) } };
    });
    return out;
  },
};

export const privateSubnets: TemplatePart = {
  resources({ answers: a }): Fragment {
    if (reuseNetwork(a)) return {};
    const out: Fragment = {};
    (a.network.privateSubnetCidrs ?? []).forEach((cidr, i) => {
      // Private subnet i sits in the zone of public subnet i (the load balancer reaches its hosts there).
      out[ID.privateSubnet(i)] = { Type: 'AWS::EC2::Subnet', Properties: { VpcId: ref(ID.vpc), CidrBlock: cidr, AvailabilityZone: zone(a, i), Tags: tags(a, `private-${i + 1}`) } };
    });
    return out;
  },
};

const natCount = (a: Answers): number => a.network.natGateways ?? 0;

export const elasticIps: TemplatePart = {
  resources({ answers: a }): Fragment {
    const out: Fragment = {};
    for (let i = 0; i < natCount(a); i++) out[ID.natAddress(i)] = { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc', Tags: tags(a, `nat-${i + 1}`) } };
    return out;
  },
};

export const natGateways: TemplatePart = {
  resources({ answers: a }): Fragment {
    const out: Fragment = {};
    for (let i = 0; i < natCount(a); i++) {
      // NAT gateway i lives in public subnet i with Elastic IP i.
      out[ID.natGateway(i)] = {
        Type: 'AWS::EC2::NatGateway',
        Properties: { SubnetId: ref(ID.publicSubnet(i)), AllocationId: getAtt(ID.natAddress(i), 'AllocationId'), ConnectivityType: 'public', Tags: tags(a, `nat-${i + 1}`) },
        DependsOn: [ID.gatewayAttachment],
      };
    }
    return out;
  },
};

export const privateRouteTables: TemplatePart = {
  resources({ answers: a }): Fragment {
    const out: Fragment = {};
    const count = natCount(a);
    for (let i = 0; i < count; i++) {
      out[ID.privateRouteTable(i)] = { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: ref(ID.vpc), Tags: tags(a, `private-${i + 1}`) } };
      out[ID.privateDefaultRoute(i)] = {
        Type: 'AWS::EC2::Route',
        Properties: { RouteTableId: ref(ID.privateRouteTable(i)), DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: ref(ID.natGateway(i)) },
      };
    }
    // One NAT gateway serves every zone; one per zone serves its own.
    (a.network.privateSubnetCidrs ?? []).forEach((_, j) => {
      out[ID.privateAssociation(j)] = {
        Type: 'AWS::EC2::SubnetRouteTableAssociation',
        Properties: { SubnetId: ref(ID.privateSubnet(j)), RouteTableId: ref(ID.privateRouteTable(count === 1 ? 0 : j)) },
      };
    });
    return out;
  },
};

/** A wizard ingress rule as CloudFormation writes it; the load balancer's group by reference. */
function ingress(r: IngressRule, albGroup: Value): Value {
  return {
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...(r.cidr ? { CidrIp: r.cidr } : {}),
    ...(r.groupId ? { SourceSecurityGroupId: albGroup } : {}),
    ...(r.description ? { Description: `ecs-wizard: ${r.description}` } : {}),
  };
}

/** The groups' rules are the wizard's own (albIngressRules, instanceIngressRules): one definition of what may reach what. */
export const albSecurityGroup: TemplatePart = {
  resources: ({ answers: a }): Fragment => ({
    [ID.albSecurityGroup]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: 'ecs-wizard: load balancer, listener port from the allowed CIDRs',
        VpcId: vpcId(a),
        SecurityGroupIngress: albIngressRules(a).map((r) => ingress(r, ref(ID.albSecurityGroup))),
        Tags: tags(a, 'alb'),
      },
    },
  }),
};

const SELF = 'self';

export const instanceSecurityGroup: TemplatePart = {
  resources: ({ answers: a }): Fragment => {
    const rules = instanceIngressRules(a, 'load-balancer', SELF);
    // A rule naming the group itself (Service Connect's host to host) is a resource of its own: inside the group it would refer to itself.
    const own = rules.filter((r) => r.groupId === SELF);
    return {
      [ID.instanceSecurityGroup]: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: {
          GroupDescription: 'ecs-wizard: container instances, host ports from the load balancer only',
          VpcId: vpcId(a),
          SecurityGroupIngress: rules.filter((r) => r.groupId !== SELF).map((r) => ingress(r, getAtt(ID.albSecurityGroup, 'GroupId'))),
          Tags: tags(a, 'instances'),
        },
      },
      ...Object.fromEntries(
        own.map((r, i) => [
          `${ID.instanceSecurityGroup}HostToHost${i ? i + 1 : ''}`,
          { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: getAtt(ID.instanceSecurityGroup, 'GroupId'), ...(ingress(r, getAtt(ID.instanceSecurityGroup, 'GroupId')) as object) } },
        ]),
      ),
    };
  },
};

/** The routes the hosts need before they boot: the internet gateway's, or the NAT gateways'. */
export function hostRoutes(env: ExportEnv): string[] {
  const a = env.answers;
  if (reuseNetwork(a)) return [];
  if (!privateInstances(a)) return [ID.publicDefaultRoute];
  return Array.from({ length: natCount(a) }, (_, i) => ID.privateDefaultRoute(i));
}

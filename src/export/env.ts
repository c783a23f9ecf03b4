import type { Answers } from '../wizard/schema.js';
import { pascal, ref, type Fragment, type Value } from './cfn.js';
import type { ExportService } from './services.js';

/** What each step's part of the template reads: the answers, their services, and the plan it belongs to. */
export interface ExportEnv {
  answers: Answers;
  services: ExportService[];
  /** The ids of the plan's steps: a part refers to another step's resources only when the plan has that step. */
  planned: ReadonlySet<string>;
  /** What a state recorded that answers cannot say: the hosted zone that holds the domain. */
  recorded: { hostedZoneId?: string };
}

/**
 * A step's part of the template: the resources its step makes, by logical id, with `Ref` and
 * `Fn::GetAtt` to the resources of the steps it depends on. A per-service part gets its service.
 */
export interface TemplatePart {
  perService?: boolean;
  resources(env: ExportEnv, svc: ExportService): Fragment;
}

/** The step id of a per-service kind for a service: `<kind>` for the primary service, `<kind>:<svc>` for the others. */
export const stepIdFor = (svc: ExportService, kind: string): string => (svc.primary ? kind : `${kind}:${svc.name}`);

/**
 * Logical ids, in one place (parts refer to each other's resources through these). Per-service
 * ones start with the service's name (`ShopWebService`, `ApiTargetGroup`), so several services
 * never collide.
 */
export const ID = {
  vpc: 'Vpc',
  publicSubnet: (i: number) => `PublicSubnet${i + 1}`,
  internetGateway: 'InternetGateway',
  gatewayAttachment: 'InternetGatewayAttachment',
  publicRouteTable: 'PublicRouteTable',
  publicDefaultRoute: 'PublicDefaultRoute',
  publicAssociation: (i: number) => `PublicSubnet${i + 1}RouteTableAssociation`,
  privateSubnet: (i: number) => `PrivateSubnet${i + 1}`,
  natAddress: (i: number) => `NatAddress${i + 1}`,
  natGateway: (i: number) => `NatGateway${i + 1}`,
  privateRouteTable: (i: number) => `PrivateRouteTable${i + 1}`,
  privateDefaultRoute: (i: number) => `PrivateDefaultRoute${i + 1}`,
  privateAssociation: (i: number) => `PrivateSubnet${i + 1}RouteTableAssociation`,
  albSecurityGroup: 'LoadBalancerSecurityGroup',
  instanceSecurityGroup: 'InstanceSecurityGroup',
  instanceRole: 'InstanceRole',
  instanceProfile: 'InstanceProfile',
  executionRole: 'ExecutionRole',
  logGroup: 'LogGroup',
  loadBalancer: 'LoadBalancer',
  listener: 'Listener',
  httpsListener: 'HttpsListener',
  redirectListener: 'RedirectListener',
  certificate: 'Certificate',
  aliasRecord: 'AliasRecord',
  launchTemplate: 'LaunchTemplate',
  launchConfiguration: 'LaunchConfiguration',
  autoScalingGroup: 'AutoScalingGroup',
  cluster: 'Cluster',
  capacityProvider: 'CapacityProvider',
  clusterCapacityProviders: 'ClusterCapacityProviders',
  instanceScalingPolicy: 'InstanceScalingPolicy',
  namespace: 'ServiceConnectNamespace',
  svc: (svc: ExportService, what: string) => `${pascal(svc.name)}${what}`,
} as const;

/** Parameter names, in one place. */
export const PARAM = {
  boundary: 'PermissionsBoundaryArn',
  availabilityZones: 'AvailabilityZones',
  vpcId: 'VpcId',
  subnetIds: 'SubnetIds',
  privateSubnetIds: 'PrivateSubnetIds',
  ecsAmi: 'EcsAmi',
  amiId: 'AmiId',
  certificateArn: 'CertificateArn',
  domain: 'Domain',
  hostedZoneId: 'HostedZoneId',
  aliasRecord: 'CreateAliasRecord',
  image: (svc: ExportService) => `${pascal(svc.name)}Image`,
  imageTag: (svc: ExportService) => `${pascal(svc.name)}ImageTag`,
  desiredCount: (svc: ExportService) => `${pascal(svc.name)}DesiredCount`,
  secretEnv: (svc: ExportService, name: string) => `${pascal(svc.name)}Env${pascal(name.toLowerCase())}`,
};

/** Condition names. */
export const COND = {
  boundaryNone: 'NoPermissionsBoundary',
  boundaryDefault: 'DefaultPermissionsBoundary',
  aliasRecord: 'CreateAliasRecord',
};

export const reuseNetwork = (a: Answers): boolean => a.network.vpcId !== undefined;
export const privateInstances = (a: Answers): boolean => a.network.instanceSubnets === 'private';

export const vpcId = (a: Answers): Value => ref(reuseNetwork(a) ? PARAM.vpcId : ID.vpc);

/** The load balancer's (public) subnets. */
export function publicSubnets(a: Answers): Value {
  return reuseNetwork(a) ? ref(PARAM.subnetIds) : a.network.subnetCidrs.map((_, i) => ref(ID.publicSubnet(i)));
}

/** The hosts' subnets: the public ones, or the private ones behind NAT. */
export function instanceSubnets(a: Answers): Value {
  if (!privateInstances(a)) return publicSubnets(a);
  return reuseNetwork(a) ? ref(PARAM.privateSubnetIds) : (a.network.privateSubnetCidrs ?? []).map((_, i) => ref(ID.privateSubnet(i)));
}

/** Name tag (under the CloudFormation stack's name, never an ecs-wizard name) and the answers' own tags. */
export function tags(a: Answers, name: string): Value[] {
  return [
    { Key: 'Name', Value: { 'Fn::Sub': `\${AWS::StackName}-${name}` } },
    ...Object.entries(a.tags)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([Key, Value]) => ({ Key, Value })),
  ];
}

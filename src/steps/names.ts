/**
 * Every AWS name the stack uses once, derived deterministically from the stack name, so a lost
 * state file can be rebuilt by looking names up. The stack name is at most 28 characters, which
 * keeps `<stack>-alb` (and the primary service's `<stack>-tg`) within AWS's 32-character limit for
 * load balancers and target groups. Each service's own names are serviceNames() in services.ts.
 */
export interface StackNames {
  stack: string;
  vpc: string;
  subnet: (index: number) => string;
  internetGateway: string;
  routeTable: string;
  albSecurityGroup: string;
  instanceSecurityGroup: string;
  instanceRole: string;
  instanceProfile: string;
  executionRole: string;
  loadBalancer: string;
  launchTemplate: string;
  launchConfiguration: string;
  autoScalingGroup: string;
  cluster: string;
  capacityProvider: string;
  logGroup: string;
  /** Private subnets (instances behind NAT), one per zone. */
  privateSubnet: (index: number) => string;
  /** Route tables of the private subnets, one per NAT gateway. */
  privateRouteTable: (index: number) => string;
  natGateway: (index: number) => string;
  /** The Elastic IP of NAT gateway `index`. */
  natAddress: (index: number) => string;
  /** The ACM certificate ecs-wizard requested (its Name tag). */
  certificate: string;
  /** The AWS Cloud Map HTTP namespace the services find each other in (Service Connect, `discovery: true`). */
  namespace: string;
}

export function stackNames(stack: string): StackNames {
  return {
    stack,
    vpc: `${stack}-vpc`,
    subnet: (i) => `${stack}-public-${i + 1}`,
    internetGateway: `${stack}-igw`,
    routeTable: `${stack}-public`,
    albSecurityGroup: `${stack}-alb`,
    instanceSecurityGroup: `${stack}-instances`,
    instanceRole: `${stack}-ecs-instance`,
    instanceProfile: `${stack}-ecs-instance`,
    executionRole: `${stack}-ecs-task-execution`,
    loadBalancer: `${stack}-alb`,
    launchTemplate: `${stack}-ecs`,
    launchConfiguration: `${stack}-ecs`,
    autoScalingGroup: `${stack}-ecs`,
    cluster: stack,
    // "ecs", "aws" and "fargate" prefixes are reserved for capacity provider names.
    capacityProvider: `cp-${stack}`,
    logGroup: `/ecs/${stack}`,
    privateSubnet: (i) => `${stack}-private-${i + 1}`,
    privateRouteTable: (i) => `${stack}-private-${i + 1}`,
    natGateway: (i) => `${stack}-nat-${i + 1}`,
    natAddress: (i) => `${stack}-nat-${i + 1}`,
    certificate: `${stack}-https`,
    namespace: `${stack}.internal`,
  };
}

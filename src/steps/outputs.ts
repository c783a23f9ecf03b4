/**
 * What each step records in the state file and hands to its dependents. Other steps read these
 * through `ctx.output<XOutputs>('step-id')`; the keys are part of the state-file format.
 */
export interface VpcOutputs { vpcId: string; cidr: string }
export interface SubnetsOutputs { subnetIds: string[]; availabilityZones: string[] }
export interface InternetGatewayOutputs { internetGatewayId: string }
export interface RouteTableOutputs { routeTableId: string; associationIds: string[] }
export interface SecurityGroupOutputs { groupId: string; groupName: string }
export interface RoleOutputs { roleName: string; roleArn: string }
export interface InstanceProfileOutputs { instanceProfileName: string; instanceProfileArn: string }
export interface EcrRepositoryOutputs { repositoryName: string; repositoryUri: string; repositoryArn: string }
export interface TargetGroupOutputs { targetGroupArn: string; targetGroupName: string }
export interface LoadBalancerOutputs { loadBalancerArn: string; loadBalancerName: string; dnsName: string }
export interface ListenerOutputs { listenerArn: string }
/** A service's rule on the forwarding listener (path or host → its target group). */
export interface ListenerRuleOutputs { ruleArn: string; listenerArn: string; priority: number }
/** Step id 'launch-template' covers both modes; `kind` says which. */
export type LaunchOutputs =
  | { kind: 'template'; launchTemplateId: string; launchTemplateName: string; amiId: string; instanceType?: string; version?: number }
  | { kind: 'configuration'; launchConfigurationName: string; amiId: string; instanceType?: string };
export interface AutoScalingGroupOutputs { autoScalingGroupName: string; autoScalingGroupArn: string }
export interface ClusterOutputs { clusterName: string; clusterArn: string }
export interface CapacityProviderOutputs { capacityProviderName: string; capacityProviderArn: string }
export interface AsgScalingPolicyOutputs { policyName: string; policyArn?: string }
export interface TaskDefinitionOutputs { taskDefinitionArn: string; family: string; revision: number }
/**
 * `imageMissing`: the image (`<repository uri>:latest`) is not in the stack's ECR repository yet,
 * so the service was left at 0 tasks; `tagged: false`: ECS refused tags (old ARN format).
 */
export interface ServiceOutputs { serviceName: string; serviceArn: string; clusterName: string; imageMissing?: string; tagged?: false }
export interface ServiceScalingOutputs { resourceId: string; policyNames: string[] }
export interface LogGroupOutputs { logGroupName: string; logGroupArn: string; retentionInDays: number }
/** `secretArns` empty: the stack has no secrets and the role carries no such policy. */
export interface SecretsPolicyOutputs { roleName: string; policyName: string; secretArns: string[] }
/** Private subnets: the stack's own (new VPC), or the user's (existing VPC, `external`). */
export interface PrivateSubnetsOutputs { subnetIds: string[]; availabilityZones: string[] }
/** One Elastic IP per NAT gateway, in NAT order. */
export interface ElasticIpsOutputs { allocationIds: string[]; publicIps: string[] }
/** `natGatewayIds[i]` lives in public subnet i with Elastic IP i. */
export interface NatGatewaysOutputs { natGatewayIds: string[] }
/** `routeTableIds[i]` routes 0.0.0.0/0 to NAT gateway i; associations as made. */
export interface PrivateRouteTablesOutputs { routeTableIds: string[]; associationIds: string[] }
/** The public hosted zone holding loadBalancer.domain (the user's: never changed or deleted). */
export interface HostedZoneOutputs { hostedZoneId: string; zoneName: string }
/** `requested`: ecs-wizard requested it (and deletes it); false for a given certificateArn. */
export interface CertificateOutputs { certificateArn: string; domainName?: string; requested: boolean; idempotencyToken?: string }
/** One DNS record set ecs-wizard wrote, exactly as written (Route 53 deletes only an exact match). */
export interface DnsRecord { name: string; type: string; ttl?: number; values?: string[]; alias?: { hostedZoneId: string; dnsName: string } }
export interface DnsRecordsOutputs { hostedZoneId: string; records: DnsRecord[] }
/**
 * The stack's Service Connect namespace (AWS Cloud Map, HTTP). `creatorRequestId` is recorded before
 * CreateHttpNamespace (a lost answer sent again makes no second one); `operationId` as soon as AWS
 * answers, so a resumed run waits for that operation instead of asking again.
 */
export interface NamespaceOutputs { namespaceId: string; namespaceArn: string; namespaceName: string; creatorRequestId?: string; operationId?: string }
export interface HttpsListenerOutputs { listenerArn: string }
export interface RedirectListenerOutputs { listenerArn: string }

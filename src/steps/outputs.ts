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

/** Helpers to recognise AWS errors by their code (the SDK's `name`), never by message text. */

export function awsErrorCode(err: unknown): string | undefined {
  const e = err as { name?: string; Code?: string; code?: string };
  return e?.Code ?? e?.name ?? e?.code;
}

export function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/**
 * Codes across the services we use that mean "that thing does not exist". (Listed in the call,
 * not in a module-level set, so that mutation testing can try dropping each one.)
 */
export function isNotFound(err: unknown): boolean {
  return hasCode(
    err,
    'InvalidVpcID.NotFound',
    'InvalidSubnetID.NotFound',
    'InvalidInternetGatewayID.NotFound',
    'InvalidRouteTableID.NotFound',
    'InvalidAssociationID.NotFound',
    'InvalidGroup.NotFound',
    'InvalidGroupId.NotFound',
    'InvalidLaunchTemplateId.NotFound',
    'InvalidLaunchTemplateName.NotFoundException',
    'InvalidPermission.NotFound',
    'Gateway.NotAttached',
    'NoSuchEntity',
    'NoSuchEntityException',
    'LoadBalancerNotFound',
    'LoadBalancerNotFoundException',
    'TargetGroupNotFound',
    'TargetGroupNotFoundException',
    'ListenerNotFound',
    'ListenerNotFoundException',
    'RepositoryNotFoundException',
    'ClusterNotFoundException',
    'ServiceNotFoundException',
    'ServiceNotActiveException',
    'ObjectNotFoundException',
    'ParameterNotFound',
    'ResourceNotFoundException',
    'ResourceNotFound',
  );
}

/** The call's result, or undefined when AWS says the thing does not exist. */
export async function unlessNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Errors that clear by themselves while AWS catches up (lingering ENIs, draining instances, …). */
export function isTransientDependency(err: unknown): boolean {
  return hasCode(
    err,
    'DependencyViolation',
    'ResourceInUse',
    'ResourceInUseException',
    'ResourceInUseFault',
    'ScalingActivityInProgress',
    'ScalingActivityInProgressFault',
    'ClusterContainsContainerInstancesException',
    'ClusterContainsServicesException',
    'ClusterContainsTasksException',
    'DeleteConflict',
    'DeleteConflictException',
  );
}

/**
 * A freshly created IAM instance profile is not yet visible to EC2 and Auto Scaling for some
 * seconds: CreateLaunchConfiguration / CreateAutoScalingGroup / RunInstances then fail with
 * "Invalid IamInstanceProfile". AWS gives this no code of its own (it is a plain ValidationError
 * or InvalidParameterValue), so this is the one place that also reads the message.
 */
export function isInstanceProfilePropagating(err: unknown): boolean {
  if (!hasCode(err, 'ValidationError', 'InvalidParameterValue', 'InvalidParameterValueException')) return false;
  const message = (err as { message?: string })?.message ?? '';
  return /iam ?instance ?profile/i.test(message);
}

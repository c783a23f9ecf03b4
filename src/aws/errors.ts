/** Helpers to recognise AWS errors by their code (the SDK's `name`), never by message text. */

export function awsErrorCode(err: unknown): string | undefined {
  const e = err as { name?: string; Code?: string; code?: string };
  return e?.Code ?? e?.name ?? e?.code;
}

export function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/** Codes across the services we use that mean "that thing does not exist". */
const NOT_FOUND = new Set([
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
  // S3: a missing object, a missing bucket.
  'NoSuchKey',
  'NoSuchBucket',
]);

export function isNotFound(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && NOT_FOUND.has(code);
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

/**
 * An S3 conditional request whose condition did not hold: the object exists (If-None-Match: *) or
 * is not the revision named (If-Match) — PreconditionFailed, 412 — or another conditional write to
 * the same key is in flight — ConditionalRequestConflict, 409.
 */
export function isConditionFailed(err: unknown): boolean {
  return hasCode(err, 'PreconditionFailed', 'ConditionalRequestConflict');
}

/** A bucket that does not exist: HeadBucket's 404 has no body, so the SDK names it by its status (NotFound). */
export function isBucketMissing(err: unknown): boolean {
  return hasCode(err, 'NoSuchBucket', 'NotFound');
}

/** CreateBucket of a name this account already owns (us-east-1 answers 200 instead). */
export function isBucketOwnedByYou(err: unknown): boolean {
  return hasCode(err, 'BucketAlreadyOwnedByYou');
}

/** CreateBucket of a name another account owns: bucket names are global. */
export function isBucketTaken(err: unknown): boolean {
  return hasCode(err, 'BucketAlreadyExists');
}

/** A bucket setting never configured: no default encryption rule, no public access block. */
export function isNotConfigured(err: unknown): boolean {
  return hasCode(err, 'ServerSideEncryptionConfigurationNotFoundError', 'NoSuchPublicAccessBlockConfiguration');
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

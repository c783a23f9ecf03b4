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
    // A listener rule (DescribeRules by ARN, ModifyRule, DeleteRule).
    'RuleNotFound',
    'RuleNotFoundException',
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
    'InvalidAMIID.NotFound',
    'ImageNotFoundException',
    // NAT gateways and Elastic IPs; Route 53 (ACM's is ResourceNotFoundException, above).
    'NatGatewayNotFound',
    'InvalidNatGatewayID.NotFound',
    'InvalidAllocationID.NotFound',
    'InvalidElasticIpID.NotFound',
    'NoSuchHostedZone',
    // AWS Cloud Map: a namespace, a service, an operation (GetNamespace, DeleteService, GetOperation).
    'NamespaceNotFound',
    'ServiceNotFound',
    'OperationNotFound',
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

/**
 * The caller's policies do not allow the call. IAM and the query-protocol services answer
 * AccessDenied (403), the JSON ones AccessDeniedException, EC2 UnauthorizedOperation.
 */
export function isAccessDenied(err: unknown): boolean {
  return hasCode(err, 'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation');
}

/** A create of a name that is taken (IAM: EntityAlreadyExists, 409). */
export function isAlreadyExists(err: unknown): boolean {
  return hasCode(err, 'EntityAlreadyExists', 'EntityAlreadyExistsException');
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

/** A bucket setting never configured: no default encryption rule, no public access block, no lifecycle rules. */
export function isNotConfigured(err: unknown): boolean {
  return hasCode(err, 'ServerSideEncryptionConfigurationNotFoundError', 'NoSuchPublicAccessBlockConfiguration', 'NoSuchLifecycleConfiguration');
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
    // DeleteCluster while a capacity provider is still being detached or deleted, or another update of the cluster runs.
    'ClusterContainsCapacityProviderException',
    'UpdateInProgressException',
  );
}

/**
 * CreateRule or SetRulePriorities with a priority another rule of the listener holds (ELB's
 * PriorityInUse, 400): every rule of a listener has its own priority.
 */
export function isPriorityInUse(err: unknown): boolean {
  return hasCode(err, 'PriorityInUse', 'PriorityInUseException');
}

/** DeleteCluster while container instances are still registered (among the dependencies above, the one a step can act on). */
export function isClusterHoldingInstances(err: unknown): boolean {
  return hasCode(err, 'ClusterContainsContainerInstancesException');
}

/**
 * ReleaseAddress of a NAT gateway's Elastic IP, while the gateway holds it and for a while after it
 * reports `deleted`: AuthFailure ("You do not have permission to access the specified resource" —
 * the address sits on the gateway's network interface, which belongs to AWS, not to the caller),
 * InvalidNetworkInterfaceID.NotFound (that interface on its way out), or InvalidIPAddress.InUse.
 * Asked only of that call, once the stack's NAT gateways are deleted: anywhere else AuthFailure is a
 * real failure of the credentials.
 */
export function isAddressStillHeld(err: unknown): boolean {
  return hasCode(err, 'AuthFailure', 'InvalidNetworkInterfaceID.NotFound', 'InvalidIPAddress.InUse');
}

/**
 * Auto Scaling refused a request as invalid: its one code for any bad input. A roll meets it when
 * TerminateInstanceInAutoScalingGroup asks to decrement a group at its minimum ("Currently,
 * desiredSize equals minSize (2). Terminating instance without replacement will violate group's min
 * size constraint. …"); the roll then reads the group again to tell whether that is why, never the message.
 */
export function isAutoScalingValidation(err: unknown): boolean {
  return hasCode(err, 'ValidationError');
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

/**
 * The NotFound code AWS gives for each kind of id, by the id's prefix. Right after a create, EC2
 * is eventually consistent: a call naming the new id may answer that it does not exist.
 */
const NOT_FOUND_BY_ID_PREFIX: Record<string, readonly string[]> = {
  sg: ['InvalidGroup.NotFound', 'InvalidGroupId.NotFound'],
  rtb: ['InvalidRouteTableID.NotFound'],
  igw: ['InvalidInternetGatewayID.NotFound'],
  vpc: ['InvalidVpcID.NotFound'],
  subnet: ['InvalidSubnetID.NotFound'],
  // CreateRoute to a NAT gateway just created; CreateNatGateway with an Elastic IP just allocated.
  nat: ['InvalidNatGatewayID.NotFound', 'NatGatewayNotFound'],
  eipalloc: ['InvalidAllocationID.NotFound', 'InvalidElasticIpID.NotFound'],
};

/**
 * True when AWS says one of `freshIds` (ids this run has just created) does not exist: that means
 * "not yet", and the call is worth repeating. A NotFound for any other kind of id is a real error.
 */
export function isNotYetVisible(err: unknown, freshIds: readonly string[]): boolean {
  const code = awsErrorCode(err);
  if (code === undefined) return false;
  return freshIds.some((id) => NOT_FOUND_BY_ID_PREFIX[/^([a-z]+)-[0-9a-f]+$/.exec(id)?.[1] ?? '']?.includes(code) ?? false);
}

/**
 * In a fresh account ECS answers CreateCluster, CreateCapacityProvider and CreateService with
 * "Unable to assume the service linked role…" for minutes after its role AWSServiceRoleForECS is
 * made. The code is a plain InvalidParameterException (ClientException on some calls), shared with
 * every bad parameter, so this is the second place that also reads the message.
 */
export function isServiceLinkedRoleNotReady(err: unknown): boolean {
  if (!hasCode(err, 'InvalidParameterException', 'ClientException')) return false;
  return /service[ -]linked role/i.test((err as { message?: string })?.message ?? '');
}

/**
 * CreateServiceLinkedRole for a role that exists already: AWS answers InvalidInput ("Service role
 * name … has been taken in this account"), moto EntityAlreadyExists. Only ever asked of that call,
 * whose input is fixed and valid, so InvalidInput can mean nothing else.
 */
export function isServiceLinkedRoleTaken(err: unknown): boolean {
  return hasCode(err, 'InvalidInput', 'InvalidInputException', 'EntityAlreadyExists', 'EntityAlreadyExistsException');
}

export type LaunchFailure = { permanent: boolean; reason: 'vcpu-limit' | 'unsupported' | 'architecture' | 'capacity' | 'other'; hint?: string };

/**
 * What a failed Auto Scaling launch activity means. AWS reports instance launch failures only as
 * the activity's StatusMessage (an EC2 error turned into prose, no code field), so this is the
 * third place that reads message text — kept here, beside the error codes, in one function.
 * Permanent failures never clear by waiting; insufficient capacity usually does, for a while.
 */
export function launchFailure(statusMessage: string): LaunchFailure {
  const m = statusMessage;
  if (/vCPU (capacity|limit)|VcpuLimitExceeded|InstanceLimitExceeded|instance limit/i.test(m)) {
    return { permanent: true, reason: 'vcpu-limit', hint: 'Ask AWS for a higher vCPU quota (Service Quotas → Amazon EC2 → Running On-Demand instances), or choose a smaller instances.instanceType / instances.maxSize.' };
  }
  if (/architecture|does not support the .*AMI|Unsupported.*architecture/i.test(m)) {
    return { permanent: true, reason: 'architecture', hint: "The AMI's architecture does not match instances.instanceType (x86_64 vs arm64): choose a matching amiId or instance type." };
  }
  if (/configuration is currently not supported|Unsupported|not supported/i.test(m)) {
    return { permanent: true, reason: 'unsupported', hint: 'The instance type is not offered with this configuration in that zone: choose another instances.instanceType or other availability zones.' };
  }
  if (/InsufficientInstanceCapacity|sufficient .*capacity/i.test(m)) {
    return { permanent: false, reason: 'capacity', hint: 'AWS has too few instances of this type in the zone right now: try other availability zones or instance types (instances.spot.instanceTypes), or run create again later.' };
  }
  return { permanent: false, reason: 'other' };
}

/** DescribeInstanceTypes names a type the region does not have. */
export function isInvalidInstanceType(err: unknown): boolean {
  return hasCode(err, 'InvalidInstanceType');
}

/**
 * ECS refuses tags on a service while the account is still on the old (short) ARN format:
 * InvalidParameterException "The new ARN and resource ID format must be enabled to add tags to the
 * service" (or "… to propagate tags"). InvalidParameterException covers much else, so this reads
 * the message too, as isInstanceProfilePropagating does.
 */
export function isEcsTaggingRefused(err: unknown): boolean {
  if (!hasCode(err, 'InvalidParameterException')) return false;
  return /new ARN and resource ID format must be enabled/i.test((err as { message?: string })?.message ?? '');
}

/**
 * DescribeTaskDefinition of a revision that does not exist: ECS answers ClientException ("Unable to
 * describe task definition."), its code for any bad request. Only ever asked of that call with a
 * well-formed `family:revision`, so a ClientException there can mean nothing else.
 */
export function isTaskDefinitionMissing(err: unknown): boolean {
  return hasCode(err, 'ClientException');
}

/**
 * ELB does not accept a certificate yet: one still pending validation (UnsupportedCertificate,
 * whose message about names, signatures and key sizes misleads), or one ACM has just issued that
 * ELB cannot see for some seconds (CertificateNotFound). For a certificate the stack requested
 * both mean "not yet"; for a given one they are real errors.
 */
export function isCertificateNotYetUsable(err: unknown): boolean {
  return hasCode(err, 'UnsupportedCertificate', 'UnsupportedCertificateException', 'CertificateNotFound', 'CertificateNotFoundException');
}

/**
 * CreateHttpNamespace of a name the account already has in the region (Cloud Map's
 * NamespaceAlreadyExists, 400): a namespace the stack's find did not recognise as its own.
 */
export function isNamespaceTaken(err: unknown): boolean {
  return hasCode(err, 'NamespaceAlreadyExists');
}

/**
 * Cloud Map refuses to delete a namespace that still holds services, or a service that still has
 * instances registered (ResourceInUse, 400) — ECS deregisters a Service Connect service's tasks
 * as they stop — or answers DuplicateRequest while another operation on it is under way. Both
 * clear by themselves once ECS is done.
 */
export function isCloudMapBusy(err: unknown): boolean {
  return hasCode(err, 'ResourceInUse', 'DuplicateRequest');
}

/** AWS refused the call for its rate ("Rate exceeded"), still after the SDK's own retries. */
export function isThrottled(err: unknown): boolean {
  return hasCode(err, 'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled');
}

/**
 * ExecuteCommand to a task whose ECS Exec agent is not connected to Systems Manager: a code of its
 * own (TargetNotConnectedException, the error behind copilot-cli #3408).
 */
export function isExecTargetNotConnected(err: unknown): boolean {
  return hasCode(err, 'TargetNotConnectedException');
}

/**
 * ExecuteCommand refused for the task: InvalidParameterException "The execute command failed
 * because execute command was not enabled when the task was run or the execute command agent isn’t
 * running…" (ClientException for a bad container). Only ever asked of that call, after exec's own
 * checks, so its code alone says it.
 */
export function isExecuteCommandRefused(err: unknown): boolean {
  return hasCode(err, 'InvalidParameterException', 'ClientException');
}

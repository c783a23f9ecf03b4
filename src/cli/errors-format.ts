import { isWizardError } from '../errors.js';
import { awsErrorCode } from '../aws/errors.js';

/**
 * Turns any error into what the operator reads: one line per failure ("step: AWS code: message"),
 * a hint for the usual causes (credentials, a missing IAM permission, an account limit), and the
 * stack trace only with --verbose. Recognition is by AWS error code; the message is only mined for
 * the IAM action it names, to show it.
 */

const CREDENTIAL_CODES = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AuthFailure',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);
const PERMISSION_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess', 'AuthorizationError', 'OptInRequired']);
const LIMIT_CODES = new Set([
  'LimitExceeded',
  'LimitExceededException',
  'LimitExceededFault',
  'VcpuLimitExceeded',
  'InstanceLimitExceeded',
  'VpcLimitExceeded',
  'AddressLimitExceeded',
  'InternetGatewayLimitExceeded',
  'RouteTableLimitExceeded',
  'SecurityGroupLimitExceeded',
  'RulesPerSecurityGroupLimitExceeded',
  'TooManyLoadBalancers',
  'TooManyTargetGroups',
  'TooManyListeners',
  'TooManyTags',
  'ServiceQuotaExceededException',
  'EntityAlreadyExists_LimitExceeded',
]);
const THROTTLE_CODES = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled']);
const CAPACITY_CODES = new Set(['InsufficientInstanceCapacity', 'Unsupported', 'InvalidInstanceType']);

/** True for an error that came back from an AWS API (the SDK marks them with $metadata/$fault). */
export function isAwsError(err: unknown): boolean {
  const e = err as { $metadata?: unknown; $fault?: unknown };
  return typeof e === 'object' && e !== null && (e.$metadata !== undefined || e.$fault !== undefined);
}

/** The IAM action an AccessDenied message names ("… not authorized to perform: ecs:CreateCluster on …"). */
export function missingAction(message: string | undefined): string | undefined {
  return message?.match(/perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)/)?.[1];
}

/** A hint for the AWS errors people meet most; undefined when there is nothing useful to add. */
export function awsHint(err: unknown): string | undefined {
  const code = awsErrorCode(err);
  if (!code) return undefined;
  const message = (err as Error).message;
  if (CREDENTIAL_CODES.has(code)) {
    return 'The AWS credentials are missing, invalid or expired: run `aws sso login` or `aws configure`, check AWS_PROFILE / --profile, or refresh AWS_SESSION_TOKEN.';
  }
  if (PERMISSION_CODES.has(code)) {
    const action = missingAction(message);
    if (action) return `Your IAM identity lacks the permission ${action}: add it to the policy (README: "IAM permissions"), then run the command again.`;
    if (/Encoded authorization failure message/i.test(message ?? '')) {
      return 'Your IAM identity lacks a permission; `aws sts decode-authorization-message --encoded-message …` names it. The README lists the policy ecs-wizard needs.';
    }
    return 'Your IAM identity lacks a permission this step needs; the README lists the policy ecs-wizard needs.';
  }
  if (LIMIT_CODES.has(code) || /LimitExceeded$/.test(code)) {
    return 'An account quota was reached: delete unused resources of that kind, or request an increase in the Service Quotas console, then run create again (it resumes).';
  }
  if (THROTTLE_CODES.has(code)) return 'AWS is throttling requests: wait a minute and run the command again (it resumes where it stopped).';
  if (CAPACITY_CODES.has(code)) return 'The instance type is not available here: choose another instanceType or other availabilityZones.';
  return undefined;
}

/** "ECS service: AccessDeniedException: User … is not authorized …" — the whole failure on one line. */
export function failureLine(step: string | undefined, err: unknown): string {
  const code = isWizardError(err) ? undefined : awsErrorCode(err);
  const message = ((err as Error)?.message ?? String(err)).split('\n')[0]!.trim();
  const withCode = code && code !== 'Error' && !message.startsWith(code) ? `${code}: ${message}` : message;
  return step ? `${step}: ${withCode}` : withCode;
}

/** The hint of the first error that has one (a WizardError's own hint wins). */
export function hintFor(err: unknown): string | undefined {
  if (isWizardError(err)) return err.hint ?? (err.cause !== undefined ? hintFor(err.cause) : undefined);
  return awsHint(err);
}

export function isPromptExit(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError';
}

/** Everything the CLI prints on stderr for an error that ended a command. */
export function formatError(err: unknown, verbose: boolean): string {
  const lines: string[] = [];
  if (isPromptExit(err)) {
    lines.push('Interrupted.');
  } else if (isWizardError(err)) {
    const [first, ...rest] = err.message.split('\n');
    lines.push(`Error: ${first}`, ...rest);
    const hint = hintFor(err);
    if (hint) lines.push(`Hint: ${hint}`);
  } else if (isAwsError(err)) {
    lines.push(`Error: AWS ${failureLine(undefined, err)}`);
    const hint = awsHint(err);
    if (hint) lines.push(`Hint: ${hint}`);
  } else {
    const e = err as Error;
    lines.push(`Error: ${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}`);
  }
  if (verbose) {
    for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
      if (e.stack) lines.push(depth === 0 ? e.stack : `Caused by: ${e.stack}`);
    }
    const requestId = (err as { $metadata?: { requestId?: string } })?.$metadata?.requestId;
    if (requestId) lines.push(`AWS request id: ${requestId}`);
  } else if (!isWizardError(err) || !['INPUT_INVALID', 'USAGE', 'INTERRUPTED'].includes(err.code)) {
    if (!isPromptExit(err)) lines.push('(run with --verbose for the AWS call log and the stack trace)');
  }
  return lines.join('\n') + '\n';
}

import { describe, expect, it } from 'vitest';
import { WizardError } from '../../../src/errors.js';
import { awsHint, failureLine, formatError, missingAction } from '../../../src/cli/errors-format.js';

/** An error shaped like the SDK's: code in `name`, request metadata in `$metadata`. */
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: { requestId: 'req-123' } });

describe('formatError', () => {
  it('shows an AWS permission error as one line with the code, and a hint naming the missing action', () => {
    // GIVEN an AccessDenied from a step, wrapped as the create command wraps failures
    const denied = awsError('AccessDeniedException', 'User: arn:aws:iam::1:user/ci is not authorized to perform: ecs:CreateService on resource: *');
    const err = new WizardError('STEP_FAILED', failureLine('ECS service', denied), { cause: denied });
    // WHEN it is formatted without --verbose
    const text = formatError(err, false);
    // THEN step, code, message and hint are there, and no stack trace
    expect(text).toContain('Error: ECS service: AccessDeniedException: User: arn:aws:iam::1:user/ci is not authorized to perform: ecs:CreateService');
    expect(text).toContain('Hint: Your IAM identity lacks the permission ecs:CreateService');
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('adds the stack trace and request id only with --verbose', () => {
    const err = awsError('ExpiredToken', 'The security token included in the request is expired');
    expect(formatError(err, false)).not.toMatch(/\n\s+at /);
    const verbose = formatError(err, true);
    expect(verbose).toMatch(/\n\s+at /);
    expect(verbose).toContain('AWS request id: req-123');
    expect(verbose).toContain('Hint: The AWS credentials are missing, invalid or expired');
  });

  it('lists every input problem', () => {
    const err = new WizardError('INPUT_INVALID', 'Invalid answers (2 problems):\n  stack: is required\n  instances.maxSize: must be ≥ minSize');
    const text = formatError(err, false);
    expect(text).toContain('  stack: is required');
    expect(text).toContain('  instances.maxSize: must be ≥ minSize');
  });

  it('treats Ctrl-C in a prompt as an interrupt, without a trace', () => {
    const err = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    expect(formatError(err, false)).toBe('Interrupted.\n');
  });
});

describe('awsHint', () => {
  it('recognises credentials, permissions, limits by code', () => {
    expect(awsHint(awsError('InvalidClientTokenId', 'x'))).toMatch(/credentials/);
    expect(awsHint(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: abc'))).toMatch(/decode-authorization-message/);
    expect(awsHint(awsError('VcpuLimitExceeded', 'x'))).toMatch(/quota/);
    expect(awsHint(awsError('TooManyLoadBalancers', 'x'))).toMatch(/quota/);
    expect(awsHint(awsError('ValidationError', 'x'))).toBeUndefined();
  });

  it('extracts the IAM action from an AccessDenied message', () => {
    expect(missingAction('is not authorized to perform: iam:PassRole on resource')).toBe('iam:PassRole');
    expect(missingAction('Access Denied')).toBeUndefined();
  });
});

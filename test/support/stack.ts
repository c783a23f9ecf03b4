import { mkdtempSync } from 'node:fs';
import { IAMClient } from '@aws-sdk/client-iam';
import { boundaryArn, createBoundary } from '../../src/aws/boundary.js';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AwsClients, isReadOperation, type AwsCall } from '../../src/aws/clients.js';
import { sleep } from '../../src/aws/poll.js';
import { StateFile, emptyState, stateFilePath } from '../../src/engine/state.js';
import { stackTags } from '../../src/aws/tags.js';
import { stackNames } from '../../src/steps/names.js';
import type { StackEnv } from '../../src/steps/env.js';
import { validateAnswers } from '../../src/wizard/answers-file.js';
import type { AnswersInput } from '../../src/wizard/schema.js';

/** Counts AWS calls made through a client factory, split into reads and mutations. */
export class CallLog {
  readonly calls: AwsCall[] = [];
  readonly onCall = (c: AwsCall): void => void this.calls.push(c);
  get mutating(): AwsCall[] {
    return this.calls.filter((c) => !isReadOperation(c.operation));
  }
  get reads(): AwsCall[] {
    return this.calls.filter((c) => isReadOperation(c.operation));
  }
  clear(): void {
    this.calls.length = 0;
  }
}

/** Fast timing for tests: short real sleeps, so waits and retries finish in milliseconds. */
export const FAST_TIMING = { sleep, now: () => Date.now(), minDelayMs: 5, maxDelayMs: 50, timeoutMs: 20_000 };

export function tempDir(prefix = 'ecs-wizard-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * A StackEnv for running steps in-process: real SDK clients (pointed at `endpoint` — moto — or
 * left alone for aws-sdk-client-mock), counted calls, fast timing.
 */
export function testStack(input: Partial<AnswersInput> & { stack: string }, opts: { endpoint?: string; stateDir?: string } = {}) {
  const answers = validateAnswers({ region: 'us-east-1', ...input });
  const region = answers.region ?? 'us-east-1';
  const log = new CallLog();
  const aws = new AwsClients({ region, endpointUrl: opts.endpoint, onCall: log.onCall, maxAttempts: 3 });
  const env: StackEnv = {
    answers,
    names: stackNames(answers.stack),
    aws,
    region,
    tags: (name, service) => stackTags(answers.stack, name, answers.tags, service),
    timing: FAST_TIMING,
    accountId: async () => '123456789012',
  };
  const stateDir = opts.stateDir ?? tempDir();
  const state = new StateFile(stateFilePath(stateDir, answers.stack), emptyState(answers.stack));
  return { answers, env, aws, log, state, stateDir };
}

/**
 * The account as an administrator's `ecs-wizard iam bootstrap` leaves it: the roles' permissions
 * boundary exists, so no run of a stack makes it. For harnesses that count a plan's mutating calls
 * step by step (the boundary is the account's, made once, not a step's).
 */
export async function withBoundary(endpoint: string, region = 'us-east-1'): Promise<void> {
  const iam = new IAMClient({ region, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    await createBoundary(iam, boundaryArn(region, '123456789012'));
  } finally {
    iam.destroy();
  }
}

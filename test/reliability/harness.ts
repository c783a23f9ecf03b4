import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { AwsClients } from '../../src/aws/clients.js';
import { runCreate, runDestroy } from '../../src/engine/engine.js';
import { StateFile, emptyState, parseState, stateFilePath } from '../../src/engine/state.js';
import type { EngineEvent, RunResult, Step } from '../../src/engine/types.js';
import { buildPlan } from '../../src/steps/index.js';
import type { StackEnv } from '../../src/steps/env.js';
import type { Answers, AnswersInput } from '../../src/wizard/schema.js';
import { FaultInjector, snapshotFile, type FaultOptions } from '../support/faults.js';
import { testStack, tempDir } from '../support/stack.js';

/**
 * One "process" of the tool, in-process: a StackEnv whose clients pass through a FaultInjector,
 * a state file in `stateDir`, and the plan the answers give. A new Proc on the same stateDir is the
 * next run after a crash: it reads the state file as the crash left it on disk.
 */
export class Proc {
  readonly faults: FaultInjector;
  readonly env: StackEnv;
  readonly state: StateFile;
  readonly plan: Step<StackEnv>[];
  readonly answers: Answers;
  readonly stateFile: string;
  /** The state file as it was on disk at the crash instant (a dead process writes nothing after). */
  snapshot: string | undefined;
  private readonly dispose: () => void;

  constructor(input: Partial<AnswersInput> & { stack: string }, endpoint: string, readonly stateDir: string, faults: FaultOptions = {}) {
    this.stateFile = stateFilePath(stateDir, input.stack);
    this.faults = new FaultInjector({ ...faults, onCrash: () => (this.snapshot = snapshotFile(this.stateFile)) });
    const t = testStack(input, { endpoint, stateDir });
    t.aws.destroy();
    const aws = new AwsClients({ region: 'us-east-1', endpointUrl: endpoint, onCall: t.log.onCall, // Injected faults (transient errors, lost responses) may hit the same call several times in a
    // row: give the SDK the attempts a real client would need to ride them out.
    maxAttempts: faults.rate || faults.responseLostRate ? 8 : 3, middleware: this.faults.attach });
    this.env = { ...t.env, aws };
    const text = snapshotFile(this.stateFile);
    this.state = new StateFile(this.stateFile, text === undefined ? emptyState(input.stack) : parseState(text, this.stateFile));
    this.answers = t.answers;
    this.plan = buildPlan(t.answers);
    this.dispose = () => aws.destroy();
  }

  static fresh(input: Partial<AnswersInput> & { stack: string }, endpoint: string, faults: FaultOptions = {}): Proc {
    return new Proc(input, endpoint, tempDir('ecs-wizard-crash-'), faults);
  }

  /** The next run after this one "died": same state dir, the file exactly as the crash left it. */
  next(input: Partial<AnswersInput> & { stack: string }, endpoint: string, faults: FaultOptions = {}): Proc {
    this.close();
    if (this.faults.crashed) {
      const file = path.join(this.stateDir, path.basename(this.stateFile));
      if (this.snapshot === undefined) writeFileSync(file, JSON.stringify(emptyState(input.stack)));
      else writeFileSync(file, this.snapshot);
    }
    return new Proc(input, endpoint, this.stateDir, faults);
  }

  create(opts: { concurrency?: number; onEvent?: (e: EngineEvent) => void } = {}): Promise<RunResult> {
    return runCreate(this.plan, { env: this.env, state: this.state, wait: false, concurrency: opts.concurrency, onEvent: opts.onEvent });
  }

  destroy(opts: { concurrency?: number; onEvent?: (e: EngineEvent) => void } = {}): Promise<RunResult> {
    return runDestroy(this.plan, { env: this.env, state: this.state, concurrency: opts.concurrency, onEvent: opts.onEvent });
  }

  close(): void {
    this.dispose();
  }
}

/** A one-line account of a failed run, for assertion messages. */
export function failures(r: RunResult): string[] {
  return r.results.filter((x) => x.outcome === 'failed').map((x) => `${x.stepId}: ${(x.error as Error)?.name}: ${(x.error as Error)?.message}`);
}

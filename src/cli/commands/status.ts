import { WizardError } from '../../errors.js';
import type { CliContext } from '../context.js';
import type { CommonFlags } from '../options.js';

export async function status(_stack: string | undefined, _flags: CommonFlags, _ctx: CliContext): Promise<number> {
  throw new WizardError('NOT_IMPLEMENTED', '`ecs-wizard status` is not implemented yet.');
}

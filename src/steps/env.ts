import type { AwsClients } from '../aws/clients.js';
import type { PollTiming } from '../aws/poll.js';
import type { Tag } from '../aws/tags.js';
import type { Answers } from '../wizard/schema.js';
import type { StackNames } from './names.js';

/** What every step of the stack receives: the validated answers, names, clients, tags and timing. */
export interface StackEnv {
  answers: Answers;
  names: StackNames;
  aws: AwsClients;
  /** Tags for a resource with this Name (stack tag + Name + the user's tags); a per-service resource's carry its service too. */
  tags(name?: string, service?: string): Tag[];
  /** Timing for waits and retries, bounded by --wait-timeout; tests pass a fast clock. */
  timing: PollTiming;
  /** The AWS account id, looked up once when a step needs it (ECR URIs, ARNs). */
  accountId(): Promise<string>;
  /** The region the clients use. */
  region: string;
  /** destroy --force-ecr: delete the ECR repository even while it holds images. */
  forceEcr?: boolean;
  /** A host roll is under way (state `roll`): its surge owns the group's bounds until it puts them back. */
  rollPending?: boolean;
}

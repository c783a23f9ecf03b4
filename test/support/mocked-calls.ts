import type { AwsClientStub } from 'aws-sdk-client-mock';
import { isReadOperation } from '../../src/aws/clients.js';

/**
 * The operations an aws-sdk-client-mock stub received that would change something in AWS (by the
 * tool's own read/mutating split), in order: `['CreateRole', 'PutRolePolicy']`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mutationsOf(mock: AwsClientStub<any>): string[] {
  return mock
    .calls()
    .map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''))
    .filter((op) => !isReadOperation(op));
}

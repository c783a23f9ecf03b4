import { notYet, waitNotYet } from './stub.js';

export const subnetsStep = notYet('subnets', 'Subnets', ['vpc']);
export const existingSubnetsStep = { ...notYet('subnets', 'Subnets (existing)', ['vpc']), external: true };

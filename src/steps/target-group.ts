import { notYet, waitNotYet } from './stub.js';

export const targetGroupStep = notYet('target-group', 'Target group', ['vpc']);

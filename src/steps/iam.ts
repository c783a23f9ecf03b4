import { notYet, waitNotYet } from './stub.js';

export const instanceRoleStep = notYet('instance-role', 'Instance IAM role', []);
export const instanceProfileStep = notYet('instance-profile', 'Instance profile', ['instance-role']);
export const executionRoleStep = notYet('execution-role', 'Task execution IAM role', []);

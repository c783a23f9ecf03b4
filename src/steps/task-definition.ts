import { notYet, waitNotYet } from './stub.js';

export const taskDefinitionStep = notYet('task-definition', 'Task definition', ['execution-role', 'ecr-repository']);

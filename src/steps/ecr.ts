import { notYet, waitNotYet } from './stub.js';

export const ecrRepositoryStep = notYet('ecr-repository', 'ECR repository', []);

import type { HubError } from '../../errors';

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejected(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (error) {
    return error as HubError;
  }
  throw new Error('expected an error');
}

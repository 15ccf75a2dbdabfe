/** Whose budget a call spends, and the finer keys a dialect holds or learns under. */
import type { ExchangeScope } from '../exchange';

/** Whose budget a call spends: its connection, else its tenant, else the anonymous one. */
export function limitKey(scope: Pick<ExchangeScope, 'connectionId' | 'tenantId'>): string {
  if (scope.connectionId !== undefined) return scope.connectionId;
  return scope.tenantId !== undefined ? `tenant:${scope.tenantId}` : 'anonymous';
}

/** One method of a connection (Slack's limits are per method). */
export function methodKey(key: string, operation: string): string {
  return `${key}\n${operation}`;
}

/** One budget of a connection (GitHub's windows are per `x-ratelimit-resource`: core, search...). */
export function resourceKey(key: string, resource: string): string {
  return `${key}\nresource:${resource}`;
}

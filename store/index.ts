/** The store's face: the rest of the hub imports only this file (docs/store.md). */
export type { Sealed, Timestamp } from './rows';
export type { StoreConfig, StoreKind } from './config';
export type { HubStore, KyselyStore, StoreLifecycle } from './hub-store';
export type { Tenant, TenantStore } from './tenants';
export type { AdminSession, AdminStore, AdminUser } from './admins';
export type { OAuthApp, OAuthPending, OAuthStore } from './oauth';
export type { Connection, ConnectionKind, ConnectionStatus, ConnectionStore, NewConnection } from './connections';
export type { AgentKey, AgentKeyStore, NewAgentKey } from './agent-keys';
export type { AuditActorKind, AuditEntry, AuditQuery, AuditStore, NewAuditEntry } from './audit';
export type { SealedValueRef, SealedValueStore } from './sealed-values';
export type { NewTask, Task, TaskError, TaskOutcome, TaskOwner, TaskStatus, TaskStore } from './tasks';
export { TERMINAL_TASK_STATUSES } from './tasks';
export { LATEST_SCHEMA_VERSION } from './migrations';
export { openStore, storeConfigFrom, type OpenStoreOptions, type StoreSettings } from './open-store';

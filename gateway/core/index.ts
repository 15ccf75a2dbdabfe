/**
 * The hub's domain model, shared by every room of gateway/: tool kinds, the call context
 * and stage shape, connectors as served, the immutable registry snapshot, upstream
 * policies, toolset filters and the diagnostics channels. core/ imports nothing else of
 * gateway/.
 */
export * from './call';
export * from './connector';
export * from './diagnostics';
export * from './http';
export * from './pagination';
export * from './policy';
export * from './result-meta';
export * from './snapshot';
export * from './tool';
export * from './tool-base';
export * from './tool-kind';
export * from './toolsets';
export * from './trace';

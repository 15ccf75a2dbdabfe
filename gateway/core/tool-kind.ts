/**
 * What runs a tool of one kind once the generic stages have let the call through; each kind
 * is registered once in pipeline/tool-kinds.ts.
 */
import type { CallFn, StageTrace } from './call';
import type { ToolKindName } from './tool';

/** `createInvoker` is called once per pipeline with the hub's services. */
export interface ToolKind<Services = unknown> {
  readonly kind: ToolKindName;
  createInvoker(services: Services, trace?: StageTrace): CallFn;
}

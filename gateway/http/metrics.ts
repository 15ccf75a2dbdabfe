/**
 * Prometheus metrics at /metrics (prom-client), fed by the pipeline's diagnostics
 * channels, so nothing in the call path knows about them.
 */
import client from 'prom-client';
import { callEnd, upstreamResponse, type CallEndEvent, type UpstreamEvent } from '../core';

export interface HubMetrics {
  registry: client.Registry;
  /** A request refused by the admission gate (admission.ts), by why. */
  shed(reason: string): void;
  close(): void;
}

/** Seconds: a loopback call takes a millisecond, a slow upstream tens of seconds. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(): HubMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'lunar_hub_' });
  const calls = new client.Counter({
    name: 'lunar_hub_tool_calls_total',
    help: 'Tool calls by connector, tool and outcome',
    labelNames: ['connector', 'tool', 'outcome'],
    registers: [registry],
  });
  const callSeconds = new client.Histogram({
    name: 'lunar_hub_tool_call_duration_seconds',
    help: 'Tool call latency, from tools/call to its result',
    labelNames: ['connector'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const upstream = new client.Counter({
    name: 'lunar_hub_upstream_responses_total',
    help: 'Upstream HTTP responses by connector and status',
    labelNames: ['connector', 'status'],
    registers: [registry],
  });
  const upstreamSeconds = new client.Histogram({
    name: 'lunar_hub_upstream_duration_seconds',
    help: 'Upstream request latency until the body was read',
    labelNames: ['connector'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const shed = new client.Counter({
    name: 'lunar_hub_requests_shed_total',
    help: 'Requests to /mcp answered 503 (HUB_ERR_OVERLOADED) because this process was too busy, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const onCall = (message: unknown): void => {
    const e = message as CallEndEvent;
    calls.inc({ connector: e.connector, tool: e.tool, outcome: e.outcome });
    callSeconds.observe({ connector: e.connector }, e.durationMs / 1000);
  };
  const onUpstream = (message: unknown): void => {
    const e = message as UpstreamEvent;
    upstream.inc({ connector: e.connector, status: String(e.status) });
    upstreamSeconds.observe({ connector: e.connector }, e.durationMs / 1000);
  };
  callEnd.subscribe(onCall);
  upstreamResponse.subscribe(onUpstream);
  return {
    registry,
    shed: (reason) => shed.inc({ reason }),
    close() {
      callEnd.unsubscribe(onCall);
      upstreamResponse.unsubscribe(onUpstream);
    },
  };
}

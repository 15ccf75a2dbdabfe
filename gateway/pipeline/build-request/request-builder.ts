/**
 * One builder per pipeline: it keeps each tool's plan (a WeakMap, so a reload's new tool
 * objects replace the old ones) and each parsed base URL, so a call only serialises.
 * Two hubs in one process, or a plugin, each have their own.
 */
import type { ConnectorRuntime, HttpOperationTool, UpstreamRequest } from '../../core';
import { parseBaseUrl, targetUrl, type BasePlan } from './base-url';
import { buildBody } from './body';
import { expandPath, queryString, requestHeaders } from './parameters';
import { makePlan, type Plan } from './plan';

export interface RequestBuilder {
  /** Schema-validated arguments -> one upstream request; a refusal is REQUEST_BUILD or REQUEST_HOST. */
  build(registered: HttpOperationTool, args: Record<string, unknown>, connector: ConnectorRuntime): UpstreamRequest;
}

export function createRequestBuilder(): RequestBuilder {
  const plans = new WeakMap<HttpOperationTool, Plan>();
  const bases = new Map<string, BasePlan>();

  const planFor = (registered: HttpOperationTool): Plan => {
    let plan = plans.get(registered);
    if (plan === undefined) {
      plan = makePlan(registered);
      plans.set(registered, plan);
    }
    return plan;
  };
  const baseFor = (baseUrl: string, tool: string): BasePlan => {
    let base = bases.get(baseUrl);
    if (base === undefined) {
      base = parseBaseUrl(baseUrl, tool);
      bases.set(baseUrl, base);
    }
    return base;
  };

  return {
    build(registered, args, connector) {
      const tool = registered.tool.name;
      const plan = planFor(registered);
      const base = baseFor(connector.baseUrl, tool);
      const path = expandPath(tool, plan, args, registered.operation.path);
      const query = queryString(tool, plan, base.query, args);
      const headers = requestHeaders(tool, plan, args, connector.headers);
      let body: UpstreamRequest['body'];
      if (plan.body !== undefined) {
        const built = buildBody(tool, plan.body, args);
        if (built !== undefined) {
          body = built.payload;
          if (built.contentType !== undefined) headers['content-type'] = built.contentType;
        }
      }
      const url = targetUrl(tool, base, plan.template.literals[0], path, query, connector.allowedHosts);
      return body === undefined ? { method: plan.method, url: url.href, headers } : { method: plan.method, url: url.href, headers, body };
    },
  };
}

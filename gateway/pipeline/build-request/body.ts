/** The request body by the tool's body kind: JSON, form, multipart (with file parts), text, bytes. */
import { FormData } from 'undici';
import { decodeBytes, serialiseFormBody, valueText } from '../../../generators';
import { buildError, guarded } from './build-errors';
import { filenameFor, sniffMediaType } from './file-types';
import { isObject, type BodyPlan } from './plan';

export interface BuiltBody {
  payload: string | Buffer | FormData;
  contentType?: string;
}

export function buildBody(tool: string, plan: BodyPlan, args: Record<string, unknown>): BuiltBody | undefined {
  let value: unknown;
  if (plan.whole !== undefined) {
    value = args[plan.whole];
    if (value === undefined) return undefined;
  } else {
    const assembled: Record<string, unknown> = {};
    let given = false;
    for (const field of plan.fields) {
      const fieldValue = args[field.property];
      if (fieldValue === undefined) continue;
      assembled[field.name] = fieldValue;
      given = true;
    }
    if (!given && !plan.required) return undefined;
    value = assembled;
  }
  const label = plan.whole ?? 'body';
  switch (plan.kind) {
    case 'json':
      return { payload: JSON.stringify(value), contentType: plan.mediaType.includes('*') ? 'application/json' : plan.mediaType };
    case 'form': {
      if (typeof value === 'string') return { payload: value, contentType: plan.mediaType };
      if (!isObject(value)) throw buildError(tool, `argument "${label}" must be an object of form fields`, label);
      const form = value;
      return { payload: guarded(tool, label, () => serialiseFormBody(form, plan.encoding)), contentType: plan.mediaType };
    }
    case 'multipart':
      // A multipart body whose schema is one binary string (Jira's attachments) is one
      // file; `file` is the part name such APIs expect.
      if (typeof value === 'string') return { payload: multipartBody(tool, { ...plan, files: new Map([['file', {}]]) }, { file: value }) };
      if (!isObject(value)) throw buildError(tool, `argument "${label}" must be an object of form fields, or one file as base64 text or a data: URL`, label);
      return { payload: multipartBody(tool, plan, value) };
    case 'text':
      if (typeof value === 'object' && value !== null) throw buildError(tool, `argument "${label}" must be text for ${plan.mediaType}`, label);
      return { payload: valueText(value), contentType: plan.mediaType.includes('*') ? 'text/plain' : plan.mediaType };
    case 'binary': {
      if (typeof value !== 'string') throw buildError(tool, `argument "${label}" must be base64 text or a data: URL`, label);
      const decoded = guarded(tool, label, () => decodeBytes(value));
      const type = plan.mediaType.includes('*') ? (decoded.mediaType ?? sniffMediaType(decoded.bytes, plan.mediaType)) : plan.mediaType;
      return { payload: decoded.bytes, contentType: type };
    }
  }
}

function multipartBody(tool: string, plan: BodyPlan, body: Record<string, unknown>): FormData {
  const form = new FormData();
  // Arguments are named by the tool's property in errors, the body field otherwise.
  const argumentOf = new Map(plan.fields.map((f) => [f.name, f.property]));
  for (const name of Object.keys(body)) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    const label = argumentOf.get(name) ?? `${plan.whole ?? 'body'}.${name}`;
    const file = plan.files.get(name);
    // OAS §4.8.15.3: a list is one part per item under the same name.
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      if (file === undefined) {
        form.append(name, valueText(item));
        continue;
      }
      if (typeof item !== 'string') throw buildError(tool, `argument "${label}" must be a file as base64 text or a data: URL`, label);
      const decoded = guarded(tool, label, () => decodeBytes(item));
      const type = decoded.mediaType ?? file.contentType ?? 'application/octet-stream';
      form.append(name, new Blob([decoded.bytes], { type }), filenameFor(name, decoded, type));
    }
  }
  return form;
}

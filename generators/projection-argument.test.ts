/** The `_jmespath` argument: on every tool with a JSON result, never on the others, never clashing with the API's own. */
import { generateTools } from './generate-tools';
import { readSpecText } from './spec-reader';
import { PROJECTION_ARGUMENT } from './tool';

const SPEC = JSON.stringify({
  openapi: '3.0.3',
  info: { title: 'Things', version: '1' },
  servers: [{ url: 'https://api.example.com' }],
  paths: {
    '/things': {
      get: {
        operationId: 'listThings',
        parameters: [{ name: '_jmespath', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { type: 'object' } } } } } },
      },
    },
    '/things/{id}/file': {
      get: {
        operationId: 'downloadThing',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } } },
      },
    },
  },
});

it('adds _jmespath to JSON results only, and renames an API parameter of that name', async () => {
  const set = generateTools(await readSpecText('things.json', SPEC), { connectorId: 'things' });
  const list = set.tools.find((t) => t.name === 'things_list_things')!;
  expect(Object.keys(list.inputSchema.properties!)).toEqual(['query__jmespath', PROJECTION_ARGUMENT]);
  expect(list.inputSchema.properties![PROJECTION_ARGUMENT]).toEqual({ type: 'string', description: expect.stringContaining('JMESPath') });
  // The API's own parameter still goes to the API, under the name the spec gives it.
  expect(set.bindings.find((b) => b.tool === 'things_list_things')!.arguments).toEqual([{ property: 'query__jmespath', in: 'query', name: '_jmespath' }]);
  const download = set.tools.find((t) => t.name === 'things_download_thing')!;
  expect(Object.keys(download.inputSchema.properties!)).toEqual(['id']);
});

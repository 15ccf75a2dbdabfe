/**
 * One fixture spec per feature, with assertions on the tools generated from it.
 * The fixtures live in test/fixtures/specs; each is small enough to read beside its test.
 */
import { generateTools, readSpecFile } from '../../generators';
import { createAjv, fixture, schemaFailures, toolNamed, toolSetOf, MCP_TOOL_NAME } from '../helpers/specs';

describe('Swagger 2.0 (YAML), converted to OpenAPI 3', () => {
  const file = fixture('petstore-swagger2.yaml');

  it('reads, converts and names the conversion in a warning', async () => {
    const spec = await readSpecFile(file);
    expect(spec.declaredVersion).toBe('2.0');
    expect(spec.version).toBe('3.0');
    expect(spec.format).toBe('yaml');
    expect(spec.document.openapi).toMatch(/^3\.0/);
    expect(spec.problems.items.map((p) => p.rule)).toEqual(['spec-converted']);
  });

  it('turns every operation into a tool, with body, form and file parameters', async () => {
    const set = await toolSetOf(file);
    expect(set.tools.map((t) => t.name)).toEqual([
      'petstore-swagger2_add_pet',
      'petstore-swagger2_find_pets_by_status',
      'petstore-swagger2_get_pet_by_id',
      'petstore-swagger2_update_pet_with_form',
      'petstore-swagger2_delete_pet',
      'petstore-swagger2_upload_file',
    ]);
    // `in: body` became a JSON request body whose properties sit beside the parameters; readOnly id is gone.
    const addPet = toolNamed(set, 'add_pet');
    expect(Object.keys(addPet.inputSchema.properties!)).toEqual(['category', 'name', 'photoUrls', 'status', '_jmespath']);
    expect(addPet.inputSchema.required).toEqual(['name', 'photoUrls']);
    // ...but the response still has it.
    expect(addPet.outputSchema?.properties).toHaveProperty('id', { type: 'integer' });
    // formData -> application/x-www-form-urlencoded body, flattened.
    const form = toolNamed(set, 'update_pet_with_form');
    expect(form.inputSchema.required).toEqual(['petId', 'name']);
    expect(set.bindings.find((b) => b.tool === form.name)!.body).toEqual({ mediaType: 'application/x-www-form-urlencoded', kind: 'form', mode: 'properties' });
    // type: file -> multipart with a base64 string.
    const upload = toolNamed(set, 'upload_file');
    expect(upload.inputSchema.properties!.body).toMatchObject({ properties: { file: { type: 'string', contentEncoding: 'base64' } }, required: ['file'] });
    // securityDefinitions and host/basePath survive the conversion.
    expect(set.api.servers[0].url).toBe('https://petstore.example.com/v2');
    expect(set.operations.find((o) => o.operationId === 'addPet')!.security).toEqual([{ api_key: [] }]);
  });
});

describe('OpenAPI 3.0: parameter locations, body types, servers, security', () => {
  const file = fixture('locations-3.0.yaml');

  it('puts path, query, header and cookie parameters into one object schema', async () => {
    const set = await toolSetOf(file);
    const get = toolNamed(set, 'get_member');
    expect(get.inputSchema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['org', 'member_id', 'session'],
    });
    expect(Object.keys(get.inputSchema.properties!)).toEqual(['org', 'member_id', 'fields', 'filter', 'page', 'X-Trace', 'session', '_jmespath']);
    // The operation's X-Trace overrides the path-level one (same name and location).
    expect(get.inputSchema.properties!['X-Trace']).toEqual({ type: 'string', format: 'uuid', description: 'A trace id echoed in logs.' });
    expect(get.inputSchema.properties!.page).toEqual({ type: 'integer', default: 1, minimum: 1 });
    const binding = set.bindings.find((b) => b.tool === get.name)!;
    expect(binding.arguments.map((a) => `${a.in}:${a.name}`)).toEqual([
      'path:org',
      'path:member_id',
      'query:fields',
      'query:filter',
      'query:page',
      'header:X-Trace',
      'cookie:session',
    ]);
    // Style and explode reach the operation model, which the client runtime serialises from.
    const fields = set.operations.find((o) => o.operationId === 'getMember')!.parameters.find((p) => p.name === 'fields')!;
    expect([fields.style, fields.explode]).toEqual(['form', false]);
  });

  it('strips HTML and "for more information" from descriptions', async () => {
    const get = toolNamed(await toolSetOf(file), 'get_member');
    expect(get.title).toBe('Get a member');
    expect(get.description).toBe('Returns one member of the organisation.');
  });

  it('drops readOnly from inputs, writeOnly from outputs, and translates nullable', async () => {
    const set = await toolSetOf(file);
    const put = toolNamed(set, 'replace_member');
    const input = put.inputSchema.properties!;
    expect(input).not.toHaveProperty('id');
    expect(input).toHaveProperty('password');
    expect(input.nickname).toEqual({ type: ['string', 'null'] });
    expect(put.outputSchema!.properties).toHaveProperty('id');
    expect(put.outputSchema!.properties).not.toHaveProperty('password');
    expect(put.outputSchema!.properties!.nickname).toEqual({ type: ['string', 'null'] });
  });

  it('references a component schema used twice once from $defs', async () => {
    const put = toolNamed(await toolSetOf(file), 'replace_member');
    expect(put.inputSchema.properties!.home).toEqual({ $ref: '#/$defs/Address' });
    expect(put.inputSchema.properties!.work).toEqual({ $ref: '#/$defs/Address' });
    expect(Object.keys(put.inputSchema.$defs as object)).toEqual(['Address']);
    expect(put.inputSchema.required).toEqual(['org', 'member_id', 'login']);
  });

  it('keeps both sides of a parameter/body-property clash', async () => {
    const set = await toolSetOf(file);
    const patch = toolNamed(set, 'rename_member');
    expect(patch.inputSchema.properties!.org).toEqual({ type: 'string', minLength: 1 }); // a path parameter: never empty
    expect(patch.inputSchema.properties!.body_org).toEqual({ type: 'string', description: 'the new organisation' });
    expect(patch.inputSchema.required).toEqual(['org', 'member_id', 'body_org']);
    const args = set.bindings.find((b) => b.tool === patch.name)!.arguments;
    expect(args.find((a) => a.property === 'body_org')).toEqual({ property: 'body_org', in: 'body', name: 'org' });
  });

  it.each([
    ['upload_avatar', 'application/octet-stream', 'binary', { type: 'string', contentEncoding: 'base64', contentMediaType: 'application/octet-stream' }, true],
    ['add_note', 'text/plain', 'text', { type: 'string', maxLength: 1000 }, true],
    // An optional body with a required property cannot be flattened without changing `required`.
    ['invite_by_form', 'application/x-www-form-urlencoded', 'form', { type: 'object', required: ['email'] }, false],
    ['upload_attachment', 'multipart/form-data', 'multipart', { type: 'object', properties: { file: { type: 'string', contentEncoding: 'base64' } } }, false],
  ])('%s sends a %s body as the `body` argument', async (suffix, mediaType, kind, schema, required) => {
    const set = await toolSetOf(file);
    const tool = toolNamed(set, suffix);
    expect(tool.inputSchema.properties!.body).toMatchObject(schema);
    expect(tool.inputSchema.required?.includes('body') ?? false).toBe(required);
    expect(set.bindings.find((b) => b.tool === tool.name)!.body).toEqual({ mediaType, kind, mode: 'whole' });
  });

  it.each([
    ['get_member', { readOnlyHint: true, idempotentHint: true }],
    ['replace_member', { idempotentHint: true }],
    ['remove_member', { destructiveHint: true, idempotentHint: true }],
    // No hint at all: MCP's defaults (not read-only, may destroy, not idempotent) are what {} would say, in no bytes.
    ['add_note', undefined],
    ['rename_member', undefined],
  ])('annotates %s from its HTTP method', async (suffix, annotations) => {
    expect(toolNamed(await toolSetOf(file), suffix).annotations).toStrictEqual(annotations);
  });

  it('has outputSchema only for JSON object responses', async () => {
    const set = await toolSetOf(file);
    expect(toolNamed(set, 'get_avatar').outputSchema).toBeUndefined(); // image/png
    expect(toolNamed(set, 'remove_member').outputSchema).toBeUndefined(); // 204
    expect(toolNamed(set, 'add_note').outputSchema).toEqual({ type: 'object', properties: { id: { type: 'string' } } });
  });

  it('leaves deprecated operations out unless asked, and marks them', async () => {
    const set = await toolSetOf(file);
    expect(set.tools.map((t) => t.name)).not.toContain('locations-3-0_list_legacy_members');
    expect(set.skipped).toEqual([{ operation: 'GET /legacy/members', pointer: '/paths/~1legacy~1members/get', reason: expect.stringMatching(/^deprecated/) }]);
    const all = await toolSetOf(file, { includeDeprecated: true });
    expect(toolNamed(all, 'list_legacy_members').description).toMatch(/^Deprecated\./);
  });

  it('models servers with variables and security (operation-level overrides, empty opts out)', async () => {
    const set = await toolSetOf(file);
    expect(set.api.servers).toEqual([
      expect.objectContaining({
        url: 'https://{region}.api.example.com/{basePath}',
        variables: { region: expect.objectContaining({ default: 'eu', enum: ['eu', 'us'] }), basePath: expect.objectContaining({ default: 'v1' }) },
      }),
    ]);
    const security = (id: string) => set.operations.find((o) => o.operationId === id)!.security;
    expect(security('getMember')).toEqual([{ bearer: [] }]);
    expect(security('replaceMember')).toEqual([{ key: [] }]);
    expect(security('removeMember')).toEqual([]);
  });

  it('keeps success and error responses in the operation model', async () => {
    const op = (await toolSetOf(file)).operations.find((o) => o.operationId === 'getMember')!;
    expect(op.responses.map((r) => r.status)).toEqual(['200', '404']);
    expect(op.responses[0].contents.map((c) => c.mediaType)).toEqual(['application/json']);
  });
});

describe('OpenAPI 3.1 (JSON) with circular schemas', () => {
  const file = fixture('circular-3.1.json');

  it('keeps a self-referencing schema valid through $defs', async () => {
    const set = await toolSetOf(file);
    const tree = toolNamed(set, 'create_tree');
    expect(tree.inputSchema.properties!.children).toEqual({ type: 'array', items: { $ref: '#/$defs/Node' } });
    expect((tree.inputSchema.$defs as Record<string, unknown>).Node).toMatchObject({ properties: { children: { items: { $ref: '#/$defs/Node' } } } });
    expect(schemaFailures(set.tools)).toEqual([]);
  });

  it('keeps mutually recursive schemas valid', async () => {
    const graph = toolNamed(await toolSetOf(file), 'create_graph');
    expect(Object.keys(graph.inputSchema.$defs as object).sort()).toEqual(['Edge', 'Vertex']);
    expect(JSON.stringify(graph.inputSchema)).not.toContain('#/components/');
  });

  it('keeps 3.1 type arrays and drops `examples` from inputs', async () => {
    const label = toolNamed(await toolSetOf(file), 'get_label');
    // ...except where the gateway would refuse the value: a path segment is never null or empty.
    expect(label.inputSchema.properties!.label).toEqual({ type: 'string', minLength: 1 });
    expect(label.outputSchema!.properties!.hex).toEqual({ type: ['string', 'null'] });
  });

  it('validates real arguments with the generated schema', async () => {
    const ajv = createAjv();
    const validate = ajv.compile(toolNamed(await toolSetOf(file), 'create_tree').inputSchema);
    expect(validate({ value: 'a', children: [{ value: 'b', children: [] }] })).toBe(true);
    expect(validate({ value: 'a', children: [{ children: [] }] })).toBe(false);
    expect(validate({ value: 'a', colour: 'red' })).toBe(false);
  });
});

describe('tool names', () => {
  it('derives, shortens and de-duplicates names', async () => {
    const set = await toolSetOf(fixture('names-3.0.yaml'));
    expect(set.tools.map((t) => [t.name, t.title])).toEqual([
      ['names-3-0_get_users', 'no operationId at all'],
      ['names-3-0_users_create', 'users.create'],
      ['names-3-0_get_user_get', 'getUser'],
      ['names-3-0_get_user_delete', 'getUser'],
      ['names-3-0_get_user', 'get-user'],
      ['names-3-0_get_things_by_thing_id_sub_things_by_sub_thing', 'GET /things/{thing_id}/sub-things/{sub.thing}'],
      [expect.stringMatching(/^names-3-0_a_very_long_operation_identifier_that_keeps_goi_[0-9a-z]{6}$/), expect.any(String)],
      ['names-3-0_names_prefixed_list', 'names.prefixed.list'],
    ]);
    // An operationId that starts with the connector id does not repeat it.
    const named = await toolSetOf(fixture('names-3.0.yaml'), { connectorId: 'names' });
    expect(named.tools.map((t) => t.name)).toContain('names_prefixed_list');
    for (const tool of set.tools) expect(tool.name).toMatch(MCP_TOOL_NAME);
  });

  it('makes argument names safe for every client and keeps the wire name in the binding', async () => {
    const set = await toolSetOf(fixture('names-3.0.yaml'));
    const binding = set.bindings.find((b) => b.tool.includes('get_things'))!;
    expect(binding.arguments).toContainEqual({ property: 'filter_state', in: 'query', name: 'filter[state]' });
  });

  it('is the same on every run', async () => {
    const a = await toolSetOf(fixture('names-3.0.yaml'));
    const b = await toolSetOf(fixture('names-3.0.yaml'));
    expect(JSON.stringify(a.tools)).toBe(JSON.stringify(b.tools));
  });

  it('takes a connector id and refuses a bad one with a coded error', async () => {
    const spec = await readSpecFile(fixture('names-3.0.yaml'));
    expect(generateTools(spec, { connectorId: 'acme' }).tools[0].name).toBe('acme_get_users');
    expect(() => generateTools(spec, { connectorId: 'Not Valid!' })).toThrow(expect.objectContaining({ code: 'HUB_ERR_CONFIG_CONNECTOR_ID' }));
  });
});

describe('slightly invalid operations', () => {
  const file = fixture('invalid-ops-3.0.yaml');

  it('ingests what can be understood and warns with a pointer for the rest', async () => {
    const set = await toolSetOf(file);
    expect(set.tools.map((t) => t.name)).toEqual([
      'invalid-ops-3-0_get_item',
      'invalid-ops-3-0_list_items',
      'invalid-ops-3-0_create_item',
      'invalid-ops-3-0_create_orphan',
    ]);
    expect(set.problems.map((p) => [p.severity, p.rule, p.pointer])).toEqual(
      expect.arrayContaining([
        ['warning', 'path-parameter-undeclared', '/paths/~1items~1{itemId}/get'],
        ['warning', 'parameter-invalid', '/paths/~1items/get/parameters/3'],
        ['warning', 'parameter-invalid', '/paths/~1items/get/parameters/4/in'],
        ['warning', 'operation-invalid', '/paths/~1orphans/get'],
        ['warning', 'schema-invalid-pattern', '/paths/~1items/get/parameters/0/schema/pattern'],
        ['warning', 'schema-invalid-type', '/paths/~1items/get/parameters/1/schema/type'],
        ['warning', 'ref-unresolved', '/paths/~1items/post/requestBody/content/application~1json/schema'],
      ]),
    );
    for (const problem of set.problems) expect(problem.file).toBe(file);
  });

  it('degrades each bad piece to something valid', async () => {
    const set = await toolSetOf(file);
    expect(toolNamed(set, 'get_item').inputSchema).toMatchObject({ properties: { itemId: { type: 'string', minLength: 1 } }, required: ['itemId'] });
    const list = toolNamed(set, 'list_items').inputSchema.properties!;
    expect(list.q).toEqual({ type: 'string' }); // the broken pattern is dropped, not the parameter
    expect(list.kind).toEqual({});
    expect(Object.keys(list)).toEqual(['q', 'kind', 'nothing']);
    expect(toolNamed(set, 'create_item').inputSchema.properties!.body).toEqual({});
    expect(schemaFailures(set.tools)).toEqual([]);
  });
});

describe('files split with relative $refs', () => {
  it('bundles parameters and schemas from other files', async () => {
    const set = await toolSetOf(fixture('external/main.yaml'));
    expect(set.problems).toEqual([]);
    const list = toolNamed(set, 'list_pets');
    expect(list.inputSchema.properties!.limit).toMatchObject({ type: 'integer', maximum: 100 });
    const create = toolNamed(set, 'create_pet');
    expect(create.inputSchema.properties!.body).toMatchObject({
      required: ['name'],
      properties: { owner: { properties: { email: { type: 'string', format: 'email' } } } },
    });
  });

  it('warns about a file that is not there and still serves the rest', async () => {
    const set = await toolSetOf(fixture('external/missing-ref.yaml'));
    expect(set.tools.map((t) => t.name)).toEqual(['missing-ref_list_pets', 'missing-ref_health']);
    expect(set.problems.map((p) => [p.rule, p.pointer])).toEqual([
      ['ref-external-unresolved', ''],
      ['ref-unresolved', '/paths/~1pets/get/responses/200/content/application~1json/schema'],
    ]);
    expect(set.problems[0].message).toContain('nope.yaml');
  });
});

describe('files that cannot be read at all', () => {
  it.each([
    ['broken/does-not-exist.yaml', 'HUB_ERR_SPEC_UNREADABLE', /no such file/],
    ['broken', 'HUB_ERR_SPEC_UNREADABLE', /directory/i],
    ['broken/bad-yaml.yaml', 'HUB_ERR_SPEC_PARSE', /YAML: line \d+, column \d+/],
    ['broken/bad-json.json', 'HUB_ERR_SPEC_PARSE', /line 1/],
    ['broken/not-openapi.json', 'HUB_ERR_SPEC_NOT_OPENAPI', /openapi|swagger/],
    ['broken/list.yaml', 'HUB_ERR_SPEC_NOT_OPENAPI', /not an object/],
    ['broken/empty.yaml', 'HUB_ERR_SPEC_PARSE', /the file is empty/],
    ['broken/future-version.yaml', 'HUB_ERR_SPEC_VERSION', /4\.0\.0/],
  ])('%s: one %s naming the file', async (name, code, reason) => {
    const file = fixture(name);
    const error = await readSpecFile(file).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error).toBeDefined();
    expect(error!.code).toBe(code);
    expect(error!.message).toContain(file);
    expect(error!.message).toMatch(reason);
    expect(error!.message).not.toMatch(/\n\s+at /); // no stack trace in the message
  });
});

describe('names outside ASCII', () => {
  const file = fixture('unicode-3.0.yaml');

  it('transliterates tool and argument names instead of stripping them, and keeps them valid', async () => {
    const set = await toolSetOf(file);
    expect(set.tools.map((t) => t.name)).toEqual([
      'unicode-3-0_get_unicode_by_klyuch',
      'unicode-3-0_send_grusse',
      'unicode-3-0_get',
      'unicode-3-0_delete_plain_by_id',
    ]);
    for (const tool of set.tools) {
      expect(tool.name).toMatch(MCP_TOOL_NAME);
      for (const property of Object.keys(tool.inputSchema.properties ?? {})) expect(property).toMatch(MCP_TOOL_NAME);
    }
    expect(Object.keys(toolNamed(set, 'get_unicode_by_klyuch').inputSchema.properties!)).toEqual(['klyuch', 'grosse', '_jmespath']);
    expect(Object.keys(toolNamed(set, 'send_grusse').inputSchema.properties!)).toEqual(['empfanger', 'text']);
  });

  it('maps each renamed argument back to the real parameter or body property', async () => {
    const set = await toolSetOf(file);
    expect(set.bindings.find((b) => b.tool === 'unicode-3-0_get_unicode_by_klyuch')!.arguments).toEqual([
      { property: 'klyuch', in: 'path', name: 'ключ' },
      { property: 'grosse', in: 'query', name: 'größe' },
    ]);
    expect(set.bindings.find((b) => b.tool === 'unicode-3-0_send_grusse')!.arguments[0]).toEqual({ property: 'empfanger', in: 'body', name: 'empfänger' });
  });

  it('names the original in the descriptions of what was renamed', async () => {
    const set = await toolSetOf(file);
    const get = toolNamed(set, 'get_unicode_by_klyuch');
    expect(get.description).toBe('GET /ünïcode/{ключ} with klyuch (path) and grosse (query).');
    expect(get.inputSchema.properties!.klyuch).toEqual({ type: 'string', minLength: 1, description: '(path parameter "ключ")' });
    expect(get.inputSchema.properties!.grosse).toEqual({ type: 'integer', description: 'Size in pixels. (query parameter "größe")' });
    const send = toolNamed(set, 'send_grusse');
    expect(send.description).toBe('Send greetings (named after "sendGrüße")');
    expect(send.inputSchema.properties!.empfanger).toEqual({ type: 'string', description: 'Who gets them. (body property "empfänger")' });
    expect(send.inputSchema.properties!.text).toEqual({ type: 'string' }); // unchanged names say nothing more
  });
});

describe('descriptions', () => {
  it('gives an operation with neither summary nor description one from its method, path and arguments', async () => {
    const set = await toolSetOf(fixture('unicode-3.0.yaml'));
    expect(toolNamed(set, 'delete_plain_by_id').description).toBe('DELETE /plain/{id} with id (path), reason (query) and tags (query).');
    expect(toolNamed(set, 'get').description).toBe('GET /🚀.');
  });

  it.each([
    'petstore-swagger2.yaml',
    'locations-3.0.yaml',
    'circular-3.1.json',
    'names-3.0.yaml',
    'invalid-ops-3.0.yaml',
    'styles-3.1.yaml',
    'unicode-3.0.yaml',
    'external/main.yaml',
  ])('gives every tool of %s a description', async (name) => {
    const set = await toolSetOf(fixture(name), { includeDeprecated: true });
    expect(set.tools.filter((t) => typeof t.description !== 'string' || t.description.trim() === '').map((t) => t.name)).toEqual([]);
  });
});

describe('arguments the gateway would refuse are not admitted by the inputSchema', () => {
  it('says a path parameter is never empty or null, and a required query parameter never empty', async () => {
    const set = await toolSetOf(fixture('unicode-3.0.yaml'));
    const remove = toolNamed(set, 'delete_plain_by_id').inputSchema.properties!;
    expect(remove.id).toEqual({ type: 'integer' }); // an integer is never empty
    expect(remove.reason).toEqual({ type: 'string', minLength: 1 }); // required, allowEmptyValue false
    expect(remove.tags).toEqual({ type: 'array', items: { type: 'string' } }); // optional: "" is left out, not refused
    const ajv = createAjv();
    const validate = ajv.compile(toolNamed(set, 'get_unicode_by_klyuch').inputSchema);
    expect(validate({ klyuch: '' })).toBe(false);
    expect(validate({ klyuch: null })).toBe(false);
    expect(validate({ klyuch: 'x' })).toBe(true);
  });
});

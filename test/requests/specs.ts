/**
 * The real specs the request suite runs, and what was found reviewing each failure.
 *
 * Every entry in the tables below was looked at by hand: the request the hub sent, the
 * spec, and what Prism said (and, for Prism's false positives, the same request replayed
 * by hand against Prism with a value Prism does accept). Keys are `METHOD /path` as the
 * spec writes the path; `match` must match every violation Prism listed, so any other
 * problem with the same request still fails. A HUB BUG or spec-problem entry that stops
 * failing fails the suite too, so those tables stay true; the Prism table lists every
 * operation a Prism bug can hit, whether or not this run's arguments hit it.
 */
import { REAL_SPECS } from '../helpers/real-specs';
import type { Known, SpecCase } from './run-spec';

/** The tenant's connection for bearer APIs: Prism only checks that a Bearer token is there. */
const BEARER = { kind: 'bearer', secret: 'prism-requests-token' } as const;
/** Basic credentials (Prism checks for `user:password` in base64). */
const BASIC = { kind: 'basic', username: 'prism@example.com', secret: 'api-token' } as const;

/**
 * Prism 5.14 coerces a path segment to each `oneOf` branch, so a numeric segment matches
 * both `{type: integer}` and `{type: string}` and fails "exactly one". GitHub declares
 * these ids as `oneOf: [integer, string]` (an id, or a workflow file name / commit SHA);
 * the hub sends the integer as digits, which is what the spec and GitHub mean. Replayed
 * by hand: `/actions/workflows/123/runs` gets 422, `/actions/workflows/ci.yml/runs` 200.
 */
const ONE_OF_NUMERIC_PATH: Known = {
  reason: 'Prism: a numeric path segment matches both branches of oneOf [integer, string] after coercion',
  match: /^path\.\w+: Request path parameter \w+ must match exactly one schema in oneOf$/,
};

/**
 * The body is `required` and its schema `nullable: true`, so the JSON text `null` is a
 * valid body; Prism parses it to null and then reports "Body parameter is required"
 * (it cannot tell a JSON null from no body). Replayed by hand: `null` gets 400 with that
 * violation, `{}` gets 201.
 */
const NULL_JSON_BODY: Known = {
  reason: 'Prism: a JSON `null` body (the schema is nullable) is taken for a missing body',
  match: /Body parameter is required/,
};

export const SPEC_CASES: SpecCase[] = [
  {
    // OAS 3.0.3, 1,223 operations (1,186 tools), no securitySchemes; server https://api.github.com.
    name: 'github',
    file: REAL_SPECS.github,
    basePath: '',
    minValidShare: 0.99,
    // Every operation of the spec the two Prism bugs can hit (whether a run hits one
    // depends on the branch the faker picks: a string id, or an object body, passes).
    prismFalsePositives: {
      'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}': ONE_OF_NUMERIC_PATH,
      'PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/disable': ONE_OF_NUMERIC_PATH,
      'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches': ONE_OF_NUMERIC_PATH,
      'PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable': ONE_OF_NUMERIC_PATH,
      'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs': ONE_OF_NUMERIC_PATH,
      'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/timing': ONE_OF_NUMERIC_PATH,
      'GET /repos/{owner}/{repo}/pages/deployments/{pages_deployment_id}': ONE_OF_NUMERIC_PATH,
      'POST /repos/{owner}/{repo}/pages/deployments/{pages_deployment_id}/cancel': ONE_OF_NUMERIC_PATH,
      'PATCH /gists/{gist_id}': NULL_JSON_BODY,
      'POST /repos/{owner}/{repo}/codespaces': NULL_JSON_BODY,
      'POST /repos/{owner}/{repo}/pages': NULL_JSON_BODY,
      'POST /repos/{owner}/{repo}/pulls/{pull_number}/codespaces': NULL_JSON_BODY,
    },
    probes: [
      {
        // OAS: allowEmptyValue defaults to false, so `min_timestamp=` is not a value; a
        // required parameter given "" is refused (nothing sent), and the tool's own
        // inputSchema says so (`minLength: 1`), so it is refused as arguments, not later.
        tool: 'github_api_insights_get_summary_stats_by_user',
        args: { org: 'octo-org', user_id: 'octocat', min_timestamp: '' },
        expected: 'arguments',
        why: 'a required query parameter cannot be empty (allowEmptyValue is false), as its inputSchema says',
      },
      {
        // ...and an optional one given "" is left out, which is what an agent sending "" means.
        tool: 'github_issues_list_for_repo',
        args: { owner: 'octo-org', repo: 'octo-repo', labels: '' },
        expected: 'valid',
        why: 'an optional query parameter given "" is left out of the request',
      },
    ],
  },
  {
    // OAS 3.1, 24 operations; bearer security (most operations say `security: []`).
    name: 'notion',
    file: REAL_SPECS.notion,
    basePath: '',
    connection: BEARER,
    minValidShare: 0.95,
  },
  {
    // OAS 3.0 (converted from Swagger 2.0), 174 operations, form bodies; server https://slack.com/api.
    name: 'slack',
    file: REAL_SPECS.slack,
    basePath: '/api',
    connection: BEARER,
    minValidShare: 0.99,
  },
  {
    // OAS 3.0, 167 operations, `opt_fields` arrays with explode false; server
    // https://app.asana.com/api/1.0; bearer or OAuth 2.
    name: 'asana',
    file: REAL_SPECS.asana,
    basePath: '/api/1.0',
    connection: BEARER,
    minValidShare: 0.99,
  },
  {
    // OAS 3.0.1, 499 operations (487 tools); server https://your-domain.atlassian.net.
    // Every secured operation accepts basicAuth (12 accept nothing else), so Basic it is.
    name: 'jira',
    file: REAL_SPECS.jira,
    basePath: '',
    connection: BASIC,
    // Jira declares OAuth2 first; every secured operation also accepts basicAuth, which a connection can hold.
    connectorYaml: 'auth:\n  scheme: basicAuth\n',
    minValidShare: 0.99,
    specProblems: {
      // A multipart/form-data body whose schema is `{type: string, format: binary}`: a
      // multipart schema describes the parts (an object), so no multipart request can be
      // "a string". Prism parses the parts into an object and says so. The hub sends one
      // file part named `file`, which is what Jira's documentation asks for.
      'POST /rest/api/3/issue/{issueIdOrKey}/attachments': {
        reason: 'multipart body declared as a plain binary string; Prism cannot match any multipart request to it',
        match: /^(request\.)?body: Request body must be string$/,
      },
      // SecuritySchemeMembersRequest: `required: [securitySchemeLevelMembers]` names no
      // property, and `additionalProperties: false` forbids adding it: no body is valid.
      'PUT /rest/api/3/issuesecurityschemes/{schemeId}/level/{levelId}/member': {
        reason: 'the body schema requires a property it does not declare, with additionalProperties false',
        match: /^request\.body: Request body must have required property 'securitySchemeLevelMembers'$/,
      },
      // The same spec mistake one level down: ScreenTypes requires `defaultScreen` and
      // declares `default` (what Jira reads), with additionalProperties false. The tool's
      // schema used to admit no `screens` at all, so no call was sent (the sweep counted it
      // as refused arguments); the generators now drop the impossible name from `required`
      // (schema-required-undeclared) and the hub sends `screens` as declared, which Prism,
      // holding to the spec, finds lacking `defaultScreen`.
      'POST /rest/api/3/screenscheme': {
        reason: 'ScreenTypes requires a property it does not declare, with additionalProperties false',
        match: /required property 'defaultScreen'/,
      },
    },
  },
];

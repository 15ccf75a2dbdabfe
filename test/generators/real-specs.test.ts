/**
 * Real public specs, as shipped in npm packages: every non-deprecated operation
 * becomes a tool; names are valid and unique; every schema compiles with ajv in the
 * 2020-12 dialect (what MCP clients use). A handful of tools are snapshotted so a
 * change in the generated output is a reviewed change.
 */
import { generateTools, type ToolSet, readSpecFile } from '../../generators';
import { REAL_SPECS } from '../helpers/real-specs';
import { MCP_TOOL_NAME, schemaFailures } from '../helpers/specs';

const CASES: Array<[keyof typeof REAL_SPECS, number, string[]]> = [
  // [spec, operations in the file, tools to snapshot]
  ['github', 1223, ['github_repos_get', 'github_issues_create', 'github_repos_create_or_update_file_contents', 'github_repos_delete', 'github_search_code']],
  ['notion', 24, ['notion_post_search', 'notion_patch_page']],
  ['jira', 499, ['jira_search_for_issues_using_jql', 'jira_create_issue']],
  ['slack', 174, ['slack_chat_post_message']],
  ['trello', 324, ['trello_update_boards_id_organization_by_id_board']],
  ['asana', 167, []],
  ['gmail', 79, ['gmail_users_messages_send']],
];

const sets = new Map<string, ToolSet>();
async function toolSet(id: keyof typeof REAL_SPECS): Promise<ToolSet> {
  if (!sets.has(id)) sets.set(id, generateTools(await readSpecFile(REAL_SPECS[id]), { connectorId: id }));
  return sets.get(id)!;
}

describe.each(CASES)('%s', (id, operationCount, snapshotted) => {
  afterAll(() => sets.delete(id)); // GitHub's tool set is large; do not hold it for the rest of the run

  it('turns every non-deprecated operation into a tool', async () => {
    const set = await toolSet(id);
    expect(set.operations.length + set.skipped.length).toBe(operationCount);
    const notDeprecated = set.skipped.filter((s) => !s.reason.startsWith('deprecated'));
    expect(notDeprecated).toEqual([]);
    expect(set.tools).toHaveLength(set.operations.length);
    expect(set.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('gives every tool a valid, unique name and an object inputSchema', async () => {
    const set = await toolSet(id);
    const names = set.tools.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !MCP_TOOL_NAME.test(n) || !n.startsWith(`${id}_`))).toEqual([]);
    expect(set.tools.filter((t) => t.inputSchema.type !== 'object' || (t.outputSchema && t.outputSchema.type !== 'object'))).toEqual([]);
  });

  it('has input and output schemas that all compile with ajv (2020-12)', async () => {
    expect(schemaFailures((await toolSet(id)).tools)).toEqual([]);
  });

  if (snapshotted.length > 0) {
    it('generates these tools as reviewed', async () => {
      const set = await toolSet(id);
      for (const name of snapshotted) {
        const tool = set.tools.find((t) => t.name === name);
        expect(tool).toBeDefined();
        expect(tool).toMatchSnapshot(name);
      }
    });
  }
});

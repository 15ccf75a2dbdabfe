/**
 * Compact, readable text for tool and parameter descriptions. Agents pay for every
 * byte of a tool list, so descriptions drop link targets, HTML and examples'
 * noise, and are cut to a budget at a sentence (or word) boundary. Markdown that
 * reads well as plain text (code spans, emphasis, lists) is kept.
 */

const cache = new Map<string, string>();

export function compactText(text: string | undefined, budget: number): string {
  if (text === undefined || budget <= 0) return '';
  const key = `${budget}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const out = cut(normalise(text), budget);
  if (cache.size > 50_000) cache.clear(); // bound memory on huge specs
  cache.set(key, out);
  return out;
}

export function normalise(text: string): string {
  let s = text.replace(/\r\n?/g, '\n');
  s = s.replace(/<!--[\s\S]*?-->/g, '');
  s = s.replace(/<\/?(p|br|div|li|ul|ol|h[1-6]|tr|table)\b[^>]*>/gi, '\n');
  s = s.replace(/<\/?[a-z][a-z0-9-]*\b[^>]*>/gi, '');
  s = s
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  s = s.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1'); // images -> alt text
  s = s.replace(/\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)/g, '$1'); // links -> text
  s = s.replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1'); // reference links -> text
  s = s.replace(/^\s*\[[^\]]+\]:\s*\S+.*$/gm, ''); // link definitions
  s = s.replace(/^#{1,6}\s+/gm, ''); // headings read fine as plain lines
  s = s.replace(/^\s*>\s?/gm, ''); // block quotes
  s = s.replace(/```[\s\S]*?```/g, ' '); // code blocks are examples, rarely needed to pick a tool
  s = s.replace(/\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*/gi, ''); // GitHub-flavoured callout markers
  // With link targets gone, "see X" pointers lead nowhere and only cost bytes.
  s = s.replace(/(^|\s)(?:For more (?:information|details|info)\b|See also\b)[^\n]*?[.!?]["')]?(?=\s|$)/gi, '$1');
  // Keep paragraph and list structure; fold the rest of the whitespace.
  const paragraphs = s
    .split(/\n\s*\n/)
    .map((p) =>
      p
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .reduce((acc, line) => (acc === '' ? line : /^([-*+]|\d+\.)\s/.test(line) ? `${acc}\n${line}` : `${acc} ${line}`), ''),
    )
    .filter((p) => p !== '');
  return paragraphs
    .join('\n')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/**
 * A text (or a first sentence) at most this much over budget is kept whole: cutting
 * its last words saves a few bytes and loses the point.
 */
const SLACK = 1.1;

function cut(text: string, budget: number): string {
  const limit = Math.floor(budget * SLACK);
  if (text.length <= limit) return text;
  // Sentence ends within the slack, seen with the character after them.
  const window = text.slice(0, limit + 1);
  const sentenceEnd = Math.max(window.lastIndexOf('. '), window.lastIndexOf('.\n'), window.lastIndexOf('? '), window.lastIndexOf('! '));
  let out: string;
  if (sentenceEnd >= budget * 0.4) {
    out = text.slice(0, sentenceEnd + 1);
  } else {
    const head = text.slice(0, budget - 1); // room for the ellipsis
    const space = head.search(/\s\S*$/);
    out = (space > head.length * 0.5 ? head.slice(0, space) : head).trimEnd() + '…';
  }
  // An unbalanced code span reads badly; drop the open one.
  if ((out.match(/`/g) ?? []).length % 2 === 1) out = out.slice(0, out.lastIndexOf('`')).trimEnd() + '…';
  return out;
}

/**
 * A spec problem found while reading, validating or generating. Generators collect
 * every problem and report them once (never throw on the first one), each naming the
 * file and the JSON pointer (RFC 6901) of the offending node.
 */
export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Stable rule id, e.g. `schema-invalid-pattern`; docs/spec-problems.md lists them. */
  rule: string;
  file: string;
  pointer: string;
  message: string;
}

export class ProblemList {
  readonly items: Problem[] = [];
  private readonly seen = new Set<string>();

  constructor(readonly file: string) {}

  warn(rule: string, pointer: string, message: string): void {
    this.add({ severity: 'warning', rule, file: this.file, pointer, message });
  }

  error(rule: string, pointer: string, message: string): void {
    this.add({ severity: 'error', rule, file: this.file, pointer, message });
  }

  add(problem: Problem): void {
    // Shared component schemas are visited once per tool that uses them; report once.
    const key = `${problem.rule}\u0000${problem.pointer}\u0000${problem.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(problem);
  }

  get errorCount(): number {
    return this.items.filter((p) => p.severity === 'error').length;
  }
}

export function formatProblem(problem: Problem): string {
  const where = problem.pointer === '' ? problem.file : `${problem.file}#${problem.pointer}`;
  return `${problem.severity}: ${where}: ${problem.message} [${problem.rule}]`;
}

/** How a build fails: REQUEST_BUILD naming the tool and, where one is to blame, the argument. */
import { errors, isHubError, type HubError } from '../../../errors';
import { valueText } from '../../../generators';
import type { ParamStep, Plan } from './plan';

// URL parsers resolve "." and ".." segments even when percent-encoded, so no encoding
// can carry them; name the arguments that brought dots into the path.
export function dotSegmentError(tool: string, plan: Plan, args: Record<string, unknown>, template: string): HubError {
  const suspects = plan.pathSteps.filter((step): step is ParamStep => step !== undefined && /\.|%2e/i.test(valueText(args[step.property])));
  const names = suspects.map((step) => `"${step.property}"`).join(', ');
  const subject = suspects.length === 1 ? `argument ${names}` : suspects.length > 1 ? `arguments ${names}` : 'the path arguments';
  return buildError(tool, `${subject} would make a "." or ".." segment in ${template}, which would change the path`, suspects[0]?.property);
}

export function buildError(tool: string, reason: string, argument?: string): HubError {
  return errors.REQUEST_BUILD([tool, reason], argument === undefined ? undefined : { details: { argument } });
}

/** Runs one argument's serialisation; a failure becomes REQUEST_BUILD naming the argument. */
export function guarded<T>(tool: string, argument: string, serialise: () => T): T {
  try {
    return serialise();
  } catch (cause) {
    if (isHubError(cause)) throw cause;
    throw errors.REQUEST_BUILD([tool, `argument "${argument}" ${(cause as Error).message}`], { cause, details: { argument } });
  }
}

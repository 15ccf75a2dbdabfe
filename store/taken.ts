import { errors } from '../errors';

/** SQLite says SQLITE_CONSTRAINT_UNIQUE (or _PRIMARYKEY), PostgreSQL SQLSTATE 23505. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * A taken name is the caller's input to fix (pick another), not a race to retry, hence
 * API_BAD_REQUEST rather than STORE_CONFLICT (whose advice is "try again").
 */
export async function rejectTaken<T>(write: Promise<T>, taken: { what: string; field: string; value: string }): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw errors.API_BAD_REQUEST([`${taken.what} "${taken.value}" is already taken`], { cause: error, details: { field: taken.field } });
  }
}

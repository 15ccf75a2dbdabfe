import { errors } from '../errors';
import type { HubStore, Tenant } from '../store';

/** A tenant by name; created when asked (stdio's, open mode's and the CLI's default tenant need no setup step). */
export async function tenantNamed(store: HubStore, name: string, create = false): Promise<Tenant> {
  const found = await store.getTenantByName(name);
  if (found) return found;
  if (!create) throw errors.API_NOT_FOUND([`No tenant "${name}"; create it with \`lunar-hub tenants add ${name}\``]);
  try {
    return await store.createTenant(name);
  } catch (error) {
    // Two processes creating it at once: the other one won.
    const again = await store.getTenantByName(name);
    if (again) return again;
    throw error;
  }
}

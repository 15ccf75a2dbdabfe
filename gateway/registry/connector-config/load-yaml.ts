/** yaml is loaded on first use, like ajv (start-up time of hubs without connector files). */
export function yaml(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}

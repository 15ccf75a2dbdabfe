/**
 * `lunar-hub rotate-key`: every sealed value re-sealed under a new master key, in one
 * store transaction (all or nothing). With a key file the order makes a crash at any
 * point safe: the new key is saved as `master.key.next` first (start-up then opens with
 * both), the values are re-sealed, and only then does `.next` replace `master.key`.
 * With LUNAR_MASTER_KEY the new key comes from LUNAR_NEW_MASTER_KEY, and the operator
 * swaps the variables afterwards.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { errors } from '../../errors';
import type { HubStore } from '../../store';
import {
  keyFile,
  loadMasterKeys,
  MASTER_KEY_ENV,
  NEW_MASTER_KEY_ENV,
  nextKeyFile,
  parseKey,
  readKeyFile,
  writeKeyFile,
  type MasterKeySettings,
} from './master-key';
import { KEY_BYTES, keyIdOf, SecretBox } from './secret-box';

export interface RotationReport {
  from: string;
  to: string;
  resealed: number;
}

export async function rotateMasterKey(
  store: HubStore,
  dataDir: string,
  settings: MasterKeySettings = {},
  onProgress?: (done: number, total: number) => void,
): Promise<RotationReport> {
  const keys = loadMasterKeys(dataDir, settings);
  let next: Buffer;
  if (keys.source === 'env') {
    if (!settings.newMasterKey)
      throw errors.CRED_MASTER_KEY([`comes from ${MASTER_KEY_ENV}`, `set ${NEW_MASTER_KEY_ENV} to the new key (\`openssl rand -base64 32\`) to rotate`]);
    next = parseKey(settings.newMasterKey, NEW_MASTER_KEY_ENV);
  } else {
    const pending = nextKeyFile(dataDir);
    // A rotation that died half way is finished with the key it had already saved.
    try {
      next = existsSync(pending) ? readKeyFile(pending) : randomBytes(KEY_BYTES);
      if (!existsSync(pending)) writeKeyFile(pending, next);
    } catch (cause) {
      if ((cause as { code?: string }).code?.startsWith('HUB_ERR_')) throw cause;
      throw errors.CRED_MASTER_KEY([`file ${pending} cannot be written`, (cause as Error).message], { cause });
    }
  }
  const old = keys.source === 'env' ? keys.primary : (keys.others[0] ?? keys.primary);
  const reader = new SecretBox(next, [keys.primary, ...keys.others]);
  const writer = new SecretBox(next);
  const values = await store.listSealedValues();
  const changes = [];
  for (const ref of values) {
    if (writer.isCurrent(ref.value)) continue;
    changes.push({ ref, value: writer.seal(reader.open(ref.value)) });
    onProgress?.(changes.length, values.length);
  }
  await store.replaceSealedValues(changes);
  if (keys.source !== 'env') renameSync(nextKeyFile(dataDir), keyFile(dataDir));
  return { from: keyIdOf(old), to: keyIdOf(next), resealed: changes.length };
}

import type { Db } from '../db/client';
import { apiTokens } from '../db/schema';
import { AccountError, createFirstAdmin, userCount } from './accounts';
import { pruneExpired } from './principal';
import { looksLikeToken, sha256, TOKEN_PREFIX } from './secrets';

/**
 * At start-up: with PLENUM_ADMIN_USER and PLENUM_ADMIN_PASSWORD set and no user yet, creates that first admin (for
 * unattended installs and the e2e suite; ignored once any user exists). PLENUM_ADMIN_TOKEN (a `plnm_` token made by
 * the installer, e.g. `plnm_` + 32 random bytes base64url) then becomes that admin's API token, stored hashed, so
 * automation can call the API from the first start. Returns whether users exist afterwards.
 */
export async function bootstrapAccess(db: Db, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<{ usersExist: boolean }> {
  await pruneExpired(db).catch(() => {});
  const username = env.PLENUM_ADMIN_USER?.trim();
  const password = env.PLENUM_ADMIN_PASSWORD;
  if (username && password && (await userCount(db)) === 0) {
    try {
      const user = await createFirstAdmin(db, { username, password });
      if (user) log(`created the first admin "${user.username}" from PLENUM_ADMIN_USER`);
      const token = env.PLENUM_ADMIN_TOKEN?.trim();
      if (user && token) {
        if (!looksLikeToken(token)) log(`PLENUM_ADMIN_TOKEN ignored: not a ${TOKEN_PREFIX} token`);
        else {
          await db.insert(apiTokens).values({ userId: user.id, name: 'PLENUM_ADMIN_TOKEN', prefix: token.slice(0, TOKEN_PREFIX.length + 6), secretHash: sha256(token), role: 'admin', allZones: true });
          log('registered PLENUM_ADMIN_TOKEN as the first admin\'s API token');
        }
      }
    } catch (error) {
      if (error instanceof AccountError) log(`PLENUM_ADMIN_USER ignored: ${error.field} ${error.message}`);
      else throw error;
    }
  }
  return { usersExist: (await userCount(db)) > 0 };
}

import { createHash, randomBytes } from 'node:crypto';

/** API tokens: a recognisable prefix (so secret scanners and people spot them) and 32 random bytes. */
export const TOKEN_PREFIX = 'plnm_';
const TOKEN_PATTERN = /^plnm_[A-Za-z0-9_-]{43}$/;

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function newTokenSecret(): { secret: string; hash: string; prefix: string } {
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { secret, hash: sha256(secret), prefix: secret.slice(0, TOKEN_PREFIX.length + 6) };
}

export function looksLikeToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/** A session id for the cookie (32 random bytes); the database keeps only its hash. */
export function newSessionId(): { id: string; hash: string } {
  const id = randomBytes(32).toString('base64url');
  return { id, hash: sha256(id) };
}

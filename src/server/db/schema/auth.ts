import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, integer, jsonb, pgEnum, pgTable, primaryKey, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { securityZones } from './inventory';

/**
 * Access control. A user (or an API token acting for a user) holds one role, for all zones or for named zones only:
 * viewer (read), operator (read + operate), planner (read + plan), admin (everything). See src/server/auth/permissions.ts.
 */
export const userRole = pgEnum('user_role', ['viewer', 'operator', 'planner', 'admin']);

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull().default(''),
    role: userRole('role').notNull(),
    /** True: the grant covers every security zone; false: only the zones in user_zones. */
    allZones: boolean('all_zones').notNull().default(true),
    /** `scrypt$N$r$p$salt$hash` (base64); null for accounts that only sign in through an identity provider. */
    passwordHash: text('password_hash'),
    disabled: boolean('disabled').notNull().default(false),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_username_lower').on(sql`lower(${t.username})`),
    check('users_username_format', sql`${t.username} ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'`),
  ],
);

export const userZones = pgTable(
  'user_zones',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    zoneId: integer('zone_id')
      .notNull()
      .references(() => securityZones.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.zoneId] })],
);

/** External identities (OIDC `iss` + `sub`) linked to a local user; local passwords live on `users`. */
export const userIdentities = pgTable(
  'user_identities',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('user_identities_provider_subject').on(t.provider, t.subject)],
);

/** Browser sessions. The cookie holds a random id; only its SHA-256 is stored. */
export const sessions = pgTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    /** Absolute expiry; the idle expiry is lastSeenAt + the idle timeout. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    address: text('address'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** API tokens: `plnm_` + 32 random bytes (base64url); only the SHA-256 of the whole token is stored. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the token, to recognise it in lists; never enough to use it. */
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    role: userRole('role').notNull(),
    allZones: boolean('all_zones').notNull().default(true),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    lastUsedAddress: text('last_used_address'),
    createdBy: integer('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('api_tokens_secret_hash').on(t.secretHash), index('api_tokens_user_idx').on(t.userId)],
);

export const tokenZones = pgTable(
  'token_zones',
  {
    tokenId: integer('token_id')
      .notNull()
      .references(() => apiTokens.id, { onDelete: 'cascade' }),
    zoneId: integer('zone_id')
      .notNull()
      .references(() => securityZones.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.zoneId] })],
);

/** Sign-in attempts, for rate limiting and lockout across processes (per account name and per address). */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** lower(username) as typed, whether or not such a user exists. */
    usernameKey: text('username_key').notNull(),
    address: text('address').notNull(),
    success: boolean('success').notNull(),
  },
  (t) => [index('login_attempts_user_idx').on(t.usernameKey, t.at), index('login_attempts_address_idx').on(t.address, t.at)],
);

/**
 * The security audit trail: every mutation (allowed, denied or failed), every sign-in and token use. Append-only:
 * a trigger (migration 0006) refuses UPDATE, DELETE and TRUNCATE. No foreign keys, so nothing cascades into it.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorUserId: integer('actor_user_id'),
    /** The user name at the time (or the name tried at a failed sign-in, or `system`/`anonymous`). */
    actor: text('actor').notNull(),
    tokenId: integer('token_id'),
    address: text('address'),
    /** The procedure (`devices.create`) or event (`auth.login`, `token.use`). */
    action: text('action').notNull(),
    /** ok | denied | error */
    outcome: text('outcome').notNull(),
    objectType: text('object_type'),
    objectId: text('object_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    /** Redacted input, error code and message, further changes. */
    detail: jsonb('detail'),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_actor_idx').on(t.actor, t.at),
    index('audit_log_action_idx').on(t.action, t.at),
    index('audit_log_object_idx').on(t.objectType, t.objectId),
  ],
);

/**
 * Sign-in throttling counters (src/server/auth/login.ts). `scope`: 'account-address' (key: account + "\n" + address;
 * consecutive failures with exponential backoff), 'address' (failures over all accounts in a window) or 'account'
 * (failures from all addresses in a window).
 */
export const loginThrottle = pgTable(
  'login_throttle',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    failures: integer('failures').notNull().default(0),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull().defaultNow(),
    blockedUntil: timestamp('blocked_until', { withTimezone: true }),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), check('login_throttle_scope', sql`${t.scope} IN ('account-address', 'address', 'account')`)],
);

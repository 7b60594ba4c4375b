import { bigserial, index, jsonb, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const changeAction = pgEnum('change_action', ['create', 'update', 'delete']);

/** Every create/update/delete of an inventory object: who, when, what, before and after. */
export const changeLog = pgTable(
  'change_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: changeAction('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
  },
  (t) => [index('change_log_object_idx').on(t.objectType, t.objectId, t.at), index('change_log_at_idx').on(t.at)],
);

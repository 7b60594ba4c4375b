import { connectDatabase } from '../src/server/boot';
const base = 'postgresql://%s@127.0.0.1:5432/aud_db_5359';
const c = await connectDatabase({ ownerUrl: base.replace('%s', 'aud_owner_5359'), appUrl: base.replace('%s', 'aud_app_5359') }, console.log);
console.log(c.role);
await c.pool.query('SET session_replication_role = replica').catch((e) => console.log('refused:', e.code));
await c.pool.end();
await connectDatabase({ ownerUrl: base.replace('%s', 'aud_owner_5359'), appUrl: base.replace('%s', 'postgres') }).catch((e) => console.log('boot refused:', e.message));

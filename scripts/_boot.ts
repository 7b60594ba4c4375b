import { loadConfig } from '../src/server/config';
import { bootDatabase } from '../src/server/boot';
const db = await bootDatabase(loadConfig({ ...process.env, PLENUM_DATA_DIR: '/tmp/plenum-dev', PLENUM_SEED: 'demo' }), console.log);
console.log(db.url);
process.on('SIGTERM', async () => { await db.close(); process.exit(0); });
setInterval(() => {}, 1 << 30);

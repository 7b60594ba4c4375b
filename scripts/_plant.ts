import { createDb } from '../src/server/db/client';
import { analysePlant } from '../src/server/services/plant';
const { db, pool } = createDb(process.env.URL!);
const t0 = performance.now();
const a = await analysePlant(db, 1);
console.log('ms', performance.now() - t0);
if (!a.power.ok) console.log(a.power.issues.slice(0, 5)); else {
  console.log('failoverOk', a.power.failoverOk, 'issues', a.power.issues.length, a.power.issues.slice(0,3));
  const r = Object.values(a.power.racks).slice(0, 3); console.log(r);
  for (const [id, n] of Object.entries(a.power.nodes)) if (!a.model.names.powerNodes.get(id)!.includes('PDU-')) console.log(a.model.names.powerNodes.get(id), Math.round(n.loadW/1000), Math.round(n.capacityW/1000), Math.round(n.failoverHeadroomW/1000));
}
console.log(Object.values(a.cooling.groups).map(g => [g.groupId, Math.round(g.loadW/1000), Math.round(g.capacityW/1000), g.n1Ok]));
console.log(a.cooling.issues.slice(0, 3));
await pool.end();

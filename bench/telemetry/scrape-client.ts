/**
 * CPU per scrape request on the client side: node:http (its global agent, keep-alive) against Plenum's scrape client
 * (src/server/services/telemetry/scrape-http.ts), both GETting the same exposition-sized body from a node:http server
 * in a child process (so the server's CPU is not counted), one request at a time, alternated in `--reps` passes.
 *
 *   npx tsx bench/telemetry/scrape-client.ts [--requests 4000] [--reps 3] [--lines 140]
 *
 * `--lines`: sample lines of ~180 bytes in the body (the demo averages ~113 samples a scrape; ~25 kB).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScrapeHttpClient } from '../../src/server/services/telemetry/scrape-http';
import { arg, machine, r1 } from './common';

const requests = Number(arg('requests', '4000'));
const reps = Number(arg('reps', '3'));
const lines = Number(arg('lines', '140'));

if (process.argv.includes('--serve')) {
  const line = `DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c10",pci_bus_id="00000000:1A:00.0",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-node-001"} 612.5\n`;
  const body = line.repeat(lines);
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body));
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
} else {
  const child = fork(process.argv[1]!, ['--serve', '--lines', String(lines)], { execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(m as number)));
  const url = new URL(`http://127.0.0.1:${port}/metrics`);
  const viaNodeHttp = () =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(url, { method: 'GET', headers: { accept: 'text/plain;version=0.0.4' } }, (response) => {
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
        });
        response.on('end', () => resolve(size));
      });
      request.on('error', reject);
      request.end();
    });
  const client = new ScrapeHttpClient();
  const options = { timeoutMs: 5_000, maxBytes: 64 * 1024 * 1024, accept: 'text/plain;version=0.0.4', tooLarge: () => new Error('too large'), timedOut: () => new Error('timed out') };
  const viaScrapeClient = () => client.get(url, options).then((body) => body.byteLength);
  const measure = async (get: () => Promise<number>) => {
    for (let i = 0; i < 300; i++) await get(); // warm-up: connections open, code compiled
    const cpu0 = process.cpuUsage();
    let bytes = 0;
    for (let i = 0; i < requests; i++) bytes += await get();
    const cpu = process.cpuUsage(cpu0);
    return { cpuUsPerRequest: (cpu.user + cpu.system) / requests, bytesPerRequest: bytes / requests };
  };
  const nodeHttp: number[] = [];
  const scrapeClient: number[] = [];
  let bytesPerRequest = 0;
  for (let rep = 0; rep < reps; rep++) {
    nodeHttp.push((await measure(viaNodeHttp)).cpuUsPerRequest);
    const ours = await measure(viaScrapeClient);
    scrapeClient.push(ours.cpuUsPerRequest);
    bytesPerRequest = ours.bytesPerRequest;
  }
  client.close();
  child.kill();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    JSON.stringify(
      {
        bench: 'scrape-client',
        machine: machine(),
        requests,
        reps,
        bytesPerRequest,
        cpuUsPerRequest: { nodeHttp: nodeHttp.map(r1), scrapeClient: scrapeClient.map(r1) },
        median: { nodeHttp: r1(median(nodeHttp)), scrapeClient: r1(median(scrapeClient)), ratio: r1(median(nodeHttp) / median(scrapeClient)) },
      },
      null,
      2,
    ),
  );
}

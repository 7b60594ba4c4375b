/**
 * Plenum NVML exporter: dcgm-exporter-compatible /metrics straight from libnvidia-ml, no DCGM needed.
 *
 *   npx tsx exporters/nvml/main.ts [--port 9400] [--listen 0.0.0.0] [--lib /path/libnvidia-ml.so.1]
 *                                  [--hostname NAME] [--hostname-label Hostname|hostname]
 *
 * Environment: NVML_LIB_PATH (same as --lib), NODE_NAME (hostname reported, as dcgm-exporter does in Kubernetes).
 * Endpoints: GET /metrics, GET /health. Exits with status 2 and one line on stderr when NVML is unavailable.
 */
import { createServer } from 'node:http';
import { hostname as osHostname } from 'node:os';
import { type GpuReading, type Nvml, NvmlUnavailableError, openNvml } from './nvml';
import { renderMetrics } from './render';

interface Options {
  port: number;
  listen: string;
  lib: string;
  hostname: string;
  hostnameLabel: 'Hostname' | 'hostname';
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    port: 9400,
    listen: '0.0.0.0',
    lib: process.env.NVML_LIB_PATH || 'libnvidia-ml.so.1',
    hostname: process.env.NODE_NAME || osHostname(),
    hostnameLabel: 'Hostname',
  };
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++k];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const p = Number(value());
        if (!Number.isInteger(p) || p < 0 || p > 65535) throw new UsageError('--port must be an integer 0-65535');
        opts.port = p;
        break;
      }
      case '--listen':
        opts.listen = value();
        break;
      case '--lib':
        opts.lib = value();
        break;
      case '--hostname':
        opts.hostname = value();
        break;
      case '--hostname-label': {
        const v = value();
        if (v !== 'Hostname' && v !== 'hostname') throw new UsageError('--hostname-label must be Hostname or hostname');
        opts.hostnameLabel = v;
        break;
      }
      case '-h':
      case '--help':
        process.stdout.write(
          'usage: nvml-exporter [--port 9400] [--listen 0.0.0.0] [--lib libnvidia-ml.so.1] [--hostname NAME] [--hostname-label Hostname|hostname]\n',
        );
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return opts;
}

function main(): void {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`nvml-exporter: ${(e as Error).message}\n`);
    process.exit(64);
  }
  let nvml: Nvml;
  try {
    nvml = openNvml(opts.lib);
  } catch (e) {
    if (e instanceof NvmlUnavailableError) {
      process.stderr.write(`nvml-exporter: NVML unavailable: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }

  let scrapes = 0;
  let lastErrors = 0;
  const startedAt = Date.now();
  const xidTimer = setInterval(() => nvml.pollXids(), 1000);
  xidTimer.unref();

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      nvml.pollXids();
      const readings: GpuReading[] = [];
      let errors = 0;
      for (const g of nvml.gpus) {
        const r = nvml.read(g.index);
        readings.push(r.reading);
        errors += r.errors;
      }
      lastErrors = errors;
      scrapes++;
      const body = renderMetrics(nvml.gpus, readings, {
        hostname: opts.hostname,
        driverVersion: nvml.driverVersion,
        hostnameLabel: opts.hostnameLabel,
      });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/health') {
      const body = JSON.stringify({
        status: 'ok',
        gpus: nvml.gpus.length,
        driverVersion: nvml.driverVersion,
        library: nvml.libPath,
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        scrapes,
        lastScrapeErrors: lastErrors,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
  });

  server.on('error', (e) => {
    process.stderr.write(`nvml-exporter: cannot listen on ${opts.listen}:${opts.port}: ${e.message}\n`);
    nvml.shutdown();
    process.exit(3);
  });
  server.listen(opts.port, opts.listen, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    process.stdout.write(
      `nvml-exporter: listening on http://${opts.listen}:${port}/metrics (${nvml.gpus.length} GPUs, driver ${nvml.driverVersion || 'unknown'}, ${nvml.libPath})\n`,
    );
  });

  const stop = () => {
    server.close();
    nvml.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();

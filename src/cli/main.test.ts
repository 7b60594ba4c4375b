import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main, parseArgs, usage, wrap } from './main';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

describe('plenum CLI conventions', () => {
  it('parses positional arguments, switches and valued flags', () => {
    const args = parseArgs(['targets', 'add', 'http://h:9400/metrics', '--json', '--url', 'http://x:1', '--zone', 'a', '--zone=b']);
    expect(args.positional).toEqual(['targets', 'add', 'http://h:9400/metrics']);
    expect(args.flags.get('json')).toEqual(['true']);
    expect(args.flags.get('url')).toEqual(['http://x:1']);
    expect(args.flags.get('zone')).toEqual(['a', 'b']);
    expect(() => parseArgs(['health', '--url'])).toThrow('--url needs a value');
  });

  it('rejects an unknown command with one line and exit code 2', async () => {
    const out = sink();
    const err = sink();
    expect(await main(['frobnicate'], out.stream, err.stream)).toBe(2);
    expect(err.text()).toBe("plenum: unknown command 'frobnicate' (run 'plenum help')\n");
    expect(out.text()).toBe('');
  });

  it('prints usage naming every command', async () => {
    const out = sink();
    expect(await main(['help'], out.stream, sink().stream)).toBe(0);
    expect(out.text()).toContain('health');
    expect(out.text()).toContain('PLENUM_URL');
  });
});

describe('plenum help fits the terminal', () => {
  it('wraps every line of the help to the width asked for, keeping each command and its summary', async () => {
    for (const width of [60, 80, 120]) {
      const text = usage(width);
      for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
      expect(text.replace(/\s+/g, ' ')).toContain('plenum tenants set-quota <name> <gpus>');
      expect(text.replace(/\s+/g, ' ')).toContain('plenum metrics list');
    }
  });

  it('wraps words greedily and indents continuation lines', () => {
    expect(wrap('one two three four', 9, 2)).toEqual(['one two', '  three', '  four']);
    expect(wrap('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
  });

  it('follows $COLUMNS when stdout is not a terminal', async () => {
    const previous = process.env.COLUMNS;
    process.env.COLUMNS = '70';
    try {
      const out = sink();
      expect(await main(['help'], out.stream, sink().stream)).toBe(0);
      expect(Math.max(...out.text().trimEnd().split('\n').map((line) => line.length))).toBeLessThanOrEqual(70);
    } finally {
      if (previous === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = previous;
    }
  });

  it('a missing argument is a usage error, exit 2, before any request', async () => {
    const err = sink();
    expect(await main(['tenants', 'set-quota', 'research', '--url', 'http://127.0.0.1:9'], sink().stream, err.stream)).toBe(2);
    expect(err.text()).toBe('plenum: missing the quota in GPUs (usage: plenum tenants set-quota <name> <gpus>)\n');
  });
});

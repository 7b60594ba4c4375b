import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main, parseArgs } from './main';

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

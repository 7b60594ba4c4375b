import { describe, expect, it } from 'vitest';
import { mapSamples, withFamilyUnits } from './dialects/index';
import {
  decodeRemoteWrite,
  decodeWriteRequestProto,
  RemoteWriteError,
  snappyDecodedLength,
  snappyDecompress,
  writeRequestToSamples,
  writeRequestUnits,
} from './remote-write';

import { bytes, encodeWriteRequest, key, label, lenDelim, STALE, sample, series, snappyLiteral, varint } from './remote-write.testkit';

// --- tests --------------------------------------------------------------------------------------------------------

describe('snappy', () => {
  it('decodes literals, and copies with 1-, 2- and 4-byte offsets including overlapping ones', () => {
    // "abcabcabcabc": literal "abc" then copy (1-byte offset form) length 9, offset 3.
    // tag for copy-1: kind 01, (len-4)=5 in bits 2-4, offset high bits 0 → 0b000_101_01 = 0x15, then offset 3.
    const a = Uint8Array.from([12, 0x08, 97, 98, 99, 0x15, 3]);
    expect(new TextDecoder().decode(snappyDecompress(a))).toBe('abcabcabcabc');
    // "xyxyxy": literal "xy", copy-2 (kind 10) length 4 → tag (4-1)<<2|2 = 0x0e, offset 2 LE.
    const b = Uint8Array.from([6, 0x04, 120, 121, 0x0e, 2, 0]);
    expect(new TextDecoder().decode(snappyDecompress(b))).toBe('xyxyxy');
    // "qqqqq": literal "q", copy-4 (kind 11) length 4 → tag (4-1)<<2|3 = 0x0f, offset 1 LE32.
    const c = Uint8Array.from([5, 0x00, 113, 0x0f, 1, 0, 0, 0]);
    expect(new TextDecoder().decode(snappyDecompress(c))).toBe('qqqqq');
    expect(snappyDecodedLength(c)).toBe(5);
  });

  it('round-trips a literal-only stream longer than 60 bytes', () => {
    const data = Array.from({ length: 1000 }, (_, k) => (k * 7) & 0xff);
    expect([...snappyDecompress(snappyLiteral(data))]).toEqual(data);
  });

  it.each([
    ['truncated preamble', [0x80], /truncated length preamble/],
    ['literal past the end', [5, 0x10, 1, 2], /runs past the end of the input/],
    ['fewer bytes than declared', [5, 0x04, 1, 2], /ended after 2 of 5 declared bytes/],
    ['more bytes than declared', [1, 0x04, 1, 2], /overflows the declared length 1/],
    ['copy before any output', [4, 0x01, 1], /refers 1 bytes back but only 0 are decoded/],
    ['offset zero', [8, 0x00, 65, 0x0d, 0], /refers 0 bytes back/],
    ['truncated copy', [8, 0x00, 65, 0x0e, 1], /truncated copy/],
  ])('rejects %s', (_name, input, message) => {
    expect(() => snappyDecompress(Uint8Array.from(input))).toThrow(RemoteWriteError);
    expect(() => snappyDecompress(Uint8Array.from(input))).toThrow(message);
  });

  it('refuses to allocate past the limit', () => {
    expect(() => snappyDecompress(Uint8Array.from([...varint(1 << 30), 0]), { maxDecodedBytes: 1024 })).toThrow(/exceeds the limit/);
  });
});

describe('remote-write WriteRequest', () => {
  const proto = [
    ...series(
      label('__name__', 'DCGM_FI_DEV_POWER_USAGE'),
      label('Hostname', 'node-1'),
      label('UUID', 'GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c17'),
      label('gpu', '0'),
      sample(113.6, 1764130000000),
      sample(115.25, 1764130015000),
    ),
    ...series(label('__name__', 'nvidia_smi_temperature_gpu'), label('uuid', '00000000-0000-0000-0000-000000000000'), sample(41, -5)),
    // an exemplar (field 3) and a native histogram (field 4): skipped, counted
    ...series(label('__name__', 'h'), lenDelim(3, [1, 2, 3]), lenDelim(4, [4, 5])),
    // an unknown WriteRequest field (varint 9 = field 9, wire type 0) must be skipped
    ...key(9, 0),
    ...varint(300),
    // metadata: type gauge (2), family name, help, unit
    ...lenDelim(3, [...key(1, 0), 2, ...lenDelim(2, bytes('DCGM_FI_DEV_POWER_USAGE')), ...lenDelim(4, bytes('Power draw (in W).')), ...lenDelim(5, bytes('watts'))]),
  ];

  it('decodes series, labels, samples (incl. a negative timestamp), metadata, and skips what it does not read', () => {
    const req = decodeRemoteWrite(snappyLiteral(proto));
    expect(req.timeseries).toEqual([
      {
        labels: {
          __name__: 'DCGM_FI_DEV_POWER_USAGE',
          Hostname: 'node-1',
          UUID: 'GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c17',
          gpu: '0',
        },
        samples: [
          { value: 113.6, timestampMs: 1764130000000 },
          { value: 115.25, timestampMs: 1764130015000 },
        ],
      },
      { labels: { __name__: 'nvidia_smi_temperature_gpu', uuid: '00000000-0000-0000-0000-000000000000' }, samples: [{ value: 41, timestampMs: -5 }] },
      { labels: { __name__: 'h' }, samples: [] },
    ]);
    expect(req.skipped).toEqual({ exemplars: 1, histograms: 1 });
    expect(req.metadata).toEqual([{ type: 'gauge', metricFamilyName: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).', unit: 'watts' }]);
  });

  it('feeds the dialects', () => {
    const raw = writeRequestToSamples(decodeRemoteWrite(snappyLiteral(proto)));
    expect(raw).toHaveLength(3);
    const { samples } = mapSamples(raw, 'auto');
    expect(samples.map((s) => [s.metric, s.value, s.timestampMs, s.gpuUuid, s.hostname])).toEqual([
      ['gpu_power_w', 113.6, 1764130000000, 'GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c17', 'node-1'],
      ['gpu_power_w', 115.25, 1764130015000, 'GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c17', 'node-1'],
      ['gpu_temp_c', 41, -5, 'GPU-00000000-0000-0000-0000-000000000000', undefined],
    ]);
    expect(raw[0].labels.__name__).toBeUndefined();
  });

  it('names the place of truncated or corrupt protobuf', () => {
    const cut = Uint8Array.from(proto.slice(0, 40));
    expect(() => decodeWriteRequestProto(cut)).toThrow(/protobuf: length-delimited field of \d+ bytes runs past the end in WriteRequest/);
    const badSample = Uint8Array.from(series(lenDelim(2, [...key(1, 1), 1, 2, 3])));
    expect(() => decodeWriteRequestProto(badSample)).toThrow(/truncated 64-bit value in timeseries\[0\]\.samples\[0\]/);
    const badWire = Uint8Array.from([...key(5, 7)]);
    expect(() => decodeWriteRequestProto(badWire)).toThrow(/unsupported wire type 7 in WriteRequest/);
    const longVarint = Uint8Array.from([0x08, ...Array(11).fill(0xff)]);
    expect(() => decodeWriteRequestProto(longVarint)).toThrow(/varint longer than 10 bytes/);
  });

  it('drops series with invalid UTF-8, NUL or over-long names and values, counts them by reason, keeps the rest', () => {
    const good = series(label('__name__', 'gpu_temp'), label('gpu', '0'), sample(40, 1000), sample(41, 2000));
    const badUtf8 = series(lenDelim(1, [...lenDelim(1, bytes('gpu')), ...lenDelim(2, [0xc3, 0x28])]), label('__name__', 'x'), sample(1, 1000));
    const nulValue = series(label('__name__', 'gpu_temp'), label('gpu', 'a\u0000b'), sample(1, 1000), sample(2, 2000));
    const nulName = series(label('__name__', 'gpu\u0000temp'), sample(1, 1000));
    const longValue = series(label('__name__', 'gpu_temp'), label('gpu', 'v'.repeat(5000)), sample(1, 1000));
    const longName = series(label('__name__', 'm'.repeat(300)), sample(1, 1000));
    const req = decodeWriteRequestProto(Uint8Array.from([...badUtf8, ...good, ...nulValue, ...nulName, ...longValue, ...longName]));
    expect(req.timeseries.map((t) => t.labels)).toEqual([{ __name__: 'gpu_temp', gpu: '0' }]);
    expect(req.dropped).toEqual({ invalid_utf8: 1, nul: 3, name_too_long: 1, label_name_too_long: 0, label_value_too_long: 1, too_many_labels: 0 });
  });
});

describe('staleness markers', () => {
  it('flags the stale NaN (0x7ff0000000000002) and only it: an ordinary NaN stays a reading', () => {
    const req = decodeRemoteWrite(
      encodeWriteRequest([
        { labels: { __name__: 'up', job: 'node', instance: 'h1:9100' }, samples: [[1, 1_000], [STALE, 2_000]] },
        { labels: { __name__: 'scrape_duration_seconds', job: 'node', instance: 'h1:9100' }, samples: [[Number.NaN, 1_000]] },
      ]),
    );
    expect(req.timeseries[0]!.samples).toEqual([{ value: 1, timestampMs: 1_000 }, { value: Number.NaN, timestampMs: 2_000, stale: true }]);
    expect(req.timeseries[1]!.samples).toEqual([{ value: Number.NaN, timestampMs: 1_000 }]);
    const samples = writeRequestToSamples(req);
    expect(samples.map((s) => [s.name, s.stale === true])).toEqual([
      ['up', false],
      ['up', true],
      ['scrape_duration_seconds', false],
    ]);
  });
});

describe('units from remote-write metadata', () => {
  it('a family unit the sender declares is the unit of its passed-through series', () => {
    const metadata = (family: string, unit: string) => lenDelim(3, [...key(1, 0), ...varint(2), ...lenDelim(2, bytes(family)), ...lenDelim(5, bytes(unit))]);
    const body = [
      ...series(label('__name__', 'rack_energy_total'), label('rack', 'A1'), sample(123, 1_000)),
      ...series(label('__name__', 'fan_speed'), sample(1200, 1_000)),
      ...metadata('rack_energy', 'joules'),
    ];
    const req = decodeWriteRequestProto(Uint8Array.from(body));
    expect(writeRequestUnits(req)).toEqual(new Map([['rack_energy', 'joules']]));
    const mapped = mapSamples(writeRequestToSamples(req), 'auto', withFamilyUnits({}, writeRequestUnits(req)));
    expect(mapped.samples.map((s) => [s.metric, s.unit])).toEqual([
      ['rack_energy_total', 'J'],
      ['fan_speed', 'unknown'],
    ]);
  });
});

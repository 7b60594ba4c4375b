import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { ScrapeError } from '../target-guard';
import { parseSnmpUrl, snmpCollector, snmpCredentialsSchema, snmpErrorText, snmpOptionsSchema } from './snmp';

describe('snmp collector settings', () => {
  it('URLs are snmp://host[:port], port 161 by default', () => {
    expect(parseSnmpUrl('snmp://ups-a.mgmt')).toEqual({ host: 'ups-a.mgmt', port: 161 });
    expect(parseSnmpUrl('snmp://[2001:db8::5]:1161')).toEqual({ host: '2001:db8::5', port: 1161 });
    expect(() => parseSnmpUrl('http://ups-a/')).toThrow(ScrapeError);
  });

  it('options name a known profile; the target key tells profiles and contexts apart', () => {
    expect(snmpOptionsSchema.parse({ profile: 'ups-mib' })).toEqual({ profile: 'ups-mib', retries: 1, maxRepetitions: 25 });
    expect(snmpOptionsSchema.safeParse({ profile: 'nope' }).error?.issues[0]).toMatchObject({ path: ['profile'], message: expect.stringMatching(/^is not a known profile/) });
    expect(snmpCollector.targetKey!(snmpOptionsSchema.parse({ profile: 'apc-rpdu2', context: 'pdu2' }))).toBe('apc-rpdu2@pdu2');
  });

  it('credentials: a community or a v3 user with keys, not both', () => {
    expect(snmpCredentialsSchema.parse({})).toEqual({ authProtocol: 'sha', privProtocol: 'aes' });
    expect(snmpCredentialsSchema.safeParse({ community: 'c', user: 'u', authKey: '12345678' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['community']);
    expect(snmpCredentialsSchema.safeParse({ user: 'u', authKey: 'short' }).error?.issues[0]).toMatchObject({ path: ['authKey'], message: 'must be at least 8 characters' });
    expect(snmpCredentialsSchema.safeParse({ privKey: '12345678' }).error?.issues[0]).toMatchObject({ path: ['user'] });
  });
});

describe('snmp errors in our words', () => {
  const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error('agent text SECRET'), { name, ...extra });

  it('timeouts, USM refusals, error-status and socket errors', () => {
    expect(snmpErrorText(named('RequestTimedOutError'), 2000, false).message).toMatch(/^timed out after 2000 ms: .*refused the community/);
    expect(snmpErrorText(named('RequestTimedOutError'), 2000, true).message).toBe('timed out after 2000 ms: no answer from the agent');
    const usm = Object.assign(new Error('Unknown User Name'), { name: 'ResponseInvalidError', code: snmp.ResponseInvalidCode.EAuthFailure });
    expect(snmpErrorText(usm, 1000, true).message).toBe('SNMPv3 authorization refused: unknown user');
    expect(snmpErrorText(named('ResponseInvalidError', { code: snmp.ResponseInvalidCode.ECouldNotDecrypt }), 1000, true).message).toBe('SNMPv3 authorization refused: wrong privacy key');
    expect(snmpErrorText(named('RequestFailedError', { status: snmp.ErrorStatus.NoAccess }), 1000, false).message).toBe('authorization refused by the agent (NoAccess)');
    expect(snmpErrorText(named('RequestFailedError', { status: snmp.ErrorStatus.GeneralError }), 1000, false).message).toBe('the agent answered GeneralError (error-status 5)');
    expect(snmpErrorText(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }), 1000, false).message).toBe('connection failed (EHOSTUNREACH)');
    expect(snmpErrorText(named('ResponseInvalidError', { code: 99 }), 1000, false).message).not.toMatch(/SECRET/);
  });
});

import { describe, expect, it } from 'vitest';
import { DueQueue } from './due-queue';

describe('DueQueue', () => {
  it('pops entries earliest due first, whatever order they were pushed in', () => {
    const q = new DueQueue();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pushed: number[] = [];
    for (let id = 0; id < 500; id++) {
      const due = Math.floor(random() * 1000);
      pushed.push(due);
      q.push(due, id);
    }
    expect(q.size).toBe(500);
    expect(q.peekDue()).toBe(Math.min(...pushed));
    const popped: { dueMs: number; id: number }[] = [];
    for (let e = q.pop(); e; e = q.pop()) popped.push(e);
    expect(popped.map((e) => e.dueMs)).toEqual([...pushed].sort((a, b) => a - b));
    // Every id comes back with the due time it was pushed with.
    for (const e of popped) expect(pushed[e.id]).toBe(e.dueMs);
    expect(q.pop()).toBeUndefined();
    expect(q.peekDue()).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps order when pushes and pops interleave', () => {
    const q = new DueQueue();
    q.push(30, 1);
    q.push(10, 2);
    expect(q.pop()).toEqual({ dueMs: 10, id: 2 });
    q.push(20, 3);
    q.push(5, 4);
    expect([q.pop()?.id, q.pop()?.id, q.pop()?.id]).toEqual([4, 3, 1]);
  });
});

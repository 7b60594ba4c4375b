// EASY backfilling: when the job at the head of the queue cannot start now, find the earliest time it could (as the
// running jobs reach their estimated end) and the nodes it would take then. Jobs behind it may start now only if
// that start stays possible: they end before it, or the head still fits then with them running.

import type { Scheduler } from './framework';
import type { Snapshot } from './snapshot';
import type { PlacementDecision, PodRequest, RunningAllocation } from './types';

export interface Reservation {
  /** The head pod the reservation is for. */
  podId: string;
  /** Estimated start (ms, the clock of `endsAt`). */
  startAt: number;
  /** Nodes the head would take at startAt. */
  nodeIds: string[];
  /** Running pods that must have ended by startAt. */
  waitingFor: number;
}

export class EasyBackfill {
  private readonly scheduler: Scheduler;
  private readonly snapshot: Snapshot;
  /** Estimated end per running pod (ms); pods without one are taken to run for ever. */
  private readonly endsAt: Map<string, number>;
  private head: PodRequest | null = null;
  reservation: Reservation | null = null;

  constructor(scheduler: Scheduler, snapshot: Snapshot, endsAt: Map<string, number>) {
    this.scheduler = scheduler;
    this.snapshot = snapshot;
    this.endsAt = new Map(endsAt);
  }

  /** A pod started (this cycle): from now on it holds its resources until `endsAt` (null: no estimate). */
  started(podId: string, endsAt: number | null): void {
    if (endsAt === null) this.endsAt.delete(podId);
    else this.endsAt.set(podId, endsAt);
  }

  /**
   * Reserves the earliest start of `head`: the first estimated end time after which it fits without preempting.
   * Null when it does not fit even once every pod with an estimated end has ended (then there is nothing to keep).
   * Fitting only grows as pods end, so the end times are searched by bisection.
   */
  reserve(head: PodRequest): Reservation | null {
    const ends = [...new Set([...this.endsAt.values()])].sort((a, b) => a - b);
    // One try with every estimated end passed settles the common "never fits" case without a search.
    if (ends.length === 0 || !this.fitsAt(head, ends[ends.length - 1]!)) return null;
    let low = 0;
    let high = ends.length - 1;
    let found: { startAt: number; decision: PlacementDecision } | null = null;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const decision = this.fitsAt(head, ends[mid]!);
      if (decision) {
        found = { startAt: ends[mid]!, decision };
        high = mid - 1;
      } else {
        low = mid + 1;
      }
    }
    if (!found) return null;
    this.head = head;
    this.reservation = {
      podId: head.id,
      startAt: found.startAt,
      nodeIds: [...new Set(found.decision.workers.map((w) => w.nodeId))],
      waitingFor: [...this.snapshot.allocations.keys()].filter((id) => (this.endsAt.get(id) ?? Number.POSITIVE_INFINITY) <= found.startAt).length,
    };
    return this.reservation;
  }

  /**
   * Whether `pod` may start now with `decision` without moving the head's reserved start: it ends by then, or the
   * head still fits at that time with `pod` running. True when nothing is reserved.
   */
  admits(pod: PodRequest, decision: PlacementDecision, endsAt: number | null): boolean {
    const reservation = this.reservation;
    if (!reservation || !this.head) return true;
    if (endsAt !== null && endsAt <= reservation.startAt) return true;
    const victims = decision.victims.map((id) => this.snapshot.allocations.get(id)).filter((a): a is RunningAllocation => a !== undefined);
    this.snapshot.assume(decision, pod);
    try {
      return this.fitsAt(this.head, reservation.startAt) !== null;
    } finally {
      this.snapshot.release(decision.podId);
      for (const victim of victims) this.snapshot.restore(victim);
    }
  }

  /** The head's placement once every pod ending by `time` has ended; the snapshot is restored afterwards. */
  private fitsAt(head: PodRequest, time: number): PlacementDecision | null {
    const ended: RunningAllocation[] = [];
    for (const [podId, end] of this.endsAt) {
      if (end > time) continue;
      const alloc = this.snapshot.allocations.get(podId);
      if (!alloc) continue;
      ended.push(alloc);
      this.snapshot.release(podId);
    }
    try {
      const result = this.scheduler.schedule(this.snapshot, head, { preempt: false });
      return result.status === 'scheduled' ? result.decision : null;
    } finally {
      for (const alloc of ended) this.snapshot.restore(alloc);
    }
  }
}

// EASY backfilling: when the job at the head of the queue cannot start now, find the earliest time it could (as the
// running jobs reach their estimated end) and the nodes it would take then. Jobs behind it may start now only if
// that start stays possible: they end before it, or the head still fits then with them running.
//
// Every what-if here moves node resources only (Snapshot.adjust) and leaves the snapshot's allocation list alone, so
// nothing that reads it afterwards (preemption's candidate order, fair share) can tell a what-if ran.

import type { Scheduler } from './framework';
import type { Snapshot } from './snapshot';
import type { PlacementDecision, PodRequest, WorkerPlacement } from './types';

export interface Reservation {
  /** The head pod the reservation is for. */
  podId: string;
  /** Estimated start (ms, the clock of `endsAt`). */
  startAt: number;
  /** Nodes the head would take at startAt. */
  nodeIds: string[];
  /** Running pods on those nodes that end by startAt (what the head is waiting for). */
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
   * Assumes fitting only grows as pods end (true of every filter; a gang's greedy worker-by-worker placement could
   * in rare cases miss a fit that a later time finds), so the end times are searched by bisection.
   */
  reserve(head: PodRequest): Reservation | null {
    const ends = [...new Set(this.endsAt.values())].sort((a, b) => a - b);
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
    const { startAt, decision } = found;
    const nodeIds = [...new Set(decision.workers.map((w) => w.nodeId))];
    const waitingFor = [...this.snapshot.allocations.values()].filter(
      (a) => (this.endsAt.get(a.podId) ?? Number.POSITIVE_INFINITY) <= startAt && a.workers.some((w) => nodeIds.includes(w.nodeId)),
    ).length;
    this.head = head;
    this.reservation = { podId: head.id, startAt, nodeIds, waitingFor };
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
    const evicted = this.workersOf(decision.victims);
    this.move(evicted, -1);
    this.move(decision.workers, 1);
    try {
      return this.fitsAt(this.head, reservation.startAt, new Set([...decision.victims, pod.id])) !== null;
    } finally {
      this.move(decision.workers, -1);
      this.move(evicted, 1);
    }
  }

  /**
   * Where `pod` would go now if the reserved nodes were out of bounds: the scorer may prefer exactly the node the
   * head waits for, while another node would let the pod start without delaying anyone. Null if nothing else fits.
   */
  scheduleAround(pod: PodRequest): PlacementDecision | null {
    const reserved = (this.reservation?.nodeIds ?? []).map((id) => this.snapshot.nodes[this.snapshot.indexById.get(id)!]!);
    const healthy = reserved.map((node) => node.healthy);
    for (const node of reserved) node.healthy = false;
    try {
      const result = this.scheduler.schedule(this.snapshot, pod, { preempt: false });
      return result.status === 'scheduled' ? result.decision : null;
    } finally {
      reserved.forEach((node, i) => {
        node.healthy = healthy[i]!;
      });
    }
  }

  /**
   * The head's placement once every pod ending by `time` has ended; the snapshot is as it was afterwards.
   * `skip`: pods already taken out (or not yet in) by the caller's what-if.
   */
  private fitsAt(head: PodRequest, time: number, skip: Set<string> = new Set()): PlacementDecision | null {
    const ended: string[] = [];
    for (const [podId, end] of this.endsAt) if (end <= time && !skip.has(podId)) ended.push(podId);
    const freed = this.workersOf(ended);
    this.move(freed, -1);
    try {
      const result = this.scheduler.schedule(this.snapshot, head, { preempt: false });
      return result.status === 'scheduled' ? result.decision : null;
    } finally {
      this.move(freed, 1);
    }
  }

  private workersOf(podIds: string[]): WorkerPlacement[] {
    return podIds.flatMap((id) => this.snapshot.allocations.get(id)?.workers ?? []);
  }

  private move(workers: WorkerPlacement[], sign: 1 | -1): void {
    for (const w of workers) this.snapshot.adjust(w, sign);
  }
}

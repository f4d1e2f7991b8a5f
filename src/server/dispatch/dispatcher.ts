/**
 * Fires due items (docs/live-and-dispatch.md, "Dispatch").
 *
 * Claims are leases in the items table: a scan sets lease_owner/lease_expires_ms on items that
 * are due (status scheduled and scheduled_at_ms ≤ now, or processing with a retry due) and whose
 * lease is free or expired, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so processes sharing a
 * database never hold one item at once. Leases of deliveries in flight are renewed; a process
 * that dies simply stops renewing, and its items are claimed again after the lease expires.
 * The delivery id is fixed on the first claim, so every retry, by any process, carries it.
 *
 * Each status transition bumps the item's version and appends item.status_changed in the same
 * transaction; the events are published to live subscribers after commit.
 *
 * Where an item goes: its account's own webhook when it has one (account_webhooks, read for
 * each claimed batch, so a change applies from the next attempt), else the server's publisher.
 */
import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Registry } from 'prom-client';
import type { ServerEvent } from '../../shared/api/events';
import type { ServerContext } from '../context';
import { appendEvents, type NewEvent } from '../events/log';
import type { CallbackDeliveriesTable, Database } from '../storage/schema';
import { anyAccountWebhook, webhooksOf } from '../storage/webhooks';
import { callbacksOf, itemWire, type ItemRow } from './items';
import { createDispatchMetrics, type DispatchMetrics } from './metrics';
import { backoffMs, type ResolvedDispatcherOptions } from './options';
import { createPublisher, deliver, type OutboundPolicy, type PublishOutcome, type Publisher } from './publishers';
import { webhookHeaders } from './signing';

export interface DispatchLog {
  warn(object: unknown, message: string): void;
  error(object: unknown, message: string): void;
}

type CallbackRow = {
  [K in keyof CallbackDeliveriesTable]: K extends 'attempts' ? number : CallbackDeliveriesTable[K];
};

interface Pending {
  accountId: string;
  event: ServerEvent;
}

type Due = (eb: ExpressionBuilder<Database, 'items'>) => ReturnType<ExpressionBuilder<Database, 'items'>['and']>;

function byAccount(a: ItemRow, b: ItemRow): number {
  if (a.account_id !== b.account_id) return a.account_id < b.account_id ? -1 : 1;
  return Number(a.scheduled_at_ms) - Number(b.scheduled_at_ms);
}

/** Without a schedule row (should not happen), items get the API's default deadline. */
const DEFAULT_DEADLINE_MS = 3 * 3600_000;

export class Dispatcher {
  private timer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private ticking = false;
  private current: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly items = new Map<string, AbortController>();
  private readonly callbacks = new Map<string, AbortController>();
  private readonly tasks = new Set<Promise<void>>();
  private unsubscribe: (() => void) | null = null;
  /** The server's publisher: for accounts without their own webhook. */
  private readonly publisher: Publisher;
  private readonly policy: OutboundPolicy;
  private readonly db: Kysely<Database>;
  private readonly postgres: boolean;
  readonly metrics: DispatchMetrics;

  constructor(
    private readonly ctx: ServerContext,
    readonly options: ResolvedDispatcherOptions,
    private readonly log: DispatchLog,
    registry?: Registry,
  ) {
    this.metrics = createDispatchMetrics(registry, () => this.items.size + this.callbacks.size);
    this.db = ctx.storage.db;
    this.postgres = ctx.storage.dialect === 'postgres';
    this.policy = { allowLoopback: options.allowLoopback, timeoutMs: options.requestTimeoutMs };
    this.publisher = createPublisher(options.publisher, this.policy);
  }

  /**
   * Items claimed per scan at most. A reminder is a database update: no reason to keep it to the
   * network's concurrency, unless some account has its own webhook (a claim may then be deliveries).
   */
  private async capacity(): Promise<number> {
    const { batchSize, concurrency } = this.options;
    if (this.publisher.kind === 'reminder' && !(await anyAccountWebhook(this.db))) return Math.max(batchSize, concurrency);
    return concurrency;
  }

  get owner(): string {
    return this.options.owner;
  }

  start(): void {
    if (this.stopped) return;
    // A new or moved item may be due before the next planned wake-up.
    this.unsubscribe = this.ctx.events.subscribe((_account, events) => {
      if (events.some((e) => e.type === 'item.created' || e.type === 'item.rescheduled' || e.type === 'schedule.created')) this.wake();
    });
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
    this.renewTimer.unref();
    this.wake();
  }

  /** Scan as soon as possible. */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.plan(0);
  }

  private plan(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, delayMs));
    this.timer.unref();
  }

  /** One scan: announce what is due soon, claim what is due, plan the next wake-up. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.current = this.scan();
    await this.current;
  }

  private async scan(): Promise<void> {
    this.ticking = true;
    this.again = false;
    let delay = this.options.pollMs;
    try {
      const now = this.ctx.clock.now();
      // Claims first: they are the time-critical part of a scan.
      const wanted = Math.min(this.options.batchSize, (await this.capacity()) - this.items.size);
      let claimed = 0;
      if (wanted > 0) {
        const rows = await this.claimItems(now, wanted);
        claimed = rows.length;
        await this.hand(rows);
      }
      const callbackRoom = Math.min(this.options.batchSize, this.options.concurrency - this.callbacks.size);
      if (callbackRoom > 0) for (const row of await this.claimCallbacks(now, callbackRoom)) this.launchCallback(row);
      const announced = this.options.dueSoonMs > 0 ? await this.announceDueSoon(this.ctx.clock.now()) : 0;
      const more = (wanted > 0 && claimed === wanted) || announced === this.options.batchSize;
      delay = more ? 0 : await this.nextWakeDelay(this.ctx.clock.now());
    } catch (error) {
      if (!this.stopped) this.log.error({ err: error }, 'dispatch scan failed');
    } finally {
      this.ticking = false;
    }
    this.plan(this.again ? 0 : delay);
  }

  // ------------------------------------------------------------------ claims

  private leaseFree(now: number) {
    return (eb: ExpressionBuilder<Database, 'items'>) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_ms', '<=', now)]);
  }

  /** A fresh random delivery id, made by the database so a whole batch is one statement. */
  private newDeliveryId() {
    return this.postgres
      ? sql<string>`'msg_' || replace(gen_random_uuid()::text, '-', '')`
      : sql<string>`'msg_' || lower(hex(randomblob(16)))`;
  }

  /**
   * Leases up to `limit` items matching `due` in one statement; `processing` also moves them to
   * processing (version + 1) — the claim and the transition are one atomic write.
   */
  private async claimWhere(
    trx: Transaction<Database>,
    now: number,
    limit: number,
    due: Due,
    processing: boolean,
    accounts: string[] | null = null,
  ): Promise<ItemRow[]> {
    if (accounts && accounts.length === 0) return [];
    let candidates = trx.selectFrom('items').select('id').where(due).where(this.leaseFree(now)).orderBy('scheduled_at_ms').limit(limit);
    if (accounts) candidates = candidates.where('account_id', 'in', accounts);
    if (this.postgres) candidates = candidates.forUpdate().skipLocked();
    // Picked first, then updated by id: on PostgreSQL an `IN (SELECT … LIMIT … SKIP LOCKED)` inside
    // the UPDATE may be re-run per row and update far more rows than the limit.
    const ids = (await candidates.execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    const deliveryId = this.newDeliveryId();
    return trx
      .updateTable('items')
      .set((eb) => ({
        lease_owner: this.owner,
        lease_expires_ms: now + this.options.leaseMs,
        delivery_id: eb.fn.coalesce('delivery_id', deliveryId),
        ...(processing
          ? { status: 'processing' as const, version: eb('version', '+', 1), updated_at: new Date(now).toISOString(), next_attempt_ms: null }
          : {}),
      }))
      .where('id', 'in', ids)
      // Checked again on the row itself: it may have changed since the scan.
      .where(due)
      .where(this.leaseFree(now))
      .returningAll()
      .execute();
  }

  /**
   * PostgreSQL: locks the event heads of the accounts with matching items, in account order,
   * before any item row, and returns those accounts (the claim is then limited to them).
   * The API locks an item and then its account's head; were we to hold items while waiting for
   * a head, a request cancelling those items could wait for us while we wait for it. Taking the
   * heads first means we never wait holding an item lock (item locks are SKIP LOCKED).
   * SQLite has a single writer: null, no restriction.
   */
  private async lockHeads(trx: Transaction<Database>, now: number, due: Due): Promise<string[] | null> {
    if (!this.postgres) return null;
    const rows = await trx
      .selectFrom('items')
      .select('account_id')
      .distinct()
      .where(due)
      .where(this.leaseFree(now))
      .orderBy('account_id')
      .limit(this.options.batchSize)
      .execute();
    const accounts = rows.map((r) => r.account_id);
    if (accounts.length === 0) return [];
    await trx.selectFrom('account_event_heads').select('account_id').where('account_id', 'in', accounts).orderBy('account_id').forUpdate().execute();
    return accounts;
  }

  /** Claims due items; newly due ones go to processing (with an event) in the same transaction. */
  async claimItems(now: number, limit: number): Promise<ItemRow[]> {
    const pending: Pending[] = [];
    const rows = await this.db.transaction().execute(async (trx) => {
      const freshDue: Due = (eb) => eb.and([eb('status', '=', 'scheduled'), eb('scheduled_at_ms', '<=', now)]);
      const fresh = await this.claimWhere(trx, now, limit, freshDue, true, await this.lockHeads(trx, now, freshDue));
      const retries =
        fresh.length < limit
          ? await this.claimWhere(
              trx,
              now,
              limit - fresh.length,
              (eb) => eb.and([eb('status', '=', 'processing'), eb.or([eb('next_attempt_ms', 'is', null), eb('next_attempt_ms', '<=', now)])]),
              false,
            )
          : [];
      pending.push(...(await this.events(trx, fresh, 'item.status_changed', () => ({ previous_status: 'scheduled' }), new Date(now))));
      for (const row of fresh) {
        this.metrics.transitions.inc({ status: 'processing' });
        this.metrics.lateness.observe(Math.max(0, now - Number(row.scheduled_at_ms)) / 1000);
      }
      return [...fresh, ...retries];
    });
    this.publish(pending);
    return rows;
  }

  /**
   * Appends one event per row, grouped per account (one head bump and one insert each), accounts
   * in a fixed order: every process takes the head-row locks in the same order, so two
   * dispatchers never deadlock on them.
   */
  private async events(
    trx: Transaction<Database>,
    rows: ItemRow[],
    type: NewEvent['type'],
    extra: (row: ItemRow) => Record<string, unknown>,
    at: Date,
  ): Promise<Pending[]> {
    const byAccountId = new Map<string, ItemRow[]>();
    for (const row of [...rows].sort(byAccount)) {
      const list = byAccountId.get(row.account_id) ?? [];
      list.push(row);
      byAccountId.set(row.account_id, list);
    }
    const out: Pending[] = [];
    for (const [accountId, list] of byAccountId) {
      const appended = await appendEvents(
        trx,
        accountId,
        list.map((row) => ({ type, schedule_id: row.schedule_id, data: { ...itemWire(row), ...extra(row) } })),
        at,
      );
      for (const event of appended) out.push({ accountId, event });
    }
    return out;
  }

  private publish(pending: Pending[]): void {
    const byAccountId = new Map<string, ServerEvent[]>();
    for (const { accountId, event } of pending) {
      const list = byAccountId.get(accountId) ?? [];
      list.push(event);
      byAccountId.set(accountId, list);
    }
    for (const [accountId, events] of byAccountId) this.ctx.events.publish(accountId, events);
  }

  // ------------------------------------------------------------------ due soon

  async announceDueSoon(now: number): Promise<number> {
    const horizon = now + this.options.dueSoonMs;
    const due = (eb: ExpressionBuilder<Database, 'items'>) =>
      eb.and([
        eb('status', '=', 'scheduled'),
        eb('scheduled_at_ms', '>', now),
        eb('scheduled_at_ms', '<=', horizon),
        eb.or([eb('due_soon_for_ms', 'is', null), eb('due_soon_for_ms', '<>', eb.ref('scheduled_at_ms'))]),
      ]);
    const pending = await this.db.transaction().execute(async (trx) => {
      const accounts = await this.lockHeads(trx, now, due);
      if (accounts && accounts.length === 0) return [];
      let candidates = trx.selectFrom('items').select('id').where(due).orderBy('scheduled_at_ms').limit(this.options.batchSize);
      if (accounts) candidates = candidates.where('account_id', 'in', accounts);
      if (this.postgres) candidates = candidates.forUpdate().skipLocked();
      const ids = (await candidates.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      const rows = await trx
        .updateTable('items')
        .set((eb) => ({ due_soon_for_ms: eb.ref('scheduled_at_ms') }))
        .where('id', 'in', ids)
        .where(due)
        .returningAll()
        .execute();
      return this.events(trx, rows, 'item.due_soon', (row) => ({ due_in_ms: Number(row.scheduled_at_ms) - now }), new Date(now));
    });
    this.metrics.dueSoon.inc(pending.length);
    this.publish(pending);
    return pending.length;
  }

  /** Each claimed item to its account's webhook, else to the server's publisher. */
  private async hand(rows: ItemRow[]): Promise<void> {
    if (rows.length === 0) return;
    const webhooks = await webhooksOf(this.db, [...new Set(rows.map((r) => r.account_id))]);
    const reminders: ItemRow[] = [];
    for (const row of rows) {
      const own = webhooks.get(row.account_id);
      if (own) {
        const previousSecret = own.previous_secret && Number(own.previous_secret_until_ms) > this.ctx.clock.now() ? own.previous_secret : null;
        this.launchItem(row, createPublisher({ kind: 'webhook', url: own.url, secret: own.secret, previousSecret }, this.policy));
      }
      else if (this.publisher.kind === 'reminder') reminders.push(row);
      else this.launchItem(row, this.publisher);
    }
    await this.finishReminders(reminders);
  }

  // ------------------------------------------------------------------ reminders

  /**
   * The reminder publisher cannot fail: a claimed batch becomes published in one transaction
   * (its own events and callbacks included), right after the processing transition.
   */
  private async finishReminders(claimed: ItemRow[]): Promise<void> {
    if (claimed.length === 0 || this.stopped) return;
    const deadlines = await this.deadlinesOf(claimed);
    const now = this.ctx.clock.now();
    // First reached after its window closed (the server was down): failed, not reminded hours late.
    const late = claimed.filter((row) => now >= deadlines.get(row.id)!);
    for (const row of late) {
      const reason = 'processing deadline passed before the item could be published';
      await this.finishItem(row, { ok: false, retryable: false, reason }, deadlines.get(row.id)!);
    }
    const rows = claimed.filter((row) => now < deadlines.get(row.id)!);
    if (rows.length === 0) return;
    const at = new Date(now);
    const iso = at.toISOString();
    const pending = await this.db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('items')
        .set((eb) => ({
          status: 'published',
          published_at: iso,
          failure_reason: null,
          attempts: eb('attempts', '+', 1),
          version: eb('version', '+', 1),
          updated_at: iso,
          lease_owner: null,
          lease_expires_ms: null,
          next_attempt_ms: null,
        }))
        .where('id', 'in', rows.map((r) => r.id))
        .where('lease_owner', '=', this.owner)
        .where('status', '=', 'processing')
        .returningAll()
        .execute();
      for (const row of done) await this.queueCallback(trx, row, 'on_published', iso, now);
      return this.events(trx, done, 'item.status_changed', () => ({ previous_status: 'processing', publisher: 'reminder' }), at);
    });
    this.metrics.attempts.inc({ outcome: 'ok' }, pending.length);
    this.metrics.transitions.inc({ status: 'published' }, pending.length);
    this.publish(pending);
    if (rows.some((row) => callbacksOf(row).on_published)) this.wake();
  }

  /** scheduled_at_ms + the schedule's processing_deadline_ms, per item id. */
  private async deadlinesOf(rows: ItemRow[]): Promise<Map<string, number>> {
    const scheduleIds = [...new Set(rows.map((r) => r.schedule_id))];
    const schedules = scheduleIds.length
      ? await this.db.selectFrom('schedules').select(['id', 'processing_deadline_ms']).where('id', 'in', scheduleIds).execute()
      : [];
    const windowOf = new Map(schedules.map((s) => [s.id, Number(s.processing_deadline_ms)]));
    return new Map(rows.map((r) => [r.id, Number(r.scheduled_at_ms) + (windowOf.get(r.schedule_id) ?? DEFAULT_DEADLINE_MS)]));
  }

  private async queueCallback(trx: Transaction<Database>, row: ItemRow, kind: 'on_published' | 'on_failed', iso: string, now: number): Promise<boolean> {
    const url = callbacksOf(row)[kind];
    if (!url) return false;
    await trx
      .insertInto('callback_deliveries')
      .values({
        id: `cb_${randomUUID().replace(/-/g, '')}`,
        account_id: row.account_id,
        item_id: row.id,
        kind,
        url,
        body: JSON.stringify({ type: kind === 'on_published' ? 'item.published' : 'item.failed', timestamp: iso, data: itemWire(row) }),
        status: 'pending',
        attempts: 0,
        next_attempt_ms: now,
        lease_owner: null,
        lease_expires_ms: null,
        last_error: null,
        created_at: iso,
        completed_at: null,
      })
      .execute();
    return true;
  }

  // ------------------------------------------------------------------ delivery

  private track(task: Promise<void>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  private launchItem(row: ItemRow, publisher: Publisher): void {
    if (this.stopped) return;
    const controller = new AbortController();
    this.items.set(row.id, controller);
    this.track(
      this.deliverItem(row, controller.signal, publisher)
        .catch((error: unknown) => {
          if (!this.stopped) this.log.error({ err: error, item_id: row.id }, 'item delivery failed');
        })
        .finally(() => {
          this.items.delete(row.id);
          this.wake();
        }),
    );
  }

  private async deliverItem(row: ItemRow, signal: AbortSignal, publisher: Publisher): Promise<void> {
    const deadline = (await this.deadlinesOf([row])).get(row.id)!;
    const startedAt = this.ctx.clock.now();
    let outcome: PublishOutcome;
    if (startedAt >= deadline) {
      // The server was not running (or was stuck) until the window closed: too late to post.
      const last = row.failure_reason ? `${row.failure_reason}; ` : '';
      outcome = { ok: false, retryable: false, reason: `${last}processing deadline passed before the item could be published` };
    } else {
      outcome = await publisher.publish({ item: itemWire(row), deliveryId: row.delivery_id ?? row.id, signal, nowMs: startedAt });
    }
    // Shutting down: the lease is released and another process (or the next start) retries.
    if (signal.aborted || this.stopped) return;
    this.metrics.attempts.inc({ outcome: outcome.ok ? 'ok' : outcome.retryable ? 'retry' : 'final_error' });
    await this.finishItem(row, outcome, deadline, publisher.kind);
  }

  private async finishItem(row: ItemRow, outcome: PublishOutcome, deadline: number, publisherKind: Publisher['kind'] = this.publisher.kind): Promise<void> {
    const now = this.ctx.clock.now();
    const at = new Date(now);
    const iso = at.toISOString();
    const attempts = Number(row.attempts) + 1;
    const pending: Pending[] = [];
    let callbackQueued = false;
    const final = outcome.ok || !outcome.retryable || now >= deadline - 1;
    await this.db.transaction().execute(async (trx) => {
      const mine = trx
        .updateTable('items')
        .where('id', '=', row.id)
        .where('lease_owner', '=', this.owner)
        .where('status', '=', 'processing');
      if (!final) {
        const reason = outcome.ok ? null : outcome.reason;
        await mine
          .set({
            attempts,
            // The last try happens just inside the window.
            next_attempt_ms: Math.min(now + backoffMs(attempts, this.options.retryBaseMs, this.options.retryMaxMs), deadline - 1),
            failure_reason: reason,
            lease_owner: null,
            lease_expires_ms: null,
          })
          .execute();
        return;
      }
      const updated = await mine
        .set((eb) => ({
          status: outcome.ok ? 'published' : 'failed',
          published_at: outcome.ok ? iso : null,
          failure_reason: outcome.ok ? null : outcome.reason,
          attempts,
          version: eb('version', '+', 1),
          updated_at: iso,
          lease_owner: null,
          lease_expires_ms: null,
          next_attempt_ms: null,
        }))
        .returningAll()
        .executeTakeFirst();
      // Not ours any more (lease lost, item cancelled meanwhile): nothing to record.
      if (!updated) return;
      this.metrics.transitions.inc({ status: updated.status });
      pending.push(...(await this.events(trx, [updated], 'item.status_changed', () => ({ previous_status: 'processing', publisher: publisherKind }), at)));
      callbackQueued = await this.queueCallback(trx, updated, outcome.ok ? 'on_published' : 'on_failed', iso, now);
    });
    this.publish(pending);
    if (callbackQueued) this.wake();
  }

  // ------------------------------------------------------------------ callbacks

  private async claimCallbacks(now: number, limit: number): Promise<CallbackRow[]> {
    return this.db.transaction().execute(async (trx) => {
      const due = (eb: ExpressionBuilder<Database, 'callback_deliveries'>) =>
        eb.and([
          eb('status', '=', 'pending'),
          eb('next_attempt_ms', '<=', now),
          eb.or([eb('lease_owner', 'is', null), eb('lease_expires_ms', '<=', now)]),
        ]);
      let candidates = trx.selectFrom('callback_deliveries').select('id').where(due).orderBy('next_attempt_ms').limit(limit);
      if (this.postgres) candidates = candidates.forUpdate().skipLocked();
      const ids = (await candidates.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      const rows = await trx
        .updateTable('callback_deliveries')
        .set({ lease_owner: this.owner, lease_expires_ms: now + this.options.leaseMs })
        .where('id', 'in', ids)
        .where(due)
        .returningAll()
        .execute();
      return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
    });
  }

  private launchCallback(row: CallbackRow): void {
    if (this.stopped) return;
    const controller = new AbortController();
    this.callbacks.set(row.id, controller);
    this.track(
      this.deliverCallback(row, controller.signal)
        .catch((error: unknown) => {
          if (!this.stopped) this.log.error({ err: error, callback_id: row.id }, 'callback delivery failed');
        })
        .finally(() => {
          this.callbacks.delete(row.id);
          this.wake();
        }),
    );
  }

  private async deliverCallback(row: CallbackRow, signal: AbortSignal): Promise<void> {
    const headers = webhookHeaders(row.id, row.body, this.options.callbackSecret, this.ctx.clock.now());
    const outcome = await deliver(row.url, row.body, headers, { allowLoopback: this.options.allowLoopback, timeoutMs: this.options.requestTimeoutMs }, signal);
    if (signal.aborted || this.stopped) return;
    const now = this.ctx.clock.now();
    const attempts = row.attempts + 1;
    this.metrics.callbacks.inc({ outcome: outcome.ok ? 'delivered' : outcome.retryable ? 'retry' : 'refused_or_gone' });
    const mine = this.db.updateTable('callback_deliveries').where('id', '=', row.id).where('lease_owner', '=', this.owner);
    if (outcome.ok) {
      await mine.set({ status: 'delivered', attempts, completed_at: new Date(now).toISOString(), lease_owner: null, lease_expires_ms: null, last_error: null }).execute();
      return;
    }
    const giveUp = !outcome.retryable || attempts >= this.options.callbackMaxAttempts;
    if (giveUp) this.log.warn({ callback_id: row.id, url: row.url, reason: outcome.reason }, 'callback given up');
    await mine
      .set({
        status: giveUp ? 'failed' : 'pending',
        attempts,
        last_error: outcome.reason,
        next_attempt_ms: giveUp ? now : now + backoffMs(attempts, this.options.retryBaseMs, this.options.retryMaxMs),
        completed_at: giveUp ? new Date(now).toISOString() : null,
        lease_owner: null,
        lease_expires_ms: null,
      })
      .execute();
  }

  // ------------------------------------------------------------------ timing, leases, shutdown

  private async nextWakeDelay(now: number): Promise<number> {
    const [scheduled, retry, callback] = await Promise.all([
      this.db
        .selectFrom('items')
        .select((eb) => eb.fn.min('scheduled_at_ms').as('at'))
        .where('status', '=', 'scheduled')
        .where(this.leaseFree(now))
        .executeTakeFirst(),
      this.db
        .selectFrom('items')
        .select((eb) => eb.fn.min('next_attempt_ms').as('at'))
        .where('status', '=', 'processing')
        .where('lease_owner', 'is', null)
        .executeTakeFirst(),
      this.db
        .selectFrom('callback_deliveries')
        .select((eb) => eb.fn.min('next_attempt_ms').as('at'))
        .where('status', '=', 'pending')
        .where('lease_owner', 'is', null)
        .executeTakeFirst(),
    ]);
    let next = Infinity;
    for (const row of [scheduled, retry, callback]) if (row?.at != null) next = Math.min(next, Number(row.at));
    if (next === Infinity) return this.options.pollMs;
    // Due but not claimed: taken by another process, or over capacity (a finishing delivery wakes us).
    if (next <= now) return Math.min(this.options.pollMs, 25);
    return Math.min(this.options.pollMs, next - now);
  }

  private async renewLeases(): Promise<void> {
    if (this.stopped) return;
    const until = this.ctx.clock.now() + this.options.leaseMs;
    try {
      const itemIds = [...this.items.keys()];
      if (itemIds.length) {
        await this.db.updateTable('items').set({ lease_expires_ms: until }).where('lease_owner', '=', this.owner).where('id', 'in', itemIds).execute();
      }
      const callbackIds = [...this.callbacks.keys()];
      if (callbackIds.length) {
        await this.db
          .updateTable('callback_deliveries')
          .set({ lease_expires_ms: until })
          .where('lease_owner', '=', this.owner)
          .where('id', 'in', callbackIds)
          .execute();
      }
    } catch (error) {
      if (!this.stopped) this.log.warn({ err: error }, 'lease renewal failed');
    }
  }

  /** Stops scanning, lets deliveries finish for a grace period, aborts the rest, releases leases. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.unsubscribe?.();
    // A scan in progress may still claim; let it, so its leases are released below.
    await this.current?.catch(() => undefined);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.options.shutdownGraceMs).unref());
    await Promise.race([Promise.allSettled([...this.tasks]), grace]);
    for (const controller of [...this.items.values(), ...this.callbacks.values()]) controller.abort();
    await Promise.allSettled([...this.tasks]);
    await this.releaseLeases();
  }

  async releaseLeases(): Promise<void> {
    try {
      await this.db.updateTable('items').set({ lease_owner: null, lease_expires_ms: null }).where('lease_owner', '=', this.owner).execute();
      await this.db
        .updateTable('callback_deliveries')
        .set({ lease_owner: null, lease_expires_ms: null })
        .where('lease_owner', '=', this.owner)
        .execute();
    } catch (error) {
      this.log.warn({ err: error }, 'could not release dispatch leases');
    }
  }
}

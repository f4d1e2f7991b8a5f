import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, rowCounts, sampleSchedule } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

forEachDialect((dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: false });
  });
  afterAll(() => t.close());

  it('50 concurrent POSTs with one key create exactly one schedule; every finished response replays it', async () => {
    const before = await rowCounts(t);
    const body = JSON.stringify(sampleSchedule({ title: 'Concurrent' }));
    const key = `conc_${dialect}_${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => call(t, 'POST', '/api/v1/scheduling/calendar', { raw: body, headers: { 'idempotency-key': key } })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    const originals = created.filter((r) => r.headers.get('idempotent-replayed') !== 'true');
    expect(originals).toHaveLength(1);
    for (const r of created) expect(r.text).toBe(originals[0]!.text);
    for (const r of responses.filter((x) => x.status === 409)) {
      expect((r.json as { error: { code: string } }).error.code).toBe('idempotency_in_progress');
    }
    const after = await rowCounts(t);
    expect(after.schedules - before.schedules).toBe(1);
    // After everything finished, the key keeps answering with the stored response, byte for byte.
    const again = await call(t, 'POST', '/api/v1/scheduling/calendar', { raw: body, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(originals[0]!.text);
    expect((await rowCounts(t)).schedules).toBe(after.schedules);
  });

  it('same key with a different body is 422 idempotency_key_reused', async () => {
    const key = `reuse_${Date.now()}`;
    const first = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule({ title: 'A' }), headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    const second = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule({ title: 'B' }), headers: { 'idempotency-key': key } });
    expect(second.status).toBe(422);
    expect((second.json as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    // Another path with the same key is a different fingerprint too.
    const third = await call(t, 'POST', '/api/v1/scheduling/metrics', {
      body: { content_id: 'x', platform: 'youtube', published_at: '2026-11-01T10:00:00Z', impressions: 1, engagements: 0 },
      headers: { 'idempotency-key': key },
    });
    expect(third.status).toBe(422);
  });

  it('a request rejected by validation is not stored: the key stays usable', async () => {
    const key = `val_${Date.now()}`;
    const bad = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule({ items: [] }), headers: { 'idempotency-key': key } });
    expect(bad.status).toBe(400);
    const good = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule(), headers: { 'idempotency-key': key } });
    expect(good.status).toBe(201);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keys are scoped per account and limited to 255 characters', async () => {
    const other = await t.createAccount();
    const key = `scoped_${Date.now()}`;
    const a = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule(), headers: { 'idempotency-key': key } });
    const b = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule(), headers: { 'idempotency-key': key }, token: other.apiKey });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect((a.json as { id: string }).id).not.toBe((b.json as { id: string }).id);
    const long = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule(), headers: { 'idempotency-key': 'k'.repeat(256) } });
    expect(long.status).toBe(400);
    expect(long.text).toContain('Idempotency-Key');
  });
});

describe('idempotency expiry', () => {
  it('an expired record no longer replays', async () => {
    let now = Date.now();
    const t = await startTestServer({ dialect: 'sqlite', rateLimit: false, clock: { now: () => now }, idempotencyTtlMs: 60_000 });
    try {
      const key = 'expiring';
      const first = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule(), headers: { 'idempotency-key': key } });
      now += 61_000;
      const second = await call(t, 'POST', '/api/v1/scheduling/calendar', { body: sampleSchedule(), headers: { 'idempotency-key': key } });
      expect(second.status).toBe(201);
      expect(second.headers.get('idempotent-replayed')).toBeNull();
      expect((second.json as { id: string }).id).not.toBe((first.json as { id: string }).id);
    } finally {
      await t.close();
    }
  });
});

forEachDialect((dialect) => {
  it('a lock left by a dead process is taken over after 5 minutes; a live one answers 409', async () => {
    const t = await startTestServer({ dialect, rateLimit: false });
    try {
      const db = t.server.context.storage.db;
      const body = JSON.stringify(sampleSchedule());
      const fingerprint = `POST /api/v1/scheduling/calendar ${createHash('sha256').update(body).digest('hex')}`;
      const row = (key: string, lockedAt: number) => ({
        account_id: t.accountId,
        key,
        fingerprint,
        status: 'in_progress' as const,
        response_status: null,
        response_body: null,
        response_content_type: null,
        locked_at_ms: lockedAt,
        expires_at_ms: Date.now() + 3600_000,
      });
      await db.insertInto('idempotency_keys').values([row('live', Date.now()), row('dead', Date.now() - 6 * 60_000)]).execute();
      const live = await call<{ error: { code: string } }>(t, 'POST', '/api/v1/scheduling/calendar', { raw: body, headers: { 'idempotency-key': 'live' } });
      expect(live.status).toBe(409);
      expect(live.json.error.code).toBe('idempotency_in_progress');
      const dead = await call(t, 'POST', '/api/v1/scheduling/calendar', { raw: body, headers: { 'idempotency-key': 'dead' } });
      expect(dead.status).toBe(201);
      const replay = await call(t, 'POST', '/api/v1/scheduling/calendar', { raw: body, headers: { 'idempotency-key': 'dead' } });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await t.close();
    }
  });

  it('a client that hangs up mid-request does not leave its key locked', async () => {
    const t = await startTestServer({ dialect, rateLimit: false });
    try {
      const body = JSON.stringify(sampleSchedule());
      const url = new URL(`${t.url}/api/v1/scheduling/calendar`);
      await new Promise<void>((resolve) => {
        const req = httpRequest(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...t.headers({ 'idempotency-key': 'hangup' }), 'content-length': Buffer.byteLength(body) } },
          () => undefined,
        );
        req.on('error', () => resolve());
        req.write(body);
        req.end();
        // Cut the socket right after sending: the server still runs the request.
        setImmediate(() => {
          req.destroy();
          resolve();
        });
      });
      let status = 409;
      for (let i = 0; i < 40 && status === 409; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await call(t, 'POST', '/api/v1/scheduling/calendar', { raw: body, headers: { 'idempotency-key': 'hangup' } })).status;
      }
      expect(status).toBe(201);
      const schedules = await t.server.context.storage.db.selectFrom('schedules').select('id').execute();
      expect(schedules.length).toBeLessThanOrEqual(1);
    } finally {
      await t.close();
    }
  });
});

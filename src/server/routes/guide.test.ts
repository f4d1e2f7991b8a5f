/**
 * The integration guide's client snippets (../../../../shared/seed/scheduling-api-integration-guide.md),
 * kept as close to verbatim as TypeScript allows, run against a real server.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../testing/client';
import { forEachDialect, startTestServer, type TestServer } from '../testing/servers';

/* eslint-disable @typescript-eslint/no-explicit-any -- the guide's snippets are untyped JavaScript */

// ---- "1. Direct API Integration"
class ContentScheduler {
  apiKey: string;
  baseUrl: string;
  constructor(apiKey: string, baseUrl = 'https://api.content-automation.com/api/v1') {
    this.apiKey = apiKey;
    this.baseUrl = baseUrl;
  }
  async createSchedule(scheduleData: any): Promise<any> {
    const response = await fetch(`${this.baseUrl}/scheduling/calendar`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${this.apiKey}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': this.generateIdempotencyKey(),
      },
      body: JSON.stringify(scheduleData),
    });
    if (!response.ok) {
      throw new Error(`API Error: ${response.status}`);
    }
    return response.json();
  }
  generateIdempotencyKey() {
    return 'key_' + Date.now() + '_' + Math.random().toString(36).substr(2, 9);
  }
}

// ---- "JWT Token Management"
class AuthManager {
  config: any;
  token: any;
  refreshPromise: Promise<any> | null;
  constructor(config: any) {
    this.config = config;
    this.token = null;
    this.refreshPromise = null;
  }
  async getToken() {
    if (!this.token || this.isTokenExpired()) {
      await this.refreshToken();
    }
    return this.token;
  }
  isTokenExpired() {
    if (!this.token || !this.token.expires_at) return true;
    return Date.now() >= this.token.expires_at;
  }
  async refreshToken() {
    if (this.refreshPromise) {
      return this.refreshPromise;
    }
    this.refreshPromise = this.performTokenRefresh();
    const result = await this.refreshPromise;
    this.refreshPromise = null;
    return result;
  }
  async performTokenRefresh() {
    try {
      const response = await fetch(this.config.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'refresh_token',
          refresh_token: this.config.refreshToken,
        }),
      });
      if (!response.ok) {
        throw new Error('Token refresh failed');
      }
      const tokenData: any = await response.json();
      this.token = {
        access_token: tokenData.access_token,
        expires_at: Date.now() + tokenData.expires_in * 1000,
      };
      return this.token;
    } catch (error) {
      this.config.onTokenRefreshFailed?.(error);
      throw error;
    }
  }
}

// ---- "Request Signing (Optional)"
class SignedAPIClient {
  apiKey: string;
  secretKey: string;
  constructor(apiKey: string, secretKey: string) {
    this.apiKey = apiKey;
    this.secretKey = secretKey;
  }
  createSignedRequest(url: string, method: string, body: any = null) {
    const timestamp = Date.now().toString();
    const bodyString = body ? JSON.stringify(body) : '';
    const signature = this.createSignature(method, url, bodyString, timestamp);
    return {
      url,
      method,
      headers: {
        Authorization: `Bearer ${this.apiKey}`,
        'X-Signature': signature,
        'X-Timestamp': timestamp,
        'Content-Type': 'application/json',
      },
      body: bodyString,
    };
  }
  createSignature(method: string, url: string, body: string, timestamp: string) {
    const stringToSign = `${method}\n${url}\n${body}\n${timestamp}`;
    return crypto.createHmac('sha256', this.secretKey).update(stringToSign).digest('hex');
  }
}

// ---- "Comprehensive Error Handling"
class APIErrorHandler {
  retryableCodes: number[];
  maxRetries: number;
  backoffStrategy: (attempt: number) => number;
  constructor(options: any = {}) {
    this.retryableCodes = options.retryableCodes || [408, 429, 500, 502, 503, 504];
    this.maxRetries = options.maxRetries || 3;
    this.backoffStrategy = options.backoffStrategy || this.exponentialBackoff;
  }
  async handleRequest(requestFn: () => Promise<any>, context: any = {}) {
    let lastError: any;
    let attempt = 0;
    while (attempt <= this.maxRetries) {
      try {
        return await requestFn();
      } catch (error) {
        lastError = error;
        if (!this.shouldRetry(error, attempt)) {
          throw this.enhanceError(error, context);
        }
        const delay = this.backoffStrategy(attempt);
        await this.delay(delay);
        attempt++;
      }
    }
    throw this.enhanceError(lastError, context);
  }
  shouldRetry(error: any, attempt: number) {
    if (attempt >= this.maxRetries) return false;
    if (error.status === 401) {
      return false;
    }
    return this.retryableCodes.includes(error.status);
  }
  exponentialBackoff(attempt: number) {
    return Math.min(1000 * Math.pow(2, attempt), 30000);
  }
  delay(ms: number) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
  enhanceError(error: any, context: any) {
    const enhanced: any = new Error(error.message);
    enhanced.originalError = error;
    enhanced.status = error.status;
    enhanced.context = context;
    if (error.status === 429) {
      enhanced.retryAfter = error.headers?.get('Retry-After');
      enhanced.rateLimitInfo = this.parseRateLimitHeaders(error.headers);
    }
    return enhanced;
  }
  parseRateLimitHeaders(headers: any) {
    return {
      limit: headers.get('X-RateLimit-Limit'),
      remaining: headers.get('X-RateLimit-Remaining'),
      reset: headers.get('X-RateLimit-Reset'),
    };
  }
}

// ---- Flutter's SchedulingAPIClient._buildQueryParams, in TypeScript. A Dart map keeps one value per
// key, so `addAll({'platforms[]': item})` in a loop leaves only the last platform.
function flutterBuildQueryParams(params: Record<string, unknown>): Record<string, string> {
  const queryParams: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) {
      for (const item of value) Object.assign(queryParams, { [`${key}[]`]: String(item) });
    } else {
      queryParams[key] = String(value);
    }
  }
  return queryParams;
}

forEachDialect((dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dialect, rateLimit: { limit: 1000, windowMs: 60_000 } });
  });
  afterAll(() => t.close());

  it('ContentScheduler.createSchedule with the React/Vue item fields (contentId, scheduledTime)', async () => {
    const scheduler = new ContentScheduler(t.apiKey, `${t.url}/api/v1`);
    const schedule = await scheduler.createSchedule({
      title: 'My Schedule',
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      items: [{ contentId: 'content_123', platform: 'youtube', scheduledTime: '2026-12-01T18:00:00Z' }],
    });
    expect(schedule.id).toMatch(/^sch_/);
    expect(schedule.items[0].content_id).toBe('content_123');
    expect(schedule.items[0].scheduled_time).toBe('2026-12-01T18:00:00Z');
  });

  it("AuthManager's refresh_token grant; reusing the rotated token revokes the family", async () => {
    const first = await call<{ refresh_token: string; access_token: string }>(t, 'POST', '/api/v1/auth/token', {
      body: { grant_type: 'api_key', api_key: t.apiKey },
      token: null,
    });
    expect(first.status).toBe(200);
    const failures: unknown[] = [];
    const auth = new AuthManager({
      tokenUrl: `${t.url}/api/v1/auth/token`,
      refreshToken: first.json.refresh_token,
      onTokenRefreshFailed: (e: unknown) => failures.push(e),
    });
    const token = await auth.getToken();
    expect(token.access_token).toMatch(/^cat_/);
    expect(token.expires_at).toBeGreaterThan(Date.now() + 60_000);
    const ok = await call(t, 'GET', '/api/v1/scheduling/platforms', { token: token.access_token });
    expect(ok.status).toBe(200);
    // The guide's AuthManager never stores the rotated refresh token, so its next refresh presents
    // the spent one: the server treats that as theft and revokes every token of the family.
    auth.token = null;
    await expect(auth.getToken()).rejects.toThrow('Token refresh failed');
    expect(failures).toHaveLength(1);
    const revoked = await call(t, 'GET', '/api/v1/scheduling/platforms', { token: token.access_token });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('SignedAPIClient signing the absolute URL', async () => {
    const key = await t.createAccount({ withSigningSecret: true });
    const client = new SignedAPIClient(key.apiKey, key.signingSecret!);
    const request = client.createSignedRequest(`${t.url}/api/v1/scheduling/calendar`, 'POST', {
      title: 'Signed',
      timezone: 'UTC',
      items: [{ content_id: 'signed_1', platform: 'linkedin', scheduled_time: '2026-12-03T09:00:00Z' }],
    });
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    expect(response.status).toBe(201);
    const get = client.createSignedRequest(`${t.url}/api/v1/scheduling/calendar?limit=10`, 'GET');
    const listed = await fetch(get.url, { method: get.method, headers: get.headers });
    expect(listed.status).toBe(200);
    // Replaying the exact same signed request is refused.
    const replay = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    expect(replay.status).toBe(401);
  });

  it('APIErrorHandler retries a 429 and gets through after the backoff', async () => {
    // A 3 s window: the guide's documented backoff (1 s, 1.5 s, 2.25 s) outlasts it within 3 retries.
    const limited = await startTestServer({ dialect, rateLimit: { limit: 2, windowMs: 3_000 } });
    try {
      const handler = new APIErrorHandler({ maxRetries: 3, backoffStrategy: (attempt: number) => Math.min(1000 * Math.pow(1.5, attempt), 10000) });
      let statuses: number[] = [];
      const requestFn = async () => {
        const response = await fetch(`${limited.url}/api/v1/scheduling/platforms`, { headers: { Authorization: `Bearer ${limited.apiKey}` } });
        statuses.push(response.status);
        if (!response.ok) {
          const error: any = new Error(`HTTP ${response.status}`);
          error.status = response.status;
          error.headers = response.headers;
          throw error;
        }
        return response.json();
      };
      // Use up the window first.
      while (!statuses.includes(429)) await requestFn().catch(() => undefined);
      statuses = [];
      const result = await handler.handleRequest(requestFn, { op: 'platforms' });
      expect(result.data.map((p: { id: string }) => p.id)).toEqual(['youtube', 'tiktok', 'instagram', 'linkedin']);
      expect(statuses[0]).toBe(429);
      expect(statuses[statuses.length - 1]).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("Flutter's platforms[]= query (and createSchedule expecting 201)", async () => {
    const params = flutterBuildQueryParams({ platforms: ['youtube', 'tiktok'], target_count: 5 });
    expect(params).toEqual({ 'platforms[]': 'tiktok', target_count: '5' });
    const uri = new URL(`${t.url}/api/v1/scheduling/recommendations`);
    for (const [k, v] of Object.entries(params)) uri.searchParams.set(k, v);
    const response = await fetch(uri, { headers: { Authorization: `Bearer ${t.apiKey}`, 'Content-Type': 'application/json' } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ platform: string; reasons: string[]; score: number; window_start: string }> };
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.length).toBeLessThanOrEqual(5);
    expect(new Set(body.data.map((r) => r.platform))).toEqual(new Set(['tiktok']));
    expect(body.data[0]!.reasons.join(', ').length).toBeGreaterThan(0);
    // Several platforms[]= values (what the Dart code meant) are read as a list.
    const both = await call<{ data: Array<{ platform: string }> }>(t, 'GET', '/api/v1/scheduling/recommendations?platforms[]=youtube&platforms[]=tiktok&target_count=6');
    expect(new Set(both.json.data.map((r) => r.platform))).toEqual(new Set(['youtube', 'tiktok']));
    const created = await fetch(`${t.url}/api/v1/scheduling/calendar`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': `key_${Date.now()}_123` },
      body: JSON.stringify({
        title: 'Flutter Schedule',
        timezone: 'America/New_York',
        items: [{ content_id: 'content_123', platform: 'tiktok', scheduled_time: body.data[0]!.window_start }],
      }),
    });
    expect(created.status).toBe(201);
  });
});
